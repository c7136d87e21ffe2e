"""Small tool-calling agents written against the real SDKs, as a user's agent code would be (used by the tests).

Each runs the model/tool loop until the model stops calling tools and returns (tool names called, final text).
Tools are the toy shop tools routed through the `@tool` chokepoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import cassette_support  # noqa: F401  (puts fixtures/scripts on sys.path)
from shop import get_order as _get_order
from shop import refund_order as _refund_order
from shop import search_kb as _search_kb

from pytest_agenttrace.cassettes import tool

SYSTEM = "You are a refund assistant. Look the order up before refunding."
REAL_CALLS: list[tuple[str, dict[str, Any]]] = []


@tool
def get_order(order_id: str) -> dict[str, Any]:
    REAL_CALLS.append(("get_order", {"order_id": order_id}))
    return _get_order(order_id)


@tool
def refund_order(order_id: str, amount: float) -> dict[str, Any]:
    REAL_CALLS.append(("refund_order", {"order_id": order_id, "amount": amount}))
    return _refund_order(order_id, amount)


@tool
def search_kb(query: str) -> dict[str, Any]:
    REAL_CALLS.append(("search_kb", {"query": query}))
    return _search_kb(query)


TOOLS: dict[str, Callable[..., Any]] = {"get_order": get_order, "refund_order": refund_order, "search_kb": search_kb}
_PARAMS = {
    "get_order": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
    "refund_order": {
        "type": "object",
        "properties": {"order_id": {"type": "string"}, "amount": {"type": "number"}},
        "required": ["order_id", "amount"],
    },
    "search_kb": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
}
CHAT_TOOLS = [{"type": "function", "function": {"name": n, "parameters": p}} for n, p in _PARAMS.items()]
RESPONSES_TOOLS = [{"type": "function", "name": n, "parameters": p} for n, p in _PARAMS.items()]
ANTHROPIC_TOOLS = [{"name": n, "input_schema": p} for n, p in _PARAMS.items()]


def run_tool(name: str, arguments: dict[str, Any]) -> str:
    try:
        return json.dumps(TOOLS[name](**arguments))
    except Exception as exc:
        return json.dumps({"error": f"{type(exc).__name__}: {exc}"})


def chat_agent(
    client: Any, prompt: str, *, model: str = "gpt-4o-mini", stream: bool = False, system: str = SYSTEM
) -> tuple[list[str], str]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
    names: list[str] = []
    for _ in range(8):
        if stream:
            with client.chat.completions.stream(
                model=model, messages=messages, tools=CHAT_TOOLS, stream_options={"include_usage": True}
            ) as s:
                msg = s.get_final_completion().choices[0].message
        else:
            msg = client.chat.completions.create(model=model, messages=messages, tools=CHAT_TOOLS).choices[0].message
        messages.append(msg.model_dump(exclude_none=True, include={"role", "content", "tool_calls"}))
        if not msg.tool_calls:
            return names, msg.content or ""
        for tc in msg.tool_calls:
            names.append(tc.function.name)
            out = run_tool(tc.function.name, json.loads(tc.function.arguments))
            messages.append({"role": "tool", "tool_call_id": tc.id, "content": out})
    raise AssertionError("the agent did not finish in 8 turns")


async def async_chat_agent(
    client: Any, prompt: str, *, model: str = "gpt-4o-mini", stream: bool = False
) -> tuple[list[str], str]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
    names: list[str] = []
    for _ in range(8):
        if stream:
            async with client.chat.completions.stream(
                model=model, messages=messages, tools=CHAT_TOOLS, stream_options={"include_usage": True}
            ) as s:
                msg = (await s.get_final_completion()).choices[0].message
        else:
            resp = await client.chat.completions.create(model=model, messages=messages, tools=CHAT_TOOLS)
            msg = resp.choices[0].message
        messages.append(msg.model_dump(exclude_none=True, include={"role", "content", "tool_calls"}))
        if not msg.tool_calls:
            return names, msg.content or ""
        for tc in msg.tool_calls:
            names.append(tc.function.name)
            out = run_tool(tc.function.name, json.loads(tc.function.arguments))
            messages.append({"role": "tool", "tool_call_id": tc.id, "content": out})
    raise AssertionError("the agent did not finish in 8 turns")


def responses_agent(
    client: Any, prompt: str, *, model: str = "gpt-4o-mini", stream: bool = False
) -> tuple[list[str], str]:
    items: list[Any] = [{"role": "user", "content": prompt}]
    names: list[str] = []
    for _ in range(8):
        if stream:
            with client.responses.stream(model=model, instructions=SYSTEM, input=items, tools=RESPONSES_TOOLS) as s:
                resp = s.get_final_response()
        else:
            resp = client.responses.create(model=model, instructions=SYSTEM, input=items, tools=RESPONSES_TOOLS)
        calls = [o for o in resp.output if o.type == "function_call"]
        items.extend(o.model_dump(exclude_none=True) for o in resp.output)
        if not calls:
            return names, resp.output_text
        for c in calls:
            names.append(c.name)
            out = run_tool(c.name, json.loads(c.arguments))
            items.append({"type": "function_call_output", "call_id": c.call_id, "output": out})
    raise AssertionError("the agent did not finish in 8 turns")


def anthropic_agent(
    client: Any, prompt: str, *, model: str = "claude-haiku-4-5", stream: bool = False, system: str = SYSTEM
) -> tuple[list[str], str]:
    messages: list[Any] = [{"role": "user", "content": prompt}]
    names: list[str] = []
    for _ in range(8):
        kwargs = {"model": model, "max_tokens": 1024, "system": system, "tools": ANTHROPIC_TOOLS}
        if stream:
            with client.messages.stream(**kwargs, messages=messages) as s:
                message = s.get_final_message()
        else:
            message = client.messages.create(**kwargs, messages=messages)
        messages.append({"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in message.content]})
        results = []
        for block in message.content:
            if block.type == "tool_use":
                names.append(block.name)
                out = run_tool(block.name, dict(block.input))
                results.append({"type": "tool_result", "tool_use_id": block.id, "content": out})
        if not results:
            return names, "".join(b.text for b in message.content if b.type == "text")
        messages.append({"role": "user", "content": results})
    raise AssertionError("the agent did not finish in 8 turns")
