"""A refund agent written with the `anthropic` SDK (Messages API, tool use) and three tools.

The anthropic SDK (2.x) traces itself: every `messages.create` is a span `anthropic.messages.create` with GenAI
attributes, sent to the global OpenTelemetry tracer provider; `open_telemetry=` below asks it to record message
content too. `@pytest_agenttrace.tool` records (and lets a test replay) each tool call, and the agent opens one
`invoke_agent refund_agent` span. The client reads `ANTHROPIC_API_KEY` and `ANTHROPIC_BASE_URL` as usual.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypedDict

import anthropic
from opentelemetry import trace
from opentelemetry.trace import Span

import pytest_agenttrace

AGENT_NAME = "refund_agent"
#: A current model: the SDK warns (an error under `-W error`) for deprecated ones such as claude-sonnet-4-5.
MODEL = "claude-haiku-4-5"
MAX_TOKENS = 1024
#: The agent gives up (status "needs_review") after this many model calls.
MAX_TURNS = 6
#: How often one tool may run with the same arguments in a conversation; the model asking once more means it is
#: stuck, and the agent hands over (status "needs_review"). The fix for the search_kb loop incident (README.md).
MAX_SAME_CALL = 1
SYSTEM_PROMPT = (
    "You are the refund assistant of an online shop. Look the order up with get_order before refunding it, "
    "refund at most the order total with refund_order, and use search_kb for policy and status questions. "
    'When you are done, answer with one JSON object only: {"status": "refunded" | "refused" | "needs_review", '
    '"order_id": "<id or null>", "refunded": <amount refunded, 0 if none>}.'
)
STATUSES = ("refunded", "refused", "needs_review")

_tracer = trace.get_tracer("examples.refund_anthropic")


class RefundResult(TypedDict):
    """What the agent returns (and records as its output)."""

    status: str
    order_id: str | None
    refunded: float


NEEDS_REVIEW: RefundResult = {"status": "needs_review", "order_id": None, "refunded": 0.0}

# ------------------------------------------------------------------------------------------- the toy shop

ORDERS: dict[str, dict[str, Any]] = {
    "A1043": {"order_id": "A1043", "status": "delivered", "total": 25.0, "currency": "EUR", "item": "mug"},
    "A1044": {"order_id": "A1044", "status": "delivered", "total": 80.0, "currency": "EUR", "item": "lamp"},
}
REFUNDS: list[dict[str, Any]] = []


@pytest_agenttrace.tool
def get_order(order_id: str) -> dict[str, Any]:
    """Look an order up by its id."""
    if order_id not in ORDERS:
        raise KeyError(f"no order {order_id!r}")
    return dict(ORDERS[order_id])


@pytest_agenttrace.tool
def refund_order(order_id: str, amount: float) -> dict[str, Any]:
    """Refund (part of) an order."""
    order = ORDERS.get(order_id)
    if order is None:
        raise KeyError(f"no order {order_id!r}")
    if amount <= 0 or amount > order["total"]:
        raise ValueError(f"refund of {amount} is outside 0..{order['total']} for order {order_id}")
    refund = {"order_id": order_id, "refunded": amount, "status": "refund_pending"}
    REFUNDS.append(refund)
    return refund


@pytest_agenttrace.tool
def search_kb(query: str) -> dict[str, Any]:
    """Search the help-center knowledge base (it knows policies, not individual refunds)."""
    articles = {"broken": "Items that arrive broken are refunded in full; no return is needed."}
    return {"query": query, "hits": [text for key, text in articles.items() if key in query.lower()]}


TOOLS = {"get_order": get_order, "refund_order": refund_order, "search_kb": search_kb}


def _tool(name: str, description: str, **props: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "input_schema": {
            "type": "object",
            "properties": {k: {"type": v} for k, v in props.items()},
            "required": list(props),
        },
    }


TOOL_SCHEMAS = [
    _tool("get_order", "Look an order up by its id.", order_id="string"),
    _tool("refund_order", "Refund (part of) an order.", order_id="string", amount="number"),
    _tool("search_kb", "Search the help-center knowledge base.", query="string"),
]


def reset_shop() -> None:
    """Forget the refunds made (tests and the record script start from the same state)."""
    REFUNDS.clear()


# ------------------------------------------------------------------------------------------ the agent loop


@dataclass
class Conversation:
    """One refund conversation: the messages so far and the tool calls already made."""

    request: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    #: How often each tool call ran, by (name, arguments as sorted JSON).
    made: Counter[tuple[str, str]] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.messages = [{"role": "user", "content": self.request}]

    def step(self, client: anthropic.Anthropic) -> RefundResult | None:
        """One model call, then the tools it asked for (None: call the model again) or its parsed answer."""
        message = client.messages.create(
            model=MODEL, max_tokens=MAX_TOKENS, system=SYSTEM_PROMPT, tools=TOOL_SCHEMAS, messages=self.messages
        )
        self.messages.append(
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in message.content]}
        )
        uses = [b for b in message.content if b.type == "tool_use"]
        if not uses:
            text = "".join(b.text for b in message.content if b.type == "text")
            return parse_result(text)
        keys = [(use.name, json.dumps(use.input, sort_keys=True)) for use in uses]
        if any(self.made[key] >= MAX_SAME_CALL for key in keys):
            return dict(NEEDS_REVIEW)  # type: ignore[return-value]  # the same call cannot give another answer
        self.made.update(keys)
        results = []
        for use in uses:
            content, failed = run_tool(use.name, use.input)
            results.append({"type": "tool_result", "tool_use_id": use.id, "content": content, "is_error": failed})
        self.messages.append({"role": "user", "content": results})
        return None


def run_tool(name: str, arguments: Any) -> tuple[str, bool]:
    """Run one tool call: (content for the model, whether it failed)."""
    fn = TOOLS.get(name)
    if fn is None or not isinstance(arguments, dict):
        return f"unknown tool or bad arguments: {name}({arguments!r})", True
    try:
        return json.dumps(fn(**arguments)), False
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}", True


def parse_result(text: str) -> RefundResult:
    """The model's final JSON answer as a `RefundResult`; anything malformed becomes `needs_review`."""
    try:
        data = json.loads(text)
        status, order_id = data["status"], data.get("order_id")
        refunded = float(data.get("refunded") or 0.0)
    except (ValueError, TypeError, KeyError, AttributeError):
        return dict(NEEDS_REVIEW)  # type: ignore[return-value]
    if status not in STATUSES or not (order_id is None or isinstance(order_id, str)):
        return dict(NEEDS_REVIEW)  # type: ignore[return-value]
    return {"status": status, "order_id": order_id, "refunded": refunded}


