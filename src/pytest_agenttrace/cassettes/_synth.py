"""Provider HTTP responses synthesized from a trace's recorded answers (OpenAI Chat, OpenAI Responses, Anthropic).

A trace holds what the model answered (output messages, usage, finish reason, model), not the HTTP exchange.
At replay time the answer is rendered in the wire format of the request the agent actually sends: the path picks
the API (`/chat/completions`, `/responses`, `/messages`), `"stream": true` picks SSE, and
`stream_options.include_usage` adds the usage chunk. `synthesize_http` writes the same responses as plain vcrpy
interactions, for use outside this plugin.

Matching a synthesized answer cannot be exact on the request body (the trace does not hold the full request), so
it is by order plus a check: the model, the system prompt and the messages new in this call (user text, tool
results) must agree with the recording, each when the recording has it. Reasoning parts are not rendered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._model import Message, OtherPart, TextPart, ToolCallPart, ToolResultPart, parse_json_maybe
from ._format import Cassette, LLMInteraction, split_input
from ._normalize import canonical

if TYPE_CHECKING:
    from .._model import Trace

__all__ = [
    "API_PATHS",
    "api_for_path",
    "expected_view",
    "render_response",
    "sent_view",
    "synthesize_http",
]

#: The `created` timestamp of synthesized answers (2026-01-01T00:00:00Z): stable bytes from run to run.
CREATED = 1_767_225_600
#: API name -> request path (the default OpenAI / Anthropic paths; any path ending like these is recognized).
API_PATHS: dict[str, str] = {"chat": "/v1/chat/completions", "responses": "/v1/responses", "messages": "/v1/messages"}
_TO_CHAT_FINISH = {
    "tool_call": "tool_calls",
    "tool_use": "tool_calls",
    "function_call": "tool_calls",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "max_output_tokens": "length",
    "refusal": "content_filter",
}
_TO_ANTHROPIC = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}


def api_for_path(path: str) -> str | None:
    """`chat`, `responses` or `messages` for an LLM endpoint path, else None."""
    p = path.rstrip("/")
    if p.endswith("/chat/completions"):
        return "chat"
    if p.endswith("/responses"):
        return "responses"
    if p.endswith("/messages"):
        return "messages"
    return None


def accepts(entry: LLMInteraction, api: str) -> bool:
    """Whether a recorded answer may answer a request to `api` (Anthropic answers only Messages, OpenAI not it)."""
    provider = (entry.provider or "").lower()
    if provider.startswith("anthropic"):
        return api == "messages"
    if provider.startswith("openai"):
        return api in ("chat", "responses")
    return True


# ----------------------------------------------------------------------------------------- the matching check


def _flat_input(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The new messages of a call as a flat list of `{"user": text}` / `{"tool_result": value}` items."""
    out: list[dict[str, Any]] = []
    for m in messages:
        for p in m.parts:
            if isinstance(p, ToolResultPart):
                out.append({"tool_result": canonical(parse_json_maybe(p.result))})
            elif isinstance(p, TextPart):
                if m.role == "tool":
                    out.append({"tool_result": canonical(parse_json_maybe(p.content))})
                elif p.content.strip():
                    out.append({m.role if m.role != "tool" else "tool_result": p.content.strip()})
            elif isinstance(p, OtherPart):
                out.append({"part": p.type})
    return out


def expected_view(entry: LLMInteraction) -> dict[str, Any]:
    """What the recording says the request held (only the fields it has)."""
    view: dict[str, Any] = {}
    if entry.model:
        view["model"] = entry.model
    if entry.system is not None:
        view["system"] = entry.system.strip()
    if entry.input:
        view["input"] = _flat_input(entry.input)
    return view


