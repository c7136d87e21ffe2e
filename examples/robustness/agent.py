"""A refund agent (openai SDK, Chat Completions) whose tool calls can fail, and a variant with a planted bug.

The agent looks the order up, checks the refund policy, refunds when the policy allows it, and answers in text.
Tools go through `@pytest_agenttrace.tool` (replayable, one `execute_tool` span each); model calls are recorded by
`opentelemetry-instrumentation-openai-v2` (see conftest.py); the agent opens one `invoke_agent` span.

`RefundAgent` retries a failing read-only tool once and never retries `refund_order` (a refund is not
idempotent). `BuggyRefundAgent` is the planted robustness bug: it retries every failing tool until it works,
bounded only by a high cap, so one broken backend turns one request into a hundred tool calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import openai
from opentelemetry import trace

import pytest_agenttrace

AGENT_NAME = "refund_agent"
MODEL = "gpt-4o-mini"
SYSTEM_PROMPT = (
    "You are the refund assistant of an online shop. Look the order up with get_order, check the refund policy "
    "with search_policy, and refund with refund_order only when a policy allows it. Answer in one sentence."
)
REQUEST = "My mug from order A1043 arrived broken. Can I get my money back?"

_tracer = trace.get_tracer("examples.robustness")


# ------------------------------------------------------------------------------------------- the toy shop


@dataclass
class Shop:
    """An in-memory shop: orders, refund policies and the refunds made."""

    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        self.orders = {"A1043": {"order_id": "A1043", "item": "mug", "total": 25.0, "status": "delivered"}}
        self.refunds = []


SHOP = Shop()
SHOP.reset()

POLICIES = [
    {"id": "P1", "title": "Damaged on arrival", "text": "Items that arrive broken are refunded in full."},
    {"id": "P2", "title": "Returns", "text": "Unused items can be returned within 30 days."},
    {"id": "P3", "title": "Late delivery", "text": "Late deliveries get a 10% voucher."},
]


@pytest_agenttrace.tool
def get_order(order_id: str) -> dict[str, Any]:
    """Look an order up by its id."""
    return dict(SHOP.orders[order_id])


@pytest_agenttrace.tool
def search_policy(query: str) -> list[dict[str, str]]:
    """Search the refund policies: those sharing a word with the query, most shared words first."""
    words = set(query.lower().split())
    scored = [(len(words & set(p["text"].lower().rstrip(".").split())), i) for i, p in enumerate(POLICIES)]
    return [dict(POLICIES[i]) for score, i in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0]


@pytest_agenttrace.tool
def refund_order(order_id: str, amount: float) -> dict[str, Any]:
    """Refund an order (not idempotent: every call pays out)."""
    refund = {"refund_id": f"R-{len(SHOP.refunds) + 1001}", "order_id": order_id, "amount": amount}
    SHOP.refunds.append(refund)
    return {**refund, "status": "refunded"}


TOOLS = {"get_order": get_order, "search_policy": search_policy, "refund_order": refund_order}
#: Tools whose retry could repeat a side effect.
NOT_IDEMPOTENT = frozenset({"refund_order"})


def _schema(name: str, description: str, **props: str) -> dict[str, Any]:
    parameters = {"type": "object", "properties": {k: {"type": v} for k, v in props.items()}, "required": list(props)}
    return {"type": "function", "function": {"name": name, "description": description, "parameters": parameters}}


TOOL_SCHEMAS = [
    _schema("get_order", "Look an order up by its id.", order_id="string"),
    _schema("search_policy", "Search the refund policies.", query="string"),
    _schema("refund_order", "Refund an order.", order_id="string", amount="number"),
]


# ------------------------------------------------------------------------------------------ the agent loop


class RefundAgent:
    """The model/tool loop. A failing tool's error goes back to the model as the tool's answer."""

    #: Model calls before the agent gives up.
    max_turns = 8
    #: Attempts per call of a read-only tool (one retry for a transient failure).
    tool_attempts = 2

    def __init__(self, client: openai.OpenAI) -> None:
        self.client = client

    def run(self, request: str = REQUEST) -> str:
        """Answer one customer request; returns the model's final text."""
        attributes = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": AGENT_NAME}
        with _tracer.start_as_current_span(f"invoke_agent {AGENT_NAME}", attributes=attributes) as span:
            answer = self._loop(request)
            output = [{"role": "assistant", "parts": [{"type": "text", "content": answer}]}]
            span.set_attribute("gen_ai.output.messages", json.dumps(output))
            return answer

    def _loop(self, request: str) -> str:
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": request},
        ]
        for _ in range(self.max_turns):
            response = self.client.chat.completions.create(model=MODEL, messages=messages, tools=TOOL_SCHEMAS)
            message = response.choices[0].message
            messages.append(message.model_dump(exclude_none=True, include={"role", "content", "tool_calls"}))
            if not message.tool_calls:
                return message.content or ""
            for tool_call in message.tool_calls:
                content = self.call_tool(tool_call.function.name, json.loads(tool_call.function.arguments or "{}"))
                messages.append({"role": "tool", "tool_call_id": tool_call.id, "content": content})
        return "Sorry, I could not finish your request; a colleague will get back to you."

    def call_tool(self, name: str, arguments: dict[str, Any]) -> str:
        """Run one tool call; the result (or the last error) as the text the model reads."""
        attempts = 1 if name in NOT_IDEMPOTENT else self.tool_attempts
        error: Exception | None = None
        for _ in range(attempts):
            try:
                return json.dumps(TOOLS[name](**arguments))
            except Exception as exc:
                error = exc
        return f"ERROR: {type(error).__name__}: {error}"


class BuggyRefundAgent(RefundAgent):
    """PLANTED BUG: retries every failing tool "until it works", bounded only by a high cap.

    A backend that stays down costs 100 tool calls per request (and a failed refund would be paid out again).
    """

    tool_attempts = 100

    def call_tool(self, name: str, arguments: dict[str, Any]) -> str:
        error: Exception | None = None
        for _ in range(self.tool_attempts):
            try:
                return json.dumps(TOOLS[name](**arguments))
            except Exception as exc:
                error = exc
        return f"ERROR: {type(error).__name__}: {error}"
