"""Every message shape real instrumentation records, turned into `Message`s in the GenAI "parts" shape.

Shapes understood: GenAI parts (`{"role", "parts": [{"type": "text"|"tool_call"|"tool_call_response"}]}`),
OpenAI chat (`content` + `tool_calls` + `tool_call_id`), OpenAI Responses items (`function_call`,
`function_call_output`, `message`), Anthropic content blocks (`tool_use`, `tool_result`), Gemini parts
(`function_call`, `function_response`), `{"text", "finish_reason"}` completions, and flattened indexed attributes
(`gen_ai.prompt.N.*`, `llm.input_messages.N.message.*`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .._model import Message, OtherPart, Part, TextPart, ToolCallPart, ToolResultPart, parse_json_maybe


def parse_messages(value: Any, *, default_role: str = "user") -> tuple[Message, ...]:
    """Messages from a JSON string, a list of message dicts, a single dict, or plain text."""
    data = parse_json_maybe(value)
    if data is None or data == "":
        return ()
    if isinstance(data, str):
        return (Message(role=default_role, parts=(TextPart(content=data),)),)
    if isinstance(data, Mapping):
        if "messages" in data and isinstance(data["messages"], list):
            return parse_messages(data["messages"], default_role=default_role)
        if "input" in data and isinstance(data["input"], (list, str)) and "role" not in data:
            return parse_messages(data["input"], default_role=default_role)
        if "output" in data and isinstance(data["output"], list) and "role" not in data:
            return parse_messages(data["output"], default_role="assistant")
        if "choices" in data and isinstance(data["choices"], list):
            out = []
            for ch in data["choices"]:
                if isinstance(ch, Mapping):
                    msg = ch.get("message") or ch.get("delta") or {}
                    m = _one(msg, default_role="assistant") if isinstance(msg, Mapping) else None
                    if m is not None:
                        out.append(_with_finish(m, ch.get("finish_reason")))
            return tuple(out)
        m = _one(data, default_role=default_role)
        return (m,) if m is not None else ()
    if isinstance(data, (list, tuple)):
        if len(data) == 1 and isinstance(data[0], list):  # LangChain batches: [[messages]]
            data = data[0]
        out = []
        for item in data:
            if isinstance(item, str):
                out.append(Message(role=default_role, parts=(TextPart(content=item),)))
            elif isinstance(item, Mapping):
                m = _one(item, default_role=default_role)
                if m is not None:
                    out.append(m)
        return tuple(out)
    return ()


def _with_finish(m: Message, finish: Any) -> Message:
    if finish and not m.finish_reason:
        return Message(role=m.role, parts=m.parts, finish_reason=str(finish), name=m.name)
    return m


_LANGCHAIN_ROLES = {
    "human": "user",
    "ai": "assistant",
    "system": "system",
    "tool": "tool",
    "function": "tool",
    "HumanMessage": "user",
    "AIMessage": "assistant",
    "SystemMessage": "system",
    "ToolMessage": "tool",
    "AIMessageChunk": "assistant",
}


def _langchain(d: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A serialized LangChain message (`{"type": "ai", "data": {...}}` or `{"lc": 1, "id": [..., "AIMessage"],
    "kwargs": {...}}`) -> an OpenAI-style message dict; None for anything else."""
    if d.get("lc") == 1 and isinstance(d.get("kwargs"), Mapping) and isinstance(d.get("id"), list) and d["id"]:
        role = _LANGCHAIN_ROLES.get(str(d["id"][-1]))
        body = d["kwargs"]
    elif isinstance(d.get("data"), Mapping) and d.get("type") in _LANGCHAIN_ROLES and "role" not in d:
        role = _LANGCHAIN_ROLES[str(d["type"])]
        body = d["data"]
    else:
        return None
    if role is None:
        return None
    out: dict[str, Any] = {"role": role, "content": body.get("content")}
    calls = body.get("tool_calls")
    if isinstance(calls, list) and calls:
        out["tool_calls"] = [
            {"id": c.get("id"), "function": {"name": c.get("name"), "arguments": c.get("args")}}
            for c in calls
            if isinstance(c, Mapping)
        ]
    if body.get("tool_call_id"):
        out["tool_call_id"] = body["tool_call_id"]
    return out