def _request_messages(body: Mapping[str, Any], api: str) -> tuple[str | None, tuple[Message, ...]]:
    from ..conventions._messages import parse_messages

    if api == "responses":
        msgs = parse_messages(body.get("input"))
        system, tail = split_input(msgs)
        instructions = body.get("instructions")
        if isinstance(instructions, str) and instructions:
            system = instructions if not system else f"{instructions}\n{system}"
        return system, tail
    msgs = parse_messages(body.get("messages") or [])
    system, tail = split_input(msgs)
    if api == "messages":
        sys_field = body.get("system")
        if isinstance(sys_field, str):
            system = sys_field or None
        elif isinstance(sys_field, list):
            system = "\n".join(str(b.get("text", "")) for b in sys_field if isinstance(b, Mapping)) or None
    return system, tail


def sent_view(body: Any, api: str, like: Mapping[str, Any]) -> dict[str, Any]:
    """The same fields as `like` (an `expected_view`), read from the request the agent sent."""
    if not isinstance(body, Mapping):
        return {}
    system, tail = _request_messages(body, api)
    view: dict[str, Any] = {}
    if "model" in like:
        view["model"] = body.get("model")
    if "system" in like:
        view["system"] = (system or "").strip()
    if "input" in like:
        view["input"] = _flat_input(tail)
    return view


# -------------------------------------------------------------------------------------------------- answers


class _Answer:
    """The recorded answer of one call, in neutral form."""

    def __init__(self, entry: LLMInteraction, *, model: str, seq: int) -> None:
        self.entry = entry
        self.model = entry.response_model or entry.model or model
        self.seq = seq
        texts: list[str] = []
        self.calls: list[ToolCallPart] = []
        for m in entry.output:
            for p in m.parts:
                if isinstance(p, TextPart):
                    texts.append(p.content)
                elif isinstance(p, ToolCallPart):
                    self.calls.append(p)
        self.text: str | None = "\n".join(texts) if texts else None
        finish = entry.finish_reasons[0] if entry.finish_reasons else None
        finish = finish or next((m.finish_reason for m in entry.output if m.finish_reason), None)
        finish = _TO_CHAT_FINISH.get(finish or "", finish)
        if finish in (None, "", "error"):
            finish = "tool_calls" if self.calls else "stop"
        self.finish: str = finish
        u = entry.usage
        self.input_tokens = int(u.get("input_tokens", 0))
        self.output_tokens = int(u.get("output_tokens", 0))
        self.cache_read = int(u.get("cache_read_tokens", 0))
        self.cache_write = int(u.get("cache_write_tokens", 0))
        self.reasoning = int(u.get("reasoning_tokens", 0))

    def call_id(self, i: int, prefix: str) -> str:
        return self.calls[i].id or f"{prefix}_agenttrace_{self.seq:03d}_{i}"

    def args_json(self, i: int) -> str:
        a = self.calls[i].arguments
        return a if isinstance(a, str) else json.dumps(a if a is not None else {})

    def args_obj(self, i: int) -> Any:
        a = parse_json_maybe(self.calls[i].arguments)
        return a if isinstance(a, Mapping) else ({} if a is None else {"input": a})

    def response_id(self, prefix: str) -> str:
        rid = self.entry.response_id
        return rid if rid and rid.startswith(prefix) else f"{prefix}agenttrace_{self.seq:03d}"


def _json(status: int, data: Any) -> dict[str, Any]:
    raw = json.dumps(data).encode("utf-8")
    return {
        "status": {"code": status, "message": "OK" if status == 200 else "Bad Request"},
        "headers": {"content-type": ["application/json"], "content-length": [str(len(raw))]},
        "body": {"string": raw},
    }


def _sse(events: Iterator[tuple[str | None, Any]]) -> dict[str, Any]:
    chunks = []
    for event, data in events:
        payload = data if isinstance(data, str) else json.dumps(data)
        chunks.append((f"event: {event}\n" if event else "") + f"data: {payload}\n\n")
    return {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["text/event-stream; charset=utf-8"]},
        "body": {"string": "".join(chunks).encode("utf-8")},
    }


def _error(api: str, message: str) -> dict[str, Any]:
    # 400, not 5xx: the SDKs retry server errors, and one recorded failure must be answered exactly once.
    if api == "messages":
        return _json(400, {"type": "error", "error": {"type": "invalid_request_error", "message": message}})
    return _json(400, {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}})


