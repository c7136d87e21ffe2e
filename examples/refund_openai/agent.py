"""A refund agent written with the `openai` SDK (Chat Completions, sync and async) and three tools.

The model is told to look the order up, refund it, and answer with a JSON object; the agent returns that object
as a `RefundResult`. Instrumentation is the application's business: `opentelemetry-instrumentation-openai-v2`
records each model call (see conftest.py), `@pytest_agenttrace.tool` records each tool call (and lets a test
replay it), and the agent itself opens one `invoke_agent refund_agent` span (OTel API, GenAI conventions).

The client is configured the usual way: `OPENAI_API_KEY` and `OPENAI_BASE_URL` from the environment.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypedDict

import openai
from opentelemetry import trace
from opentelemetry.trace import Span

import pytest_agenttrace

AGENT_NAME = "refund_agent"
MODEL = "gpt-4o-mini"
#: The agent gives up (status "needs_review") after this many model calls.
MAX_TURNS = 6
SYSTEM_PROMPT = (
    "You are the refund assistant of an online shop. Look the order up with get_order before refunding it, "
    "refund at most the order total with refund_order, and use search_kb for policy questions. When you are done, "
    'answer with one JSON object only: {"status": "refunded" | "refused" | "needs_review", '
    '"order_id": "<id or null>", "refunded": <amount refunded, 0 if none>}.'
)
STATUSES = ("refunded", "refused", "needs_review")

_tracer = trace.get_tracer("examples.refund_openai")


class RefundResult(TypedDict):
    """What the agent returns (and records as its output): the outcome of one refund request."""

    status: str
    order_id: str | None
    refunded: float


# ------------------------------------------------------------------------------------------- the toy shop


@dataclass
class Shop:
    """An in-memory shop: orders and the refunds made against them."""

    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        self.orders = {
            "A1043": {"order_id": "A1043", "status": "delivered", "total": 25.0, "currency": "EUR", "item": "mug"},
            "A1044": {"order_id": "A1044", "status": "delivered", "total": 80.0, "currency": "EUR", "item": "lamp"},
        }
        self.refunds = []


SHOP = Shop()
SHOP.reset()

KB = {
    "broken": "Items that arrive broken are refunded in full; no return is needed.",
    "late": "Late deliveries get a 10% voucher, not a refund.",
}


@pytest_agenttrace.tool
def get_order(order_id: str) -> dict[str, Any]:
    """Look an order up by its id."""
    order = SHOP.orders.get(order_id)
    if order is None:
        raise KeyError(f"no order {order_id!r}")
    return dict(order)


@pytest_agenttrace.tool
def refund_order(order_id: str, amount: float) -> dict[str, Any]:
    """Refund (part of) an order."""
    order = SHOP.orders.get(order_id)
    if order is None:
        raise KeyError(f"no order {order_id!r}")
    if amount <= 0 or amount > order["total"]:
        raise ValueError(f"refund of {amount} is outside 0..{order['total']} for order {order_id}")
    refund = {"order_id": order_id, "refunded": amount, "status": "refund_pending"}
    SHOP.refunds.append(refund)
    return refund


@pytest_agenttrace.tool
def search_kb(query: str) -> dict[str, Any]:
    """Search the help-center knowledge base."""
    hits = [text for key, text in KB.items() if key in query.lower()]
    return {"query": query, "hits": hits}


TOOLS = {"get_order": get_order, "refund_order": refund_order, "search_kb": search_kb}


def _schema(name: str, description: str, **props: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {k: {"type": v} for k, v in props.items()},
                "required": list(props),
            },
        },
    }


TOOL_SCHEMAS = [
    _schema("get_order", "Look an order up by its id.", order_id="string"),
    _schema("refund_order", "Refund (part of) an order.", order_id="string", amount="number"),
    _schema("search_kb", "Search the help-center knowledge base.", query="string"),
]


# ------------------------------------------------------------------------------------------ the agent loop


def refusal_reason(order_id: Any, *, looked_up: set[str]) -> str | None:
    """Why a refund the model asked for must not run (None: it may). The fix for the wrong-order incident
    (README.md): a refund only goes to an order this conversation looked up with get_order."""
    if order_id not in looked_up:
        known = ", ".join(sorted(looked_up)) or "none"
        return (
            f"refused: order {order_id!r} was not looked up in this conversation (looked up: {known}). "
            "Refund only the order the customer asked about, after get_order."
        )
    return None


@dataclass
class Conversation:
    """The state of one refund conversation, shared by the sync and async drivers."""

    request: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    #: Orders get_order returned in this conversation (the only ones refund_order may touch).
    looked_up: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": self.request}]

    def params(self) -> dict[str, Any]:
        return {
            "model": MODEL,
            "messages": self.messages,
            "tools": TOOL_SCHEMAS,
            "response_format": {"type": "json_object"},
        }

    def take(self, response: Any) -> RefundResult | None:
        """Book one model reply: run the tools it asks for (None: ask the model again) or parse its answer."""
        message = response.choices[0].message
        self.messages.append(message.model_dump(exclude_none=True, include={"role", "content", "tool_calls"}))
        if not message.tool_calls:
            return parse_result(message.content)
        for tool_call in message.tool_calls:
            content = self.run_tool(tool_call.function.name, tool_call.function.arguments)
            self.messages.append({"role": "tool", "tool_call_id": tool_call.id, "content": content})
        return None

    def run_tool(self, name: str, raw_arguments: str) -> str:
        """Run one tool call; any failure goes back to the model as an error message."""
        try:
            arguments = json.loads(raw_arguments or "{}")
            fn = TOOLS[name]
        except (ValueError, KeyError):
            return json.dumps({"error": f"unknown tool or bad arguments: {name}({raw_arguments})"})
        if name == "refund_order":
            reason = refusal_reason(arguments.get("order_id"), looked_up=self.looked_up)
            if reason is not None:
                return json.dumps({"error": reason})  # the model is told, and may correct itself
        try:
            result = fn(**arguments)
        except Exception as exc:
            return json.dumps({"error": f"{type(exc).__name__}: {exc}"})
        if name == "get_order":
            self.looked_up.add(result["order_id"])
        return json.dumps(result)


def parse_result(content: str | None) -> RefundResult:
    """The model's final JSON answer as a `RefundResult`; anything malformed becomes `needs_review`."""
    try:
        data = json.loads(content or "")
        status = data["status"]
        order_id = data.get("order_id")
        refunded = float(data.get("refunded") or 0.0)
    except (ValueError, TypeError, KeyError, AttributeError):
        return {"status": "needs_review", "order_id": None, "refunded": 0.0}
    if status not in STATUSES or not (order_id is None or isinstance(order_id, str)):
        return {"status": "needs_review", "order_id": None, "refunded": 0.0}
    return {"status": status, "order_id": order_id, "refunded": refunded}


