"""OpenTelemetry GenAI semantic conventions, current and deprecated names.

Roles from `gen_ai.operation.name` (chat, text_completion, generate_content, embeddings -> llm; execute_tool ->
tool; invoke_agent -> agent), else from span-name prefixes, else from `gen_ai.tool.name` / model+usage keys.
Renamed keys read in order: `gen_ai.provider.name` then `gen_ai.system`; `gen_ai.usage.input_tokens` then
`gen_ai.usage.prompt_tokens`; `gen_ai.input.messages` then `gen_ai.prompt` (JSON) then indexed `gen_ai.prompt.N.*`
then message events (`gen_ai.user.message`, `gen_ai.choice`, ...).
"""

from __future__ import annotations

from typing import Any

from .._records import SpanRecord
from ._facts import Facts, FieldRule, as_float, as_int, as_str_tuple, compile_rules, first, suffix_after
from ._messages import indexed_genai_messages, parse_messages

LLM_OPERATIONS = frozenset(
    {"chat", "text_completion", "generate_content", "completion", "embeddings", "embedding", "responses", "response"}
)
TOOL_OPERATIONS = frozenset({"execute_tool", "tool"})
AGENT_OPERATIONS = frozenset({"invoke_agent", "agent", "invoke_workflow"})
RETRIEVAL_OPERATIONS = frozenset({"retrieval", "retrieve", "search_documents"})

_INPUT_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}


#: `gen_ai.operation.name`, lowercased -> the role it gives a span (one lookup instead of a test per set).
_OPERATION_ROLES: dict[str, str] = {
    **dict.fromkeys(LLM_OPERATIONS, "llm"),
    **dict.fromkeys(TOOL_OPERATIONS, "tool"),
    **dict.fromkeys(AGENT_OPERATIONS, "agent"),
    **dict.fromkeys(RETRIEVAL_OPERATIONS, "retrieval"),
}


def extract(rec: SpanRecord) -> Facts | None:
    a = rec.attributes
    op = a.get("gen_ai.operation.name")
    name = rec.name
    role = _OPERATION_ROLES.get(op.lower()) if isinstance(op, str) else None
    if role is None:
        if name.startswith(("execute_tool ", "anthropic.custom_tool_use ")):
            role = "tool"
        elif name.startswith("invoke_agent "):
            role = "agent"
        elif "gen_ai.tool.name" in a and op is None:
            role = "tool"
        elif ("gen_ai.request.model" in a or "gen_ai.response.model" in a) and (
            "gen_ai.usage.input_tokens" in a
            or "gen_ai.usage.prompt_tokens" in a
            or "gen_ai.input.messages" in a
            or "gen_ai.prompt.0.content" in a
            or "gen_ai.prompt.0.role" in a
        ):
            role = "llm"
        elif not any(k.startswith("gen_ai.") for k in a):
            return None  # no role and no GenAI attribute: not a GenAI span
    f = Facts(role, {"operation": op} if op is not None and op != "" and op != () else {})  # type: ignore[arg-type]
    if role == "tool":
        f.set(
            "name",
            a.get("gen_ai.tool.name")
            or suffix_after(name, "execute_tool ")
            or suffix_after(name, "anthropic.custom_tool_use ")
            or name,
        )
        _SET_TOOL_FIELDS(a, f.fields)
    elif role == "agent":
        f.set("name", a.get("gen_ai.agent.name") or suffix_after(name, "invoke_agent ") or name)
        _SET_AGENT_FIELDS(a, f.fields)
    elif role == "retrieval":
        f.set("name", a.get("gen_ai.data_source.id") or name)
        _SET_RETRIEVAL_FIELDS(a, f.fields)
    else:  # llm, or no role: fields only
        _SET_LLM_FIELDS(a, f.fields)
        if rec.events or not _EXTRA_KEYS.isdisjoint(a):  # (most model-call spans record none of them)
            _llm_extras(rec, f)
    return f


# Fields of every role: the enclosing agent's name (except on agent spans) and the provider.
_AGENT_NAME: FieldRule = ("agent_name", ("gen_ai.agent.name",), None)
_PROVIDER: FieldRule = ("provider", ("gen_ai.provider.name", "gen_ai.system"), None)