# -- OpenAI Chat Completions


def _chat_usage(a: _Answer) -> dict[str, Any]:
    return {
        "prompt_tokens": a.input_tokens,
        "completion_tokens": a.output_tokens,
        "total_tokens": a.input_tokens + a.output_tokens,
        "prompt_tokens_details": {"cached_tokens": a.cache_read},
        "completion_tokens_details": {"reasoning_tokens": a.reasoning},
    }


def _chat_json(a: _Answer) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": a.text, "refusal": None}
    if a.calls:
        message["tool_calls"] = [
            {"id": a.call_id(i, "call"), "type": "function", "function": {"name": c.name, "arguments": a.args_json(i)}}
            for i, c in enumerate(a.calls)
        ]
    return {
        "id": a.response_id("chatcmpl"),
        "object": "chat.completion",
        "created": CREATED,
        "model": a.model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": a.finish}],
        "usage": _chat_usage(a),
    }


def _chat_events(a: _Answer, *, include_usage: bool) -> Iterator[tuple[str | None, Any]]:
    base = {"id": a.response_id("chatcmpl"), "object": "chat.completion.chunk", "created": CREATED, "model": a.model}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        c: dict[str, Any] = {
            **base,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            c["usage"] = None
        return c

    yield None, chunk({"role": "assistant", "content": "" if a.text is not None else None})
    if a.text:
        yield None, chunk({"content": a.text})
    for i, c in enumerate(a.calls):
        fn = {"name": c.name, "arguments": a.args_json(i)}
        yield (
            None,
            chunk({"tool_calls": [{"index": i, "id": a.call_id(i, "call"), "type": "function", "function": fn}]}),
        )
    yield None, chunk({}, a.finish)
    if include_usage:
        yield None, {**base, "choices": [], "usage": _chat_usage(a)}
    yield None, "[DONE]"


# -- OpenAI Responses


def _responses_items(a: _Answer) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if a.text is not None:
        items.append(
            {
                "type": "message",
                "id": f"msg_agenttrace_{a.seq:03d}",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": a.text, "annotations": []}],
            }
        )
    for i, c in enumerate(a.calls):
        items.append(
            {
                "type": "function_call",
                "id": f"fc_agenttrace_{a.seq:03d}_{i}",
                "call_id": a.call_id(i, "call"),
                "name": c.name,
                "arguments": a.args_json(i),
                "status": "completed",
            }
        )
    return items


def _responses_json(a: _Answer, *, done: bool = True) -> dict[str, Any]:
    incomplete = done and a.finish in ("length", "content_filter")
    reason = {"length": "max_output_tokens", "content_filter": "content_filter"}.get(a.finish)
    return {
        "id": a.response_id("resp_"),
        "object": "response",
        "created_at": CREATED,
        "status": ("incomplete" if incomplete else "completed") if done else "in_progress",
        "error": None,
        "incomplete_details": {"reason": reason} if incomplete else None,
        "model": a.model,
        "output": _responses_items(a) if done else [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": a.input_tokens,
            "input_tokens_details": {"cached_tokens": a.cache_read},
            "output_tokens": a.output_tokens,
            "output_tokens_details": {"reasoning_tokens": a.reasoning},
            "total_tokens": a.input_tokens + a.output_tokens,
        }
        if done
        else None,
    }


def _responses_events(a: _Answer) -> Iterator[tuple[str | None, Any]]:
    n = 0

    def ev(kind: str, **data: Any) -> tuple[str, dict[str, Any]]:
        nonlocal n
        n += 1
        return kind, {"type": kind, "sequence_number": n - 1, **data}

    yield ev("response.created", response=_responses_json(a, done=False))
    yield ev("response.in_progress", response=_responses_json(a, done=False))
    for idx, item in enumerate(_responses_items(a)):
        if item["type"] == "message":
            part = item["content"][0]
            yield ev(
                "response.output_item.added", output_index=idx, item={**item, "status": "in_progress", "content": []}
            )
            empty = {**part, "text": ""}
            yield ev("response.content_part.added", item_id=item["id"], output_index=idx, content_index=0, part=empty)
            if part["text"]:
                yield ev(
                    "response.output_text.delta",
                    item_id=item["id"],
                    output_index=idx,
                    content_index=0,
                    delta=part["text"],
                    logprobs=[],
                )
            yield ev(
                "response.output_text.done",
                item_id=item["id"],
                output_index=idx,
                content_index=0,
                text=part["text"],
                logprobs=[],
            )
            yield ev("response.content_part.done", item_id=item["id"], output_index=idx, content_index=0, part=part)
        else:
            yield ev(
                "response.output_item.added", output_index=idx, item={**item, "status": "in_progress", "arguments": ""}
            )
            yield ev(
                "response.function_call_arguments.delta", item_id=item["id"], output_index=idx, delta=item["arguments"]
            )
            yield ev(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=idx,
                arguments=item["arguments"],
            )
        yield ev("response.output_item.done", output_index=idx, item=item)
    final = _responses_json(a)
    yield ev("response.incomplete" if final["status"] == "incomplete" else "response.completed", response=final)


# -- Anthropic Messages


def _anthropic_usage(a: _Answer, *, output_tokens: int | None = None) -> dict[str, Any]:
    # The GenAI convention counts cached tokens in input_tokens; Anthropic's wire does not.
    uncached = max(0, a.input_tokens - a.cache_read - a.cache_write)
    return {
        "input_tokens": uncached,
        "cache_creation_input_tokens": a.cache_write,
        "cache_read_input_tokens": a.cache_read,
        "output_tokens": a.output_tokens if output_tokens is None else output_tokens,
    }


def _anthropic_blocks(a: _Answer) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if a.text is not None:
        blocks.append({"type": "text", "text": a.text})
    for i, c in enumerate(a.calls):
        blocks.append({"type": "tool_use", "id": a.call_id(i, "toolu"), "name": c.name, "input": a.args_obj(i)})
    return blocks


def _anthropic_json(a: _Answer) -> dict[str, Any]:
    return {
        "id": a.response_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": a.model,
        "content": _anthropic_blocks(a),
        "stop_reason": _TO_ANTHROPIC.get(a.finish, a.finish),
        "stop_sequence": None,
        "usage": _anthropic_usage(a),
    }


def _anthropic_events(a: _Answer) -> Iterator[tuple[str | None, Any]]:
    start = {**_anthropic_json(a), "content": [], "stop_reason": None, "usage": _anthropic_usage(a, output_tokens=1)}
    yield "message_start", {"type": "message_start", "message": start}
    for index, block in enumerate(_anthropic_blocks(a)):
        if block["type"] == "text":
            head = {**block, "text": ""}
            delta: dict[str, Any] = {"type": "text_delta", "text": block["text"]}
        else:
            head = {**block, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        yield "content_block_start", {"type": "content_block_start", "index": index, "content_block": head}
        yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": _TO_ANTHROPIC.get(a.finish, a.finish), "stop_sequence": None},
            "usage": {"output_tokens": a.output_tokens},
        },
    )
    yield "message_stop", {"type": "message_stop"}


