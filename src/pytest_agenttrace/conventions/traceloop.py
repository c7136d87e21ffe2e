"""Traceloop / OpenLLMetry: `traceloop.span.kind` (workflow, task, agent, tool), `traceloop.entity.*`,
`llm.request.type`, `llm.usage.total_tokens`; its `gen_ai.*` keys are read by the GenAI module."""

from __future__ import annotations

from .._records import SpanRecord
from ._facts import Facts, first

_ROLES = {"agent": "agent", "tool": "tool"}


#: `extract` returns None for a span without one of these attributes (lets `read_span` skip this module).
CLAIM_KEYS = frozenset({"traceloop.span.kind", "llm.request.type"})
CLAIM_NAMES: frozenset[str] = frozenset()


def extract(rec: SpanRecord) -> Facts | None:
    a = rec.attributes
    kind = a.get("traceloop.span.kind")
    req_type = a.get("llm.request.type")
    if kind is None and req_type is None:
        return None
    role = _ROLES.get(str(kind).lower()) if kind is not None else None
    if role is None and req_type in ("chat", "completion", "embedding", "rerank"):
        role = "llm"
    f = Facts(role=role)  # type: ignore[arg-type]
    entity = first(a, "traceloop.entity.name")
    if role == "tool":
        f.set("name", first(a, "gen_ai.tool.name") or entity or _strip(rec.name, ".tool"))
        f.set("arguments", first(a, "traceloop.entity.input"))
        f.set("result", first(a, "traceloop.entity.output"))
    elif role == "agent":
        f.set("name", first(a, "gen_ai.agent.name") or entity or _strip(rec.name, ".agent"))
        f.set("input", first(a, "traceloop.entity.input"))
        f.set("output", first(a, "traceloop.entity.output"))
    elif role == "llm":
        f.set("provider", first(a, "gen_ai.system", "llm.vendor"))
        f.set("request_model", first(a, "gen_ai.request.model", "llm.request.model"))
        f.set("response_model", first(a, "gen_ai.response.model", "llm.response.model"))
    return f


def _strip(name: str, suffix: str) -> str:
    return name[: -len(suffix)] if name.endswith(suffix) else name