def _text_message(role: str, text: str) -> str:
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": text}]}])


@contextmanager
def _agent_span(request: str) -> Iterator[Span]:
    attributes = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": AGENT_NAME,
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": MODEL,
        "gen_ai.input.messages": _text_message("user", request),
    }
    with _tracer.start_as_current_span(f"invoke_agent {AGENT_NAME}", attributes=attributes) as span:
        yield span


def make_client() -> anthropic.Anthropic:
    """A client whose own spans carry message content (an explicit option: the SDK then ignores its
    ANTHROPIC_OPEN_TELEMETRY_* environment variables). Spans go to the global tracer provider."""
    return anthropic.Anthropic(max_retries=0, open_telemetry={"traces": {"content_mode": "content"}})


def run_refund_agent(request: str, *, client: anthropic.Anthropic | None = None) -> RefundResult:
    """Handle one customer request (with a new client, closed after, when none is given)."""
    if client is None:
        with make_client() as own:
            return run_refund_agent(request, client=own)
    conversation = Conversation(request)
    with _agent_span(request) as span:
        result: RefundResult = dict(NEEDS_REVIEW)  # type: ignore[assignment]
        for _ in range(MAX_TURNS):
            answer = conversation.step(client)
            if answer is not None:
                result = answer
                break
        span.set_attribute("gen_ai.output.messages", _text_message("assistant", json.dumps(result)))
        return result
