"""A support orchestrator that routes a ticket to sub-agents running in other execution contexts.

- the orchestrator (gpt-4o-mini) classifies the ticket with a tool, delegates, then writes the customer's answer;
- `billing_agent` and `inventory_agent` run in a `threading.Thread` (the OTel context copied with
  `contextvars.copy_context()`), `research_agent` in an `asyncio` task with an `AsyncOpenAI` client and an async
  tool, and `shipping_agent` is "remote": the only link is a `traceparent` header that `opentelemetry.propagate`
  injects into a dict carrier and the other side extracts (CLIENT span -> SERVER span), as over HTTP.

Every model call goes through the openai SDK, recorded by `opentelemetry-instrumentation-openai-v2`; agent spans
are `invoke_agent <name>` spans written here with the OTel API (GenAI conventions); tools are `@pytest_agenttrace.tool`.
Sub-agents run one after another so that a recording is deterministic.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

import openai
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind

import pytest_agenttrace

ORCHESTRATOR_MODEL = "gpt-4o-mini"
SUB_AGENT_MODEL = "gpt-4.1-nano"
MAX_TURNS = 4

_tracer = trace.get_tracer("examples.orchestrator")


class SupportAnswer(TypedDict):
    """What the orchestrator returns (and records as its output)."""

    status: str  # "answered" | "needs_review"
    answer: str | None
    agents: list[str]
    problems: list[str]


# ----------------------------------------------------------------------------------------------------- tools

ORDERS = {"A1043": {"order_id": "A1043", "total": 25.0, "currency": "EUR", "paid": True, "sku": "MUG-01"}}
#: The warehouse backend; record.py takes it down to reproduce the incident.
WAREHOUSE: dict[str, Any] = {"up": True, "stock": {"MUG-01": 12}}
ROUTES = (("refund", "billing"), ("broken", "research"), ("where", "shipping"), ("replace", "inventory"))


@pytest_agenttrace.tool
def classify_ticket(text: str) -> dict[str, Any]:
    """Route a support ticket to the teams that must handle it."""
    teams = [team for word, team in ROUTES if word in text.lower()]
    return {"teams": teams or ["research"]}


@pytest_agenttrace.tool
def get_order(order_id: str) -> dict[str, Any]:
    """Billing: an order and its payment."""
    if order_id not in ORDERS:
        raise KeyError(f"no order {order_id!r}")
    return dict(ORDERS[order_id])


@pytest_agenttrace.tool
async def search_kb(query: str) -> dict[str, Any]:
    """Research: the help-center knowledge base (async, as a search backend client would be)."""
    await asyncio.sleep(0)
    hits = ["Items that arrive broken are refunded in full; no return is needed."] if "broken" in query else []
    return {"query": query, "hits": hits}


@pytest_agenttrace.tool
def track_shipment(order_id: str) -> dict[str, Any]:
    """Shipping: carrier tracking."""
    return {"order_id": order_id, "carrier": "DHL", "status": "delivered", "delivered_on": "2026-11-20"}


@pytest_agenttrace.tool
def check_warehouse(sku: str) -> dict[str, Any]:
    """Inventory: stock for a SKU (raises TimeoutError when the warehouse API is down)."""
    if not WAREHOUSE["up"]:
        raise TimeoutError(f"warehouse API timed out for sku {sku!r}")
    return {"sku": sku, "in_stock": WAREHOUSE["stock"].get(sku, 0)}


def _schema(fn: Callable[..., Any], **props: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": fn.__name__,
            "description": (fn.__doc__ or "").strip(),
            "parameters": {
                "type": "object",
                "properties": {k: {"type": v} for k, v in props.items()},
                "required": list(props),
            },
        },
    }


@dataclass(frozen=True)
class SubAgent:
    """A specialist: its tool, and how many tokens its answer may take."""

    name: str
    tool: Callable[..., Any]
    schema: dict[str, Any]
    max_tokens: int = 200


SUB_AGENTS = {
    "billing": SubAgent("billing_agent", get_order, _schema(get_order, order_id="string")),
    "research": SubAgent("research_agent", search_kb, _schema(search_kb, query="string")),
    "shipping": SubAgent("shipping_agent", track_shipment, _schema(track_shipment, order_id="string")),
    "inventory": SubAgent("inventory_agent", check_warehouse, _schema(check_warehouse, sku="string"), max_tokens=60),
}
CLASSIFY_SCHEMA = _schema(classify_ticket, text="string")


# ----------------------------------------------------------------------------------------------- spans


def _text_message(role: str, text: str) -> str:
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": text}]}])


@contextmanager
def agent_span(name: str, *, model: str, request: str) -> Iterator[Span]:
    """An `invoke_agent <name>` span (GenAI semantic conventions) holding the agent's input."""
    attributes = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": name,
        "gen_ai.agent.id": f"agent_{name}",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.input.messages": _text_message("user", request),
    }
    with _tracer.start_as_current_span(f"invoke_agent {name}", attributes=attributes) as span:
        yield span