def _one(d: Mapping[str, Any], *, default_role: str) -> Message | None:
    """One message dict (any known shape) -> Message."""
    lc = _langchain(d)
    if lc is not None:
        d = lc
    typ = d.get("type")
    # OpenAI Responses API items
    if typ == "function_call":
        return Message(
            role="assistant",
            parts=(
                ToolCallPart(
                    id=_s(d.get("call_id") or d.get("id")),
                    name=str(d.get("name", "")),
                    arguments=parse_json_maybe(d.get("arguments")),
                ),
            ),
        )
    if typ == "function_call_output":
        return Message(
            role="tool", parts=(ToolResultPart(id=_s(d.get("call_id")), result=parse_json_maybe(d.get("output"))),)
        )
    if typ in ("reasoning",) and "role" not in d:
        return Message(role="assistant", parts=(OtherPart(type="reasoning", data=d.get("summary")),))

    role = str(d.get("role") or default_role)
    if role == "model":  # Gemini
        role = "assistant"
    finish = d.get("finish_reason") or d.get("finishReason") or d.get("stop_reason")
    parts: list[Part] = []

    if isinstance(d.get("parts"), list):
        for p in d["parts"]:
            parts.extend(_part(p))
    content = d.get("content")
    if content is None and "text" in d and "parts" not in d:
        content = d.get("text")
    event_msg = parse_json_maybe(d.get("message")) if content is None else None
    if isinstance(event_msg, Mapping):  # gen_ai.choice event body
        inner = _one(event_msg, default_role="assistant")
        if inner is not None:
            return _with_finish(inner, finish)
    if isinstance(content, str):
        if role == "tool" or d.get("tool_call_id"):
            parts.append(
                ToolResultPart(
                    id=_s(d.get("tool_call_id") or d.get("id")),
                    result=parse_json_maybe(content),
                    name=_s(d.get("name")),
                )
            )
        elif content:
            parts.append(TextPart(content=content))
    elif isinstance(content, list):
        for p in content:
            if isinstance(p, str):
                parts.append(TextPart(content=p))
            else:
                parts.extend(_part(p))
        if role == "tool" and d.get("tool_call_id") and not any(isinstance(p, ToolResultPart) for p in parts):
            text = "\n".join(p.content for p in parts if isinstance(p, TextPart))
            parts = [ToolResultPart(id=_s(d.get("tool_call_id")), result=parse_json_maybe(text))]
    elif isinstance(content, Mapping):
        parts.extend(_part(content))
    tool_calls = d.get("tool_calls")
    for tc in tool_calls if isinstance(tool_calls, list | tuple) else ():  # anything else is not a call list
        if isinstance(tc, Mapping):
            fn: Mapping[str, Any] = tc["function"] if isinstance(tc.get("function"), Mapping) else tc
            parts.append(
                ToolCallPart(
                    id=_s(tc.get("id")),
                    name=str(fn.get("name", "")),
                    arguments=parse_json_maybe(fn.get("arguments", fn.get("args"))),
                )
            )
    fc = d.get("function_call")
    if isinstance(fc, Mapping) and "parts" not in d:
        parts.append(
            ToolCallPart(id=None, name=str(fc.get("name", "")), arguments=parse_json_maybe(fc.get("arguments")))
        )
    if not parts and not finish:
        return None
    return Message(role=role, parts=tuple(parts), finish_reason=str(finish) if finish else None, name=_s(d.get("name")))


def _part(p: Any) -> list[Part]:
    if isinstance(p, str):
        return [TextPart(content=p)]
    if not isinstance(p, Mapping):
        return []
    typ = p.get("type")
    if typ in ("text", "input_text", "output_text") or (typ is None and isinstance(p.get("text"), str)):
        text = p.get("content") if isinstance(p.get("content"), str) else p.get("text")
        return [TextPart(content=str(text or ""))]
    if typ in ("tool_call", "tool_use", "function_call"):
        return [
            ToolCallPart(
                id=_s(p.get("id") or p.get("call_id")),
                name=str(p.get("name", "")),
                arguments=parse_json_maybe(p.get("arguments", p.get("input"))),
            )
        ]
    if typ in ("tool_call_response", "tool_result", "function_call_output"):
        result = p.get("response", p.get("result", p.get("content", p.get("output"))))
        if isinstance(result, list) and all(isinstance(x, Mapping) and x.get("type") == "text" for x in result):
            result = "\n".join(str(x.get("text", "")) for x in result)
        return [
            ToolResultPart(
                id=_s(p.get("id") or p.get("tool_use_id") or p.get("call_id")),
                result=parse_json_maybe(result),
                name=_s(p.get("name")),
            )
        ]
    # Gemini / ADK parts
    fc = p.get("function_call") or p.get("functionCall")
    if isinstance(fc, Mapping):
        return [
            ToolCallPart(
                id=_s(fc.get("id")),
                name=str(fc.get("name", "")),
                arguments=parse_json_maybe(fc.get("args", fc.get("arguments"))),
            )
        ]
    fr = p.get("function_response") or p.get("functionResponse")
    if isinstance(fr, Mapping):
        return [ToolResultPart(id=_s(fr.get("id")), result=fr.get("response"), name=_s(fr.get("name")))]
    if typ is None and not p:
        return []
    return [OtherPart(type=str(typ or "unknown"), data=dict(p))]