def render_response(entry: LLMInteraction, *, api: str, body: Any, seq: int) -> dict[str, Any]:
    """The vcrpy response (status, headers, body bytes) answering `body` sent to `api` with a recorded answer."""
    req = body if isinstance(body, Mapping) else {}
    if entry.error:
        return _error(api, entry.error)
    a = _Answer(entry, model=str(req.get("model") or "unknown-model"), seq=seq)
    stream = bool(req.get("stream"))
    if api == "chat":
        if stream:
            include_usage = bool((req.get("stream_options") or {}).get("include_usage"))
            return _sse(_chat_events(a, include_usage=include_usage))
        return _json(200, _chat_json(a))
    if api == "responses":
        return _sse(_responses_events(a)) if stream else _json(200, _responses_json(a))
    if api == "messages":
        return _sse(_anthropic_events(a)) if stream else _json(200, _anthropic_json(a))
    raise ValueError(f"cannot synthesize a response for API {api!r}; expected one of {sorted(API_PATHS)}")


# ------------------------------------------------------------------------------------------- request bodies


def _chat_request_messages(entry: LLMInteraction) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if entry.system:
        out.append({"role": "system", "content": entry.system})
    for m in entry.input:
        results = [p for p in m.parts if isinstance(p, ToolResultPart)]
        for r in results:
            content = r.result if isinstance(r.result, str) else json.dumps(r.result)
            out.append({"role": "tool", "tool_call_id": r.id, "content": content})
        if m.text:
            out.append({"role": m.role if m.role != "tool" else "user", "content": m.text})
    return out


