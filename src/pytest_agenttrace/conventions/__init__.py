"""Convention normalizers: one small module per instrumentation family, composed here.

Each module's `extract(record)` says which role a span plays (by attributes, never by scope name: scopes lie)
and which fields it can read. `read_span` merges them: the first module with an opinion decides the role, and
each field comes from the first module that found it (`FIELD_ORDER`). A new producer is a new module added to
these two tuples, not edits across the reader.
"""

from __future__ import annotations

from .._records import SpanRecord
from . import adk, genai, misc, openinference, pydantic_ai, traceloop, vercel
from ._facts import Facts

#: Who decides what a span *is* (most explicit markers first).
ROLE_ORDER = (vercel, openinference, genai, traceloop, pydantic_ai, misc)
#: Who is trusted first for each field.
FIELD_ORDER = (genai, openinference, vercel, pydantic_ai, adk, traceloop, misc)

_ALL = tuple(dict.fromkeys((*ROLE_ORDER, *FIELD_ORDER)))
_DECIDES_ROLE = frozenset(ROLE_ORDER)
# Each module but GenAI declares the attributes (or span names) without which it has no opinion: a span with none
# of them is GenAI's alone (most spans), and the other extractors are not asked.
_OTHERS = tuple(m for m in _ALL if m is not genai)
_CLAIM_KEYS = frozenset().union(*(m.CLAIM_KEYS for m in _OTHERS))
_CLAIM_NAMES = frozenset().union(*(m.CLAIM_NAMES for m in _OTHERS))


def read_span(rec: SpanRecord) -> Facts | None:
    """Merged facts about one span, or None when no convention recognises it (plain HTTP/DB spans...)."""
    if _CLAIM_KEYS.isdisjoint(rec.attributes) and rec.name not in _CLAIM_NAMES:
        return genai.extract(rec)
    found = {}
    for mod in _ALL:
        facts = mod.extract(rec)
        if facts is not None:
            found[mod] = facts
    if not found:
        return None
    if len(found) == 1:  # the usual case: one module's reading is the merge (nothing to order)
        ((mod, only),) = found.items()
        if only.role is None or mod in _DECIDES_ROLE:
            return only
    role = None
    for mod in ROLE_ORDER:
        f = found.get(mod)
        if f is not None and f.role is not None:
            role = f.role
            break
    merged = Facts(role=role)
    for mod in FIELD_ORDER:
        f = found.get(mod)
        if f is not None:
            for k, v in f.fields.items():
                merged.fields.setdefault(k, v)
    return merged


__all__ = ["Facts", "read_span"]