def _s(v: Any) -> str | None:
    return None if v is None or v == "" else str(v)


# --------------------------------------------------------------------------------------- indexed attributes

_INDEX = re.compile(r"^(\d+)\.(.+)$")


def _unflatten(attrs: Mapping[str, Any], prefix: str) -> dict[int, dict[str, Any]]:
    """`{prefix.0.role: x, prefix.0.tool_calls.1.name: y}` -> `{0: {"role": x, "tool_calls.1.name": y}}`."""
    out: dict[int, dict[str, Any]] = {}
    plen = len(prefix)
    for k, v in attrs.items():
        if not k.startswith(prefix):
            continue
        m = _INDEX.match(k[plen:])
        if m:
            out.setdefault(int(m.group(1)), {})[m.group(2)] = v
    return out


def _sub_indexed(flat: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    groups = _unflatten(flat, prefix)
    return [groups[i] for i in sorted(groups)]


def indexed_genai_messages(attrs: Mapping[str, Any], prefix: str, *, default_role: str) -> tuple[Message, ...]:
    """Legacy OpenLLMetry-style `gen_ai.prompt.N.role/content/tool_calls.K.*` (also `llm.prompts.N.*`)."""
    out = []
    for flat in _sub_indexed(attrs, prefix + "."):
        d: dict[str, Any] = {"role": flat.get("role") or default_role}
        content = flat.get("content")
        if content is not None:
            parsed = parse_json_maybe(content)
            d["content"] = parsed if isinstance(parsed, list) else content
        if flat.get("tool_call_id"):
            d["tool_call_id"] = flat["tool_call_id"]
        if flat.get("finish_reason"):
            d["finish_reason"] = flat["finish_reason"]
        calls = _sub_indexed(flat, "tool_calls.")
        if calls:
            d["tool_calls"] = [
                {"id": c.get("id"), "function": {"name": c.get("name"), "arguments": c.get("arguments")}} for c in calls
            ]
        fc_name = flat.get("function_call.name")
        if fc_name:
            d.setdefault("tool_calls", []).append(
                {"id": None, "function": {"name": fc_name, "arguments": flat.get("function_call.arguments")}}
            )
        m = _one(d, default_role=default_role)
        if m is not None:
            out.append(m)
    return tuple(out)


def indexed_openinference_messages(attrs: Mapping[str, Any], prefix: str, *, default_role: str) -> tuple[Message, ...]:
    """OpenInference `llm.input_messages.N.message.*` (role, content, contents.M.message_content.*, tool_calls)."""
    out = []
    for flat in _sub_indexed(attrs, prefix + "."):
        role = flat.get("message.role") or default_role
        if role == "model":  # Gemini
            role = "assistant"
        parts: list[Part] = []
        contents = _sub_indexed(flat, "message.contents.")
        for c in contents:
            typ = c.get("message_content.type", "text")
            if typ == "text":
                parts.append(TextPart(content=str(c.get("message_content.text", ""))))
            else:
                parts.append(OtherPart(type=str(typ), data={k.split(".", 1)[-1]: v for k, v in c.items()}))
        content = flat.get("message.content")
        tool_call_id = flat.get("message.tool_call_id")
        if isinstance(content, str):
            if role == "tool" or tool_call_id:
                parts.append(
                    ToolResultPart(
                        id=_s(tool_call_id), result=parse_json_maybe(content), name=_s(flat.get("message.name"))
                    )
                )
            elif content:
                parts.append(TextPart(content=content))
        elif (role == "tool" or tool_call_id) and parts:
            text = "\n".join(p.content for p in parts if isinstance(p, TextPart))
            parts = [ToolResultPart(id=_s(tool_call_id), result=parse_json_maybe(text))]
        for tc in _sub_indexed(flat, "message.tool_calls."):
            parts.append(
                ToolCallPart(
                    id=_s(tc.get("tool_call.id")),
                    name=str(tc.get("tool_call.function.name", "")),
                    arguments=parse_json_maybe(tc.get("tool_call.function.arguments")),
                )
            )
        if parts:
            out.append(Message(role=str(role), parts=tuple(parts), name=_s(flat.get("message.name"))))
    return tuple(out)