# ------------------------------------------------------------------------------------------- sub-agents


@dataclass
class Report:
    """What a sub-agent hands back to the orchestrator."""

    agent: str
    text: str
    finish_reason: str | None = None
    problem: str | None = None


def stops_sub_agent(exc: BaseException) -> bool:
    """Part of the fix for the truncated-answer incident (README.md): a backend that is down ends the sub-agent at
    once with a problem report; the model is not asked to write around it."""
    return isinstance(exc, TimeoutError | ConnectionError)


def usable(report: Report) -> bool:
    """Part of the fix: only a complete report (no problem, the model stopped by itself) reaches the customer."""
    return report.problem is None and report.finish_reason == "stop"


@dataclass
class SubAgentRun:
    """One sub-agent's chat/tool loop state, shared by the sync and async drivers."""

    spec: SubAgent
    task: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        system = f"You are the {self.spec.name.removesuffix('_agent')} specialist of a support team. Be terse."
        self.messages = [{"role": "system", "content": system}, {"role": "user", "content": self.task}]

    def params(self) -> dict[str, Any]:
        return {
            "model": SUB_AGENT_MODEL,
            "messages": self.messages,
            "tools": [self.spec.schema],
            "max_tokens": self.spec.max_tokens,
        }

    def take(self, response: Any) -> tuple[Report | None, list[tuple[str, dict[str, Any]]]]:
        """Book a reply: (the report, if the model answered; the tool calls to run otherwise)."""
        choice = response.choices[0]
        message = choice.message
        self.messages.append(message.model_dump(exclude_none=True, include={"role", "content", "tool_calls"}))
        if not message.tool_calls:
            return Report(self.spec.name, message.content or "", choice.finish_reason), []
        calls = []
        for tc in message.tool_calls:
            try:
                arguments = json.loads(tc.function.arguments or "{}")
            except ValueError:
                arguments = {}
            calls.append((tc.id, arguments))
        return None, calls

    def tool_result(self, call_id: str, result: Any = None, error: BaseException | None = None) -> Report | None:
        """Give a tool's outcome to the model; a report instead when the failure ends the sub-agent."""
        if error is not None and stops_sub_agent(error):
            problem = f"{self.spec.tool.__name__} unavailable ({type(error).__name__}: {error})"
            return Report(self.spec.name, "", None, problem)
        content = {"error": f"{type(error).__name__}: {error}"} if error is not None else result
        self.messages.append({"role": "tool", "tool_call_id": call_id, "content": json.dumps(content)})
        return None


def run_sub_agent(spec: SubAgent, task: str, client: openai.OpenAI) -> Report:
    """A sub-agent with a sync client (tools are sync)."""
    run = SubAgentRun(spec, task)
    with agent_span(spec.name, model=SUB_AGENT_MODEL, request=task):
        for _ in range(MAX_TURNS):
            report, calls = run.take(client.chat.completions.create(**run.params()))
            for call_id, arguments in calls:
                try:
                    report = run.tool_result(call_id, spec.tool(**arguments))
                except Exception as exc:
                    report = run.tool_result(call_id, error=exc)
                if report is not None:
                    break
            if report is not None:
                return report
        return Report(spec.name, "", None, f"no answer after {MAX_TURNS} turns")


async def run_sub_agent_async(spec: SubAgent, task: str, client: openai.AsyncOpenAI) -> Report:
    """A sub-agent with an async client (its tool may be async)."""
    run = SubAgentRun(spec, task)
    with agent_span(spec.name, model=SUB_AGENT_MODEL, request=task):
        for _ in range(MAX_TURNS):
            report, calls = run.take(await client.chat.completions.create(**run.params()))
            for call_id, arguments in calls:
                try:
                    value = spec.tool(**arguments)
                    report = run.tool_result(call_id, await value if inspect.isawaitable(value) else value)
                except Exception as exc:
                    report = run.tool_result(call_id, error=exc)
                if report is not None:
                    break
            if report is not None:
                return report
        return Report(spec.name, "", None, f"no answer after {MAX_TURNS} turns")


# ----------------------------------------------------------------------------------- execution contexts


def in_thread(spec: SubAgent, task: str) -> Report:
    """Run a sub-agent in a worker thread with a copy of the current context (so its spans have our parent)."""
    context = contextvars.copy_context()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            with openai.OpenAI(max_retries=0) as client:
                box["report"] = context.run(run_sub_agent, spec, task, client)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=work, name=f"{spec.name}-worker")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    report: Report = box["report"]
    return report


