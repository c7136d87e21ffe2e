"""OpenInference (Arize): `openinference.span.kind`, `llm.*`, `tool.*`, `input.value`/`output.value`, retrieval."""

from __future__ import annotations

from typing import Any

from .._model import parse_json_maybe
from .._records import SpanRecord
from ._facts import Facts, as_float, as_int, as_str_tuple, first
from ._messages import indexed_openinference_messages, parse_messages

_ROLES = {"LLM": "llm", "TOOL": "tool", "AGENT": "agent", "RETRIEVER": "retrieval", "EMBEDDING": "llm"}


#: `extract` returns None for a span without one of these attributes (lets `read_span` skip this module).
CLAIM_KEYS = frozenset({"openinference.span.kind"})
CLAIM_NAMES: frozenset[str] = frozenset()


def extract(rec: SpanRecord) -> Facts | None:
    a = rec.attributes
    kind = a.get("openinference.span.kind")
    if kind is None:
        return None
    f = Facts(role=_ROLES.get(str(kind).upper()))  # type: ignore[arg-type]
    role = f.role
    if role == "llm":
        f.set("provider", first(a, "llm.provider", "llm.system"))
        params = parse_json_maybe(a.get("llm.invocation_parameters"))
        if isinstance(params, dict):
            f.set("request_model", params.get("model"))
            f.set("temperature", as_float(params.get("temperature")))
            if isinstance(params.get("stream"), bool):
                f.set("streaming", params["stream"])
        f.set("response_model", first(a, "llm.model_name", "embedding.model_name"))
        f.set("input_tokens", as_int(first(a, "llm.token_count.prompt")))
        f.set("output_tokens", as_int(first(a, "llm.token_count.completion")))
        f.set("cache_read_tokens", as_int(first(a, "llm.token_count.prompt_details.cache_read")))
        f.set("cache_write_tokens", as_int(first(a, "llm.token_count.prompt_details.cache_write")))
        f.set("reasoning_tokens", as_int(first(a, "llm.token_count.completion_details.reasoning")))
        f.set("recorded_cost_usd", as_float(first(a, "llm.cost.total")))
        f.set("finish_reasons", as_str_tuple(first(a, "llm.finish_reason")))
        out = parse_json_maybe(a.get("output.value"))
        if isinstance(out, dict):
            f.set("response_id", _langchain_response_id(out))
        f.set("input_messages", indexed_openinference_messages(a, "llm.input_messages", default_role="user"))
        f.set("output_messages", indexed_openinference_messages(a, "llm.output_messages", default_role="assistant"))
        if "input_messages" not in f.fields and a.get("input.value") is not None:
            f.set("input_messages", parse_messages(a.get("input.value")))
        if "output_messages" not in f.fields and a.get("output.value") is not None:
            f.set("output_messages", parse_messages(a.get("output.value"), default_role="assistant"))
    elif role == "tool":
        f.set("name", first(a, "tool.name", "tool_call.function.name") or rec.name)
        f.set("call_id", first(a, "tool.id", "tool_call.id"))
        f.set("arguments", first(a, "tool_call.function.arguments", "input.value"))
        f.set("result", unwrap_langchain_tool_message(parse_json_maybe(first(a, "output.value"))))
    elif role == "agent":
        f.set("name", first(a, "agent.name", "graph.node.id") or rec.name)
        f.set("input", first(a, "input.value"))
        f.set("output", first(a, "output.value"))
        if a.get("llm.output_messages.0.message.role") is not None:
            # e.g. the Claude Agent SDK records the model's answer on the AGENT span itself
            f.set("output_messages", indexed_openinference_messages(a, "llm.output_messages", default_role="assistant"))
    elif role == "retrieval":
        f.set("name", rec.name)
        f.set("query", parse_json_maybe(first(a, "input.value")))
        docs = []
        i = 0
        while f"retrieval.documents.{i}.document.content" in a or f"retrieval.documents.{i}.document.id" in a:
            docs.append(
                {
                    "id": a.get(f"retrieval.documents.{i}.document.id"),
                    "content": a.get(f"retrieval.documents.{i}.document.content"),
                    "score": a.get(f"retrieval.documents.{i}.document.score"),
                }
            )
            i += 1
        f.set("documents", tuple(docs))
    return f


def _langchain_response_id(out: dict[str, Any]) -> str | None:
    """The provider's response id inside a LangChain LLMResult (`llm_output.id` or the message's metadata)."""
    llm_output = out.get("llm_output")
    if isinstance(llm_output, dict) and isinstance(llm_output.get("id"), str):
        return llm_output["id"]
    gens = out.get("generations")
    if isinstance(gens, list) and gens and isinstance(gens[0], list) and gens[0] and isinstance(gens[0][0], dict):
        msg = gens[0][0].get("message")
        if isinstance(msg, dict):
            kwargs = msg.get("kwargs") if isinstance(msg.get("kwargs"), dict) else msg.get("data")
            if isinstance(kwargs, dict):
                meta = kwargs.get("response_metadata")
                if isinstance(meta, dict) and isinstance(meta.get("id"), str):
                    return meta["id"]
    return None


def unwrap_langchain_tool_message(value: Any) -> Any:
    """A serialized LangChain ToolMessage (`{"type": "tool", "data": {"content": ...}}`) -> its content."""
    if isinstance(value, dict) and value.get("type") == "tool":
        data = value.get("data") if isinstance(value.get("data"), dict) else value.get("kwargs")
        if isinstance(data, dict) and "content" in data:
            return parse_json_maybe(data["content"])
    return value
