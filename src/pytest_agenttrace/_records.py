"""Span records: the plain, frozen shape every source (live capture or a file format) is turned into.

Nothing here knows about conventions or pytest; readers produce `SpanRecord`s, normalizers consume them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Attribute values after normalization: scalars, or tuples of scalars (OTel arrays).
AttrValue = Any
Attributes = dict[str, AttrValue]

SPAN_KINDS = ("INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")
STATUS_CODES = ("UNSET", "OK", "ERROR")


@dataclass(frozen=True, slots=True)
class SpanEvent:
    """An event on a span (exceptions, legacy GenAI message events)."""

    name: str
    time_ns: int = 0
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """One finished span, as plain data.

    Ids are lowercase hex (trace id 32 chars, span id 16 chars) whatever the source encoding; `parent_id` is
    None for a root. `kind` is one of `SPAN_KINDS`, `status_code` one of `STATUS_CODES`. Times are Unix ns.
    """

    trace_id: str
    span_id: str
    name: str
    parent_id: str | None = None
    kind: str = "INTERNAL"
    start_ns: int = 0
    end_ns: int = 0
    status_code: str = "UNSET"
    status_message: str = ""
    attributes: Attributes = field(default_factory=dict)
    events: tuple[SpanEvent, ...] = ()
    resource: Attributes = field(default_factory=dict)
    scope_name: str = ""
    scope_version: str = ""

    @property
    def duration_s(self) -> float:
        """Wall time of the span in seconds (0 when the source had no end time)."""
        return max(0, self.end_ns - self.start_ns) / 1e9

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (the project's own trace format, one span)."""
        d: dict[str, Any] = {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_id": self.parent_id,
            "name": self.name,
            "kind": self.kind,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "status": {"code": self.status_code, "message": self.status_message},
            "attributes": _json_safe(self.attributes),
        }
        if self.events:
            d["events"] = [
                {"name": e.name, "time_ns": e.time_ns, "attributes": _json_safe(e.attributes)} for e in self.events
            ]
        if self.resource:
            d["resource"] = _json_safe(self.resource)
        if self.scope_name or self.scope_version:
            d["scope"] = {"name": self.scope_name, "version": self.scope_version}
        return d


def _json_safe(attrs: Attributes) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in attrs.items()}
