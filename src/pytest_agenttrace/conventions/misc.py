"""Small producers: Langfuse observation types, LangSmith span kinds, AWS ADOT span kinds."""

from __future__ import annotations

from .._records import SpanRecord
from ._facts import Facts, first

_LANGFUSE = {"GENERATION": "llm", "TOOL": "tool", "AGENT": "agent", "RETRIEVER": "retrieval", "EMBEDDING": "llm"}
_LANGSMITH = {"llm": "llm", "tool": "tool", "retriever": "retrieval"}


#: `extract` returns None for a span without one of these attributes (lets `read_span` skip this module).
CLAIM_KEYS = frozenset({"langfuse.observation.type", "langsmith.span.kind"})
CLAIM_NAMES: frozenset[str] = frozenset()


def extract(rec: SpanRecord) -> Facts | None:
    a = rec.attributes
    lf = a.get("langfuse.observation.type")
    if lf is not None:
        f = Facts(role=_LANGFUSE.get(str(lf).upper()))  # type: ignore[arg-type]
        if f.role in ("tool", "agent"):
            f.set("name", rec.name)
        if f.role == "tool":
            f.set("arguments", first(a, "input.value"))
            f.set("result", first(a, "output.value"))
        return f
    ls = a.get("langsmith.span.kind")
    if ls is not None:
        f = Facts(role=_LANGSMITH.get(str(ls).lower()))  # type: ignore[arg-type]
        if f.role == "tool":
            f.set("name", first(a, "gen_ai.tool.name") or rec.name)
        return f
    return None
