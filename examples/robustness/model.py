"""The scripted model: a deterministic stand-in for the LLM that reacts to what the tools returned.

A cassette can replay the model's answers only to the conversation it recorded. Once a perturbation changes a
tool's output, the next request differs and no recording answers it, so the property tests answer the model with
this policy instead: it reads the conversation and decides the next step the way the recorded model did
(`record.py` recorded the cassette by serving this same policy from `FakeLLM`). It runs in process through an
`httpx2.MockTransport`: the real openai SDK and its instrumentation run, no socket is opened.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx2
import openai

RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"
#: The `created` time of every reply (2026-01-01T00:00:00Z), so answers are the same bytes on every run.
CREATED = 1_767_225_600
POLICY_QUERY = "refund for items that arrive broken"
GIVE_UP = "I'm sorry, I could not confirm that our policy covers this; a colleague will get back to you."


@dataclass(frozen=True)
class Decision:
    """One model turn: tool calls `(name, arguments)` or a final text, and its token usage."""

    text: str | None = None
    tool_calls: Sequence[tuple[str, dict[str, Any]]] = ()
    input_tokens: int = 0
    output_tokens: int = 20
    call_ids: Sequence[str] = field(default_factory=tuple)


def _tool_results(messages: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(tool name, content) of every tool message, in order."""
    names: dict[str, str] = {}
    out: list[tuple[str, str]] = []
    for m in messages:
        for tc in m.get("tool_calls") or ():
            names[tc["id"]] = tc["function"]["name"]
        if m.get("role") == "tool":
            out.append((names.get(m.get("tool_call_id", ""), "?"), str(m.get("content", ""))))
    return out


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _allows_refund(policies: Any) -> bool:
    if not isinstance(policies, list):
        return False
    return any(isinstance(p, Mapping) and "refunded in full" in str(p.get("text", "")) for p in policies)


def decide(messages: Sequence[Mapping[str, Any]]) -> Decision:
    """The next turn for a Chat Completions conversation (look up, check the policy, refund, answer)."""
    tokens = 120 + 40 * len(messages)
    results = _tool_results(messages)
    user = next((str(m.get("content")) for m in messages if m.get("role") == "user"), "")
    order_id = (re.findall(r"\b[A-Z]\d{4}\b", user) or ["?"])[0]

    def call(name: str, **arguments: Any) -> Decision:
        ids = (f"call_{name}_{len(messages)}",)
        return Decision(tool_calls=[(name, arguments)], input_tokens=tokens, output_tokens=18, call_ids=ids)

    def answer(text: str) -> Decision:
        return Decision(text=text, input_tokens=tokens, output_tokens=24)

    if not results:
        return call("get_order", order_id=order_id)
    name, content = results[-1]
    if content.startswith("ERROR"):
        return answer(f"I'm sorry, our systems are failing right now ({content[7:60]}); a colleague will follow up.")
    if name == "get_order":
        return call("search_policy", query=POLICY_QUERY)
    if name == "search_policy":
        order = _json(next((c for n, c in results if n == "get_order"), "null"))
        if not _allows_refund(_json(content)) or not isinstance(order, Mapping):
            return answer(GIVE_UP)
        return call("refund_order", order_id=order.get("order_id"), amount=order.get("total"))
    if name == "refund_order":
        refund = _json(content)
        amount = refund.get("amount") if isinstance(refund, Mapping) else "?"
        return answer(f"Done: I refunded {amount} EUR for order {order_id}; sorry about the mug!")
    return answer(GIVE_UP)


def chat_completion(decision: Decision, *, seq: int) -> dict[str, Any]:
    """The Chat Completions response body of one decision."""
    message: dict[str, Any] = {"role": "assistant", "content": decision.text, "refusal": None}
    if decision.tool_calls:
        message["tool_calls"] = [
            {"id": cid, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
            for cid, (name, args) in zip(decision.call_ids, decision.tool_calls, strict=True)
        ]
    usage = {
        "prompt_tokens": decision.input_tokens,
        "completion_tokens": decision.output_tokens,
        "total_tokens": decision.input_tokens + decision.output_tokens,
    }
    return {
        "id": f"chatcmpl-scripted-{seq:03d}",
        "object": "chat.completion",
        "created": CREATED,
        "model": RESPONSE_MODEL,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if decision.tool_calls else "stop",
            }
        ],
        "usage": usage,
    }


def scripted_client() -> openai.OpenAI:
    """An openai client whose requests are answered in process by `decide` (no network, no socket)."""
    seq = 0

    def handle(request: httpx2.Request) -> httpx2.Response:
        nonlocal seq
        if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
            return httpx2.Response(404, json={"error": {"message": f"scripted model: no {request.url.path}"}})
        seq += 1
        body = json.loads(request.content)
        return httpx2.Response(200, json=chat_completion(decide(body["messages"]), seq=seq))

    http_client = httpx2.Client(transport=httpx2.MockTransport(handle))
    return openai.OpenAI(
        base_url="http://scripted-model.invalid/v1",
        api_key="sk-test-not-a-real-key",
        max_retries=0,
        http_client=http_client,
    )