def in_asyncio_task(spec: SubAgent, task: str) -> Report:
    """Run a sub-agent as an asyncio task (a task copies the current context when it is created)."""

    async def main() -> Report:
        async with openai.AsyncOpenAI(max_retries=0) as client:
            return await asyncio.create_task(run_sub_agent_async(spec, task, client))

    return asyncio.run(main())


def remote(spec: SubAgent, task: str) -> Report:
    """Call a sub-agent "over the network": only a `traceparent` header in a dict carrier crosses over."""
    route = f"/agents/{spec.name}"
    with _tracer.start_as_current_span(
        f"POST {route}", kind=SpanKind.CLIENT, attributes={"http.request.method": "POST", "url.path": route}
    ):
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        request = {"headers": carrier, "body": json.dumps({"agent": spec.name, "task": task})}
        box: dict[str, Any] = {}
        # A plain thread (no context of ours) stands in for the other service's process.
        server = threading.Thread(target=lambda: box.update(response=agent_service(request)), name="agent-service")
        server.start()
        server.join()
    return Report(**json.loads(box["response"]))


def agent_service(request: dict[str, Any]) -> str:
    """The remote side: continue the caller's trace from the carrier, run the agent, answer JSON."""
    body = json.loads(request["body"])
    spec = next(s for s in SUB_AGENTS.values() if s.name == body["agent"])
    parent = propagate.extract(request["headers"])
    with (
        _tracer.start_as_current_span(
            f"POST /agents/{spec.name}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.route": "/agents/{name}"},
        ),
        openai.OpenAI(max_retries=0) as client,
    ):
        report = run_sub_agent(spec, body["task"], client)
    return json.dumps(asdict(report))


#: Which execution context each team's sub-agent runs in.
RUNNERS: dict[str, Callable[[SubAgent, str], Report]] = {
    "billing": in_thread,
    "research": in_asyncio_task,
    "shipping": remote,
    "inventory": in_thread,
}


# ------------------------------------------------------------------------------------------ orchestrator

ORCHESTRATOR_PROMPT = (
    "You orchestrate a customer-support team. First route the ticket with classify_ticket. When the specialists' "
    "reports arrive, write the answer to the customer in two sentences at most."
)


def run_support_orchestrator(request: str) -> SupportAnswer:
    """Handle one support ticket end to end; returns the structured outcome."""
    with (
        openai.OpenAI(max_retries=0) as client,
        agent_span("orchestrator", model=ORCHESTRATOR_MODEL, request=request) as span,
    ):
        result = _orchestrate(client, request)
        span.set_attribute("gen_ai.output.messages", _text_message("assistant", json.dumps(result)))
        return result


def _orchestrate(client: openai.OpenAI, request: str) -> SupportAnswer:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": ORCHESTRATOR_PROMPT},
        {"role": "user", "content": request},
    ]
    response = client.chat.completions.create(model=ORCHESTRATOR_MODEL, messages=messages, tools=[CLASSIFY_SCHEMA])
    message = response.choices[0].message
    messages.append(message.model_dump(exclude_none=True, include={"role", "content", "tool_calls"}))
    teams: list[str] = []
    for tc in message.tool_calls or []:
        routed = classify_ticket(**json.loads(tc.function.arguments))
        teams += [t for t in routed["teams"] if t in SUB_AGENTS and t not in teams]
        messages.append({"role": "tool", "tool_call_id": tc.id, "content": json.dumps(routed)})

    reports = [RUNNERS[team](SUB_AGENTS[team], request) for team in teams]
    agents = [r.agent for r in reports]
    problems = [f"{r.agent}: {r.problem or f'incomplete answer (finish reason {r.finish_reason})'}" for r in reports]
    problems = [p for p, r in zip(problems, reports, strict=True) if not usable(r)]
    if problems:
        return {"status": "needs_review", "answer": None, "agents": agents, "problems": problems}

    notes = "\n".join(f"- {r.agent}: {r.text}" for r in reports)
    messages.append({"role": "user", "content": f"Specialists' reports:\n{notes}\nAnswer the customer now."})
    choice = client.chat.completions.create(model=ORCHESTRATOR_MODEL, messages=messages, max_tokens=120).choices[0]
    final = Report("orchestrator", choice.message.content or "", choice.finish_reason)
    if not usable(final):
        problem = f"orchestrator: incomplete answer (finish reason {final.finish_reason})"
        return {"status": "needs_review", "answer": None, "agents": agents, "problems": [problem]}
    return {"status": "answered", "answer": final.text, "agents": agents, "problems": []}
