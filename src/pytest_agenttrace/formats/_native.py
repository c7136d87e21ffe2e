"""The project's own trace format: `{"format": "agenttrace", "version": 1, "spans": [SpanRecord.to_dict(), ...]}`.

Written one span per line (readable diffs, still one JSON document); reading it back gives equal records (arrays
come back as tuples at every depth).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .._records import SPAN_KINDS, STATUS_CODES, SpanEvent, SpanRecord
from ._common import (
    FieldError,
    ReadContext,
    convert_spans,
    hex_id,
    int_ns,
    plain_attributes,
    require_dict,
    require_list,
    require_str,
    short,
)

NAME = "agenttrace format"
FORMAT = "agenttrace"
VERSION = 1
_EXPECTED = "a span {trace_id, span_id, parent_id, name, kind, start_ns, end_ns, status: {code, message}, attributes}"


def sniff(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("format") == FORMAT


def dump_records(records: Iterable[SpanRecord]) -> dict[str, Any]:
    """Records as the agenttrace document (a JSON-safe dict)."""
    return {"format": FORMAT, "version": VERSION, "spans": [r.to_dict() for r in records]}


def dumps_records(records: Iterable[SpanRecord]) -> str:
    """The agenttrace document as text, one span per line."""
    spans = [json.dumps(r.to_dict(), ensure_ascii=False, separators=(",", ":")) for r in records]
    body = ",\n".join(spans)
    return (
        f'{{"format": "{FORMAT}", "version": {VERSION}, "spans": [\n{body}\n]}}\n'
        if spans
        else (f'{{"format": "{FORMAT}", "version": {VERSION}, "spans": []}}\n')
    )


def read(doc: Any, ctx: ReadContext) -> list[SpanRecord]:
    version = doc.get("version")
    if version != VERSION:
        hint = (
            "it was written by a newer pytest-agenttrace: upgrade to read it"
            if isinstance(version, int) and not isinstance(version, bool) and version > VERSION
            else "the file is damaged or was not written by pytest-agenttrace"
        )
        raise ctx.error(f"unsupported agenttrace format version {version!r} (this version reads {VERSION}); {hint}")
    try:
        spans = require_list(doc.get("spans"), "'spans'")
    except FieldError as exc:
        raise ctx.error(f"{exc}; expected {{'format': 'agenttrace', 'version': 1, 'spans': [...]}}") from None
    maxc = ctx.max_attr_chars
    return convert_spans(spans, ctx, lambda raw: _span(raw, maxc), expected=_EXPECTED, id_keys=("span_id",))


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise FieldError(f"{where} must be one of {', '.join(allowed)}, got {short(value)}")
    return str(value)


def _span(raw: Any, maxc: int) -> SpanRecord:
    raw = require_dict(raw, "a span")
    status = require_dict(raw.get("status") or {}, "status")
    scope = require_dict(raw.get("scope") or {}, "scope")
    events = tuple(
        SpanEvent(
            require_str(ev["name"], "event name"),
            int_ns(ev.get("time_ns", 0), "event time_ns"),
            plain_attributes(ev.get("attributes"), maxc, "event attributes"),
        )
        for ev in (require_dict(e, "an event") for e in require_list(raw.get("events") or [], "events"))
    )
    parent = raw.get("parent_id")
    return SpanRecord(
        hex_id(raw["trace_id"], 16, "trace_id"),
        hex_id(raw["span_id"], 8, "span_id"),
        require_str(raw["name"], "name"),
        hex_id(parent, 8, "parent_id") if parent is not None else None,
        _choice(raw.get("kind", "INTERNAL"), SPAN_KINDS, "kind"),
        int_ns(raw.get("start_ns", 0), "start_ns"),
        int_ns(raw.get("end_ns", 0), "end_ns"),
        _choice(status.get("code", "UNSET"), STATUS_CODES, "status.code"),
        require_str(status.get("message", ""), "status.message"),
        plain_attributes(raw.get("attributes"), maxc, "attributes"),
        events,
        plain_attributes(raw.get("resource"), maxc, "resource"),
        require_str(scope.get("name", ""), "scope.name"),
        require_str(scope.get("version", ""), "scope.version"),
    )
