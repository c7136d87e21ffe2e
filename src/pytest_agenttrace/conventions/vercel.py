"""Vercel AI SDK telemetry (`ai.*`): `ai.*.doGenerate` / `doStream` / `doEmbed` spans are the model calls; the
outer `ai.generateText` / `ai.streamText` / ... spans repeat their usage and are wrappers, never counted."""

from __future__ import annotations

from .._records import SpanRecord
from ._facts import Facts, as_int, as_str_tuple, first
from ._messages import parse_messages

_WRAPPERS = frozenset(
    {"ai.generateText", "ai.streamText", "ai.generateObject", "ai.streamObject", "ai.embed", "ai.embedMany"}
)


#: `extract` returns None for a span without one of these attributes (lets `read_span` skip this module).
CLAIM_KEYS = frozenset({"ai.operationId"})
CLAIM_NAMES: frozenset[str] = frozenset()


def extract(rec: SpanRecord) -> Facts | None:
    a = rec.attributes
    op = a.get("ai.operationId")
    if op is None:
        return None
    if op == "ai.toolCall":
        f = Facts(role="tool")
        f.set("name", first(a, "ai.toolCall.name"))
        f.set("call_id", first(a, "ai.toolCall.id"))
        f.set("arguments", first(a, "ai.toolCall.args", "ai.toolCall.input"))
        f.set("result", first(a, "ai.toolCall.result", "ai.toolCall.output"))
        return f
    if op in _WRAPPERS:
        return Facts(role="llm_wrapper")
    f = Facts(role="llm")
    f.set("provider", first(a, "ai.model.provider"))
    f.set("request_model", first(a, "ai.model.id"))
    f.set("response_model", first(a, "ai.response.model"))
    f.set("response_id", first(a, "ai.response.id"))
    f.set("input_tokens", as_int(first(a, "ai.usage.inputTokens", "ai.usage.promptTokens", "ai.usage.tokens")))
    f.set("output_tokens", as_int(first(a, "ai.usage.outputTokens", "ai.usage.completionTokens")))
    f.set("cache_read_tokens", as_int(first(a, "ai.usage.cachedInputTokens")))
    f.set("finish_reasons", as_str_tuple(first(a, "ai.response.finishReason")))
    prompt = first(a, "ai.prompt.messages", "ai.prompt")
    if prompt is not None:
        f.set("input_messages", parse_messages(prompt))
    text = first(a, "ai.response.text", "ai.response.object")
    calls = first(a, "ai.response.toolCalls")
    outs = list(parse_messages(text, default_role="assistant")) if text is not None else []
    if calls is not None:
        outs.extend(parse_messages({"role": "assistant", "content": parse_messages_calls(calls)}))
    f.set("output_messages", tuple(outs))
    return f


def parse_messages_calls(calls: object) -> list[dict[str, object]]:
    """`ai.response.toolCalls` (`[{toolCallId, toolName, args|input}]`) as tool_call parts."""
    from .._model import parse_json_maybe

    data = parse_json_maybe(calls)
    out: list[dict[str, object]] = []
    if isinstance(data, list):
        for c in data:
            if isinstance(c, dict):
                out.append(
                    {
                        "type": "tool_call",
                        "id": c.get("toolCallId"),
                        "name": c.get("toolName"),
                        "arguments": c.get("args", c.get("input")),
                    }
                )
    return out
