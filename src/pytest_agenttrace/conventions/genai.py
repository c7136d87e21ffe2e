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
from ._facts import Facts, as_float, as_int, as_str_tuple, first, suffix_after
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


def extract(rec: SpanRecord) -> Facts | None:
    a = rec.attributes
    op = a.get("gen_ai.operation.name")
    name = rec.name
    role = None
    if isinstance(op, str):
        opl = op.lower()
        if opl in LLM_OPERATIONS:
            role = "llm"
        elif opl in TOOL_OPERATIONS:
            role = "tool"
        elif opl in AGENT_OPERATIONS:
            role = "agent"
        elif opl in RETRIEVAL_OPERATIONS:
            role = "retrieval"
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
    has_genai = role is not None or any(k.startswith("gen_ai.") for k in a)
    if not has_genai:
        return None
    f = Facts(role=role)  # type: ignore[arg-type]
    f.set("operation", op)
    if role == "tool":
        f.set(
            "name",
            first(a, "gen_ai.tool.name")
            or suffix_after(name, "execute_tool ")
            or suffix_after(name, "anthropic.custom_tool_use ")
            or name,
        )
        f.set("call_id", first(a, "gen_ai.tool.call.id"))
        f.set(
            "arguments",
            first(a, "gen_ai.tool.call.arguments", "gen_ai.tool.arguments", "gen_ai.tool.args", "gen_ai.tool.input"),
        )
        f.set(
            "result",
            first(
                a,
                "gen_ai.tool.call.result",
                "anthropic.tool_result.content",
                "gen_ai.tool.result",
                "anthropic.tool_result.content",
                "gen_ai.tool.output",
                "gen_ai.output",
            ),
        )
    elif role == "agent":
        f.set("name", first(a, "gen_ai.agent.name") or suffix_after(name, "invoke_agent ") or name)
        f.set("agent_id", first(a, "gen_ai.agent.id"))
        f.set("output", first(a, "gen_ai.output.messages", "gen_ai.output", "gen_ai.completion"))
        f.set("input", first(a, "gen_ai.input.messages", "gen_ai.prompt"))
    elif role == "retrieval":
        f.set("name", first(a, "gen_ai.data_source.id") or name)
        f.set("query", first(a, "gen_ai.retrieval.query", "gen_ai.prompt"))
    if role != "agent":
        f.set("agent_name", first(a, "gen_ai.agent.name"))
    f.set("provider", first(a, "gen_ai.provider.name", "gen_ai.system"))
    if role in ("llm", None):
        _llm_fields(rec, f)
    return f


def _llm_fields(rec: SpanRecord, f: Facts) -> None:
    a = rec.attributes
    f.set("request_model", first(a, "gen_ai.request.model"))
    f.set("response_model", first(a, "gen_ai.response.model"))
    f.set("response_id", first(a, "gen_ai.response.id"))
    f.set("input_tokens", as_int(first(a, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")))
    f.set("output_tokens", as_int(first(a, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")))
    f.set(
        "cache_read_tokens",
        as_int(
            first(
                a,
                "gen_ai.usage.cache_read.input_tokens",
                "gen_ai.usage.cache_read_input_tokens",
                "gen_ai.usage.cached_tokens",
            )
        ),
    )
    f.set(
        "cache_write_tokens",
        as_int(
            first(
                a,
                "gen_ai.usage.cache_creation.input_tokens",
                "gen_ai.usage.cache_write.input_tokens",
                "gen_ai.usage.cache_creation_input_tokens",
            )
        ),
    )
    f.set("reasoning_tokens", as_int(first(a, "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens")))
    f.set("finish_reasons", as_str_tuple(first(a, "gen_ai.response.finish_reasons", "anthropic.message.stop_reason")))
    f.set("temperature", as_float(first(a, "gen_ai.request.temperature")))
    stream = a.get("gen_ai.is_streaming", a.get("gen_ai.request.stream"))
    if isinstance(stream, bool):
        f.set("streaming", stream)
    cost = as_float(first(a, "gen_ai.usage.cost", "gen_ai.cost", "operation.cost"))
    if cost is None:
        ic, oc = as_float(a.get("gen_ai.usage.input_cost")), as_float(a.get("gen_ai.usage.output_cost"))
        if ic is not None or oc is not None:
            cost = (ic or 0.0) + (oc or 0.0)
    f.set("recorded_cost_usd", cost)

    # messages: current attributes, then deprecated JSON, then indexed, then events
    inp = first(a, "gen_ai.input.messages")
    if inp is not None:
        f.set("input_messages", parse_messages(inp))
    elif isinstance(a.get("gen_ai.prompt"), str):
        f.set("input_messages", parse_messages(a["gen_ai.prompt"]))
    elif _indexed(a, "gen_ai.prompt.0."):
        f.set("input_messages", indexed_genai_messages(a, "gen_ai.prompt", default_role="user"))
    sys_instr = first(a, "gen_ai.system_instructions")
    if sys_instr is not None:
        f.set("system_instructions", sys_instr)
    out = first(a, "gen_ai.output.messages")
    if out is not None:
        f.set("output_messages", parse_messages(out, default_role="assistant"))
    elif isinstance(a.get("gen_ai.completion"), str):
        f.set("output_messages", parse_messages(a["gen_ai.completion"], default_role="assistant"))
    elif _indexed(a, "gen_ai.completion.0."):
        f.set("output_messages", indexed_genai_messages(a, "gen_ai.completion", default_role="assistant"))
    elif isinstance(a.get("gen_ai.output"), str) and f.role == "llm":
        f.set("output_messages", parse_messages(a["gen_ai.output"], default_role="assistant"))
    if rec.events and ("input_messages" not in f.fields or "output_messages" not in f.fields):
        _event_messages(rec, f)


_INDEXED_FIELDS = ("role", "content", "tool_call_id", "finish_reason", "tool_calls.0.name", "function_call.name")


def _indexed(a: Any, prefix: str) -> bool:
    """Whether the first message of an indexed prefix (`gen_ai.prompt.0.`) is present (no scan of every key)."""
    return any(prefix + field in a for field in _INDEXED_FIELDS)


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