_TOOL_FIELDS: tuple[FieldRule, ...] = (
    ("call_id", ("gen_ai.tool.call.id",), None),
    (
        "arguments",
        ("gen_ai.tool.call.arguments", "gen_ai.tool.arguments", "gen_ai.tool.args", "gen_ai.tool.input"),
        None,
    ),
    (
        "result",
        (
            "gen_ai.tool.call.result",
            "anthropic.tool_result.content",
            "gen_ai.tool.result",
            "gen_ai.tool.output",
            "gen_ai.output",
        ),
        None,
    ),
    _AGENT_NAME,
    _PROVIDER,
)
_AGENT_FIELDS: tuple[FieldRule, ...] = (
    ("agent_id", ("gen_ai.agent.id",), None),
    ("output", ("gen_ai.output.messages", "gen_ai.output", "gen_ai.completion"), None),
    ("input", ("gen_ai.input.messages", "gen_ai.prompt"), None),
    _PROVIDER,
)
_RETRIEVAL_FIELDS: tuple[FieldRule, ...] = (
    ("query", ("gen_ai.retrieval.query", "gen_ai.prompt"), None),
    _AGENT_NAME,
    _PROVIDER,
)
_LLM_FIELDS: tuple[FieldRule, ...] = (
    _AGENT_NAME,
    _PROVIDER,
    ("request_model", ("gen_ai.request.model",), None),
    ("response_model", ("gen_ai.response.model",), None),
    ("response_id", ("gen_ai.response.id",), None),
    ("input_tokens", ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"), as_int),
    ("output_tokens", ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"), as_int),
    ("finish_reasons", ("gen_ai.response.finish_reasons", "anthropic.message.stop_reason"), as_str_tuple),
    ("temperature", ("gen_ai.request.temperature",), as_float),
)
#: Usage details most spans do not record: read only when one of their keys is on the span (`_USAGE_DETAIL_KEYS`).
_USAGE_DETAIL_FIELDS: tuple[FieldRule, ...] = (
    (
        "cache_read_tokens",
        ("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens", "gen_ai.usage.cached_tokens"),
        as_int,
    ),
    (
        "cache_write_tokens",
        (
            "gen_ai.usage.cache_creation.input_tokens",
            "gen_ai.usage.cache_write.input_tokens",
            "gen_ai.usage.cache_creation_input_tokens",
        ),
        as_int,
    ),
    ("reasoning_tokens", ("gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens"), as_int),
    ("recorded_cost_usd", ("gen_ai.usage.cost", "gen_ai.cost", "operation.cost"), as_float),
)
_COST_PARTS = ("gen_ai.usage.input_cost", "gen_ai.usage.output_cost")
_USAGE_DETAIL_KEYS = frozenset({*(k for _, keys, _ in _USAGE_DETAIL_FIELDS for k in keys), *_COST_PARTS})


# Each rule set compiled once (`compile_rules`).
_SET_TOOL_FIELDS = compile_rules(_TOOL_FIELDS)
_SET_AGENT_FIELDS = compile_rules(_AGENT_FIELDS)
_SET_RETRIEVAL_FIELDS = compile_rules(_RETRIEVAL_FIELDS)
_SET_LLM_FIELDS = compile_rules(_LLM_FIELDS)
_SET_USAGE_DETAIL_FIELDS = compile_rules(_USAGE_DETAIL_FIELDS)


def _llm_extras(rec: SpanRecord, f: Facts) -> None:
    """The model-call fields besides `_LLM_FIELDS`: usage details, streaming, a cost recorded in parts, messages (each
    read only when one of its keys is on the span: `_EXTRA_KEYS`, or from message events)."""
    a = rec.attributes
    if not _USAGE_DETAIL_KEYS.isdisjoint(a):
        _SET_USAGE_DETAIL_FIELDS(a, f.fields)
        if "recorded_cost_usd" not in f.fields:  # no total cost recorded: the sum of its parts
            ic, oc = as_float(a.get(_COST_PARTS[0])), as_float(a.get(_COST_PARTS[1]))
            if ic is not None or oc is not None:
                f.set("recorded_cost_usd", (ic or 0.0) + (oc or 0.0))
    stream = a.get(_STREAM_KEYS[0], a.get(_STREAM_KEYS[1]))
    if isinstance(stream, bool):
        f.set("streaming", stream)
    if not rec.events and _MESSAGE_KEYS.isdisjoint(a):
        return  # no message attribute or event (the usual metrics-only span): nothing below applies

    # messages: current attributes, then deprecated JSON, then indexed, then events
    inp = first(a, "gen_ai.input.messages")
    if inp is not None:
        f.set("input_messages", parse_messages(inp))
    elif isinstance(a.get("gen_ai.prompt"), str):
        f.set("input_messages", parse_messages(a["gen_ai.prompt"]))
    elif not a.keys().isdisjoint(_FIRST_PROMPT_KEYS):
        f.set("input_messages", indexed_genai_messages(a, "gen_ai.prompt", default_role="user"))
    sys_instr = first(a, "gen_ai.system_instructions")
    if sys_instr is not None:
        f.set("system_instructions", sys_instr)
    out = first(a, "gen_ai.output.messages")
    if out is not None:
        f.set("output_messages", parse_messages(out, default_role="assistant"))
    elif isinstance(a.get("gen_ai.completion"), str):
        f.set("output_messages", parse_messages(a["gen_ai.completion"], default_role="assistant"))
    elif not a.keys().isdisjoint(_FIRST_COMPLETION_KEYS):
        f.set("output_messages", indexed_genai_messages(a, "gen_ai.completion", default_role="assistant"))
    elif isinstance(a.get("gen_ai.output"), str) and f.role == "llm":
        f.set("output_messages", parse_messages(a["gen_ai.output"], default_role="assistant"))
    if rec.events and ("input_messages" not in f.fields or "output_messages" not in f.fields):
        _event_messages(rec, f)


# Keys of the first message of the indexed forms (`gen_ai.prompt.0.role`, ...): their presence says the span uses
# them (checked without a scan of every key).
_INDEXED_FIELDS = ("role", "content", "tool_call_id", "finish_reason", "tool_calls.0.name", "function_call.name")
_FIRST_PROMPT_KEYS = tuple(f"gen_ai.prompt.0.{k}" for k in _INDEXED_FIELDS)
_FIRST_COMPLETION_KEYS = tuple(f"gen_ai.completion.0.{k}" for k in _INDEXED_FIELDS)
#: Every attribute the message reading of `_llm_extras` looks at.
_MESSAGE_KEYS = frozenset(
    {
        "gen_ai.input.messages",
        "gen_ai.prompt",
        *_FIRST_PROMPT_KEYS,
        "gen_ai.system_instructions",
        "gen_ai.output.messages",
        "gen_ai.completion",
        *_FIRST_COMPLETION_KEYS,
        "gen_ai.output",
    }
)


def _event_messages(rec: SpanRecord, f: Facts) -> None:
    """Message events of older GenAI conventions (and OpenLIT's `gen_ai.content.prompt`/`completion`)."""
    inputs: list[Any] = []
    outputs: list[Any] = []
    for ev in rec.events:
        ea = ev.attributes
        if ev.name in _INPUT_EVENTS:
            body = dict(ea)
            body.setdefault("role", _INPUT_EVENTS[ev.name])
            inputs.extend(parse_messages(body, default_role=_INPUT_EVENTS[ev.name]))
        elif ev.name == "gen_ai.choice":
            outputs.extend(parse_messages(dict(ea), default_role="assistant"))
        elif ev.name == "gen_ai.content.prompt":
            inputs.extend(parse_messages(ea.get("gen_ai.prompt"), default_role="user"))
        elif ev.name == "gen_ai.content.completion":
            outputs.extend(parse_messages(ea.get("gen_ai.completion"), default_role="assistant"))
    if inputs:
        f.set("input_messages", tuple(inputs))
    if outputs:
        f.set("output_messages", tuple(outputs))


#: Whether the model streamed its answer (current name first).
_STREAM_KEYS = ("gen_ai.is_streaming", "gen_ai.request.stream")
#: Every attribute `_llm_extras` reads: `extract` skips it on a span with none of them and no events.
_EXTRA_KEYS = _USAGE_DETAIL_KEYS | _MESSAGE_KEYS | frozenset(_STREAM_KEYS)