def _responses_request_input(entry: LLMInteraction) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in entry.input:
        for p in m.parts:
            if isinstance(p, ToolResultPart):
                output = p.result if isinstance(p.result, str) else json.dumps(p.result)
                out.append({"type": "function_call_output", "call_id": p.id, "output": output})
        if m.text:
            out.append({"role": "user", "content": m.text})
    return out


def _anthropic_request_messages(entry: LLMInteraction) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for m in entry.input:
        for p in m.parts:
            if isinstance(p, ToolResultPart):
                content = p.result if isinstance(p.result, str) else json.dumps(p.result)
                blocks.append({"type": "tool_result", "tool_use_id": p.id, "content": content})
            elif isinstance(p, TextPart) and p.content:
                blocks.append({"type": "text", "text": p.content})
    return [{"role": "user", "content": blocks}] if blocks else []


def request_body(entry: LLMInteraction, *, api: str, stream: bool = False) -> dict[str, Any]:
    """The part of the request the recording knows (model, system, new messages) in `api`'s request shape."""
    body: dict[str, Any] = {"model": entry.model or entry.response_model or "unknown-model"}
    if api == "chat":
        body["messages"] = _chat_request_messages(entry)
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
    elif api == "responses":
        if entry.system:
            body["instructions"] = entry.system
        body["input"] = _responses_request_input(entry)
        if stream:
            body["stream"] = True
    else:
        body["max_tokens"] = max(1, entry.usage.get("output_tokens", 1024))
        if entry.system:
            body["system"] = entry.system
        body["messages"] = _anthropic_request_messages(entry)
        if stream:
            body["stream"] = True
    return body


def synthesize_http(
    source: Cassette | Trace,
    *,
    api: str | None = None,
    stream: bool = False,
    base_url: str | None = None,
) -> list[dict[str, Any]]:
    """vcrpy interactions (`{"request", "response"}` dicts) answering each recorded LLM call, in order.

    `api` forces one API for every call (default: each call's inferred API, else `chat`); `stream` renders SSE.
    The request bodies hold only what the trace knows: replay them by order (vcrpy's default method+URI
    matching, `allow_playback_repeats=False`), not by body.
    """
    cassette = source if isinstance(source, Cassette) else Cassette.from_trace(source)
    if api is not None and api not in API_PATHS:
        raise ValueError(f"api {api!r} is not one of {sorted(API_PATHS)}")
    out = []
    for seq, entry in enumerate(cassette.llm, 1):
        which = api or entry.api or ("messages" if (entry.provider or "").startswith("anthropic") else "chat")
        root = base_url or ("https://api.anthropic.com" if which == "messages" else "https://api.openai.com")
        body = request_body(entry, api=which, stream=stream)
        response = render_response(entry, api=which, body=body, seq=seq)
        response["body"] = {"string": response["body"]["string"].decode("utf-8")}
        out.append(
            {
                "request": {
                    "method": "POST",
                    "uri": root.rstrip("/") + API_PATHS[which],
                    "body": json.dumps(body),
                    "headers": {"content-type": ["application/json"]},
                },
                "response": response,
            }
        )
    return out