def _text_message(role: str, text: str) -> str:
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": text}]}])


@contextmanager
def _agent_span(request: str) -> Iterator[Span]:
    """The `invoke_agent refund_agent` span (GenAI semantic conventions), holding the request and the result."""
    attributes = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": AGENT_NAME,
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": MODEL,
        "gen_ai.input.messages": _text_message("user", request),
    }
    with _tracer.start_as_current_span(f"invoke_agent {AGENT_NAME}", attributes=attributes) as span:
        yield span


def _finish(span: Span, result: RefundResult) -> RefundResult:
    span.set_attribute("gen_ai.output.messages", _text_message("assistant", json.dumps(result)))
    return result


def run_refund_agent(request: str, *, client: openai.OpenAI | None = None) -> RefundResult:
    """Handle one customer request with a sync client (a new one, closed after, when none is given)."""
    if client is None:
        with openai.OpenAI(max_retries=0) as own:
            return run_refund_agent(request, client=own)
    conversation = Conversation(request)
    with _agent_span(request) as span:
        for _ in range(MAX_TURNS):
            result = conversation.take(client.chat.completions.create(**conversation.params()))
            if result is not None:
                return _finish(span, result)
        return _finish(span, {"status": "needs_review", "order_id": None, "refunded": 0.0})


async def run_refund_agent_async(request: str, *, client: openai.AsyncOpenAI | None = None) -> RefundResult:
    """`run_refund_agent` with an `openai.AsyncOpenAI` client (the tools are the same sync functions)."""
    if client is None:
        async with openai.AsyncOpenAI(max_retries=0) as own:
            return await run_refund_agent_async(request, client=own)
    conversation = Conversation(request)
    with _agent_span(request) as span:
        for _ in range(MAX_TURNS):
            result = conversation.take(await client.chat.completions.create(**conversation.params()))
            if result is not None:
                return _finish(span, result)
        return _finish(span, {"status": "needs_review", "order_id": None, "refunded": 0.0})
