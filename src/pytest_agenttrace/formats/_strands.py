"""strands-evals flattened span dicts: a list (or `{session_id, span_count, spans}`) of flat span objects.

Each span: `{trace_id, span_id, parent_span_id | null, name, start_time, end_time (int ns), attributes,
scope: {name, version}, status: {code: "OK" | "UNSET" | "ERROR", message?}, span_events: [...]}`; no resource and
no kind (INTERNAL unless a `kind` key is present). Event times may be `timestamp`/`time` in ns or ISO-8601.
"""

from __future__ import annotations

from typing import Any

from .._records import SpanEvent, SpanRecord
from ._common import (
    FieldError,
    ReadContext,
    convert_spans,
    hex_id,
    kind_from_name,
    plain_attributes,
    require_dict,
    require_list,
    require_str,
    status_from_name,
    time_ns,
)

NAME = "strands-evals span dicts"
_EXPECTED = (
    "a span {trace_id, span_id, parent_span_id, name, start_time, end_time, attributes, scope, status, span_events}"
)


def is_span(d: Any) -> bool:
    return isinstance(d, dict) and "span_id" in d and "trace_id" in d


def read(doc: Any, ctx: ReadContext) -> list[SpanRecord]:
    if isinstance(doc, dict):
        try:
            spans = require_list(doc.get("spans"), "'spans'")
        except FieldError as exc:
            raise ctx.error(f"{exc}; expected {{'session_id', 'span_count', 'spans': [span, ...]}}") from None
    else:
        spans = doc
    maxc = ctx.max_attr_chars
    return convert_spans(spans, ctx, lambda raw: _span(raw, maxc), expected=_EXPECTED, id_keys=("span_id",))


def _span(raw: Any, maxc: int) -> SpanRecord:
    raw = require_dict(raw, "a span")
    trace_id = hex_id(raw["trace_id"], 16, "trace_id", pad=True)
    span_id = hex_id(raw["span_id"], 8, "span_id", pad=True)
    parent = raw.get("parent_span_id", raw.get("parent_id"))
    parent_id = hex_id(parent, 8, "parent_span_id", pad=True) if parent else None
    status = require_dict(raw.get("status") or {}, "status")
    scope = require_dict(raw.get("scope") or {}, "scope")
    events = []
    for ev in require_list(raw.get("span_events", raw.get("events")) or [], "span_events"):
        ev = require_dict(ev, "a span event")
        when = next((ev[k] for k in ("timestamp", "time", "time_unix_nano", "time_ns") if ev.get(k) is not None), None)
        events.append(
            SpanEvent(
                require_str(ev.get("name", ""), "event name"),
                time_ns(when, "event timestamp") if when is not None else 0,
                plain_attributes(ev.get("attributes"), maxc, "event attributes"),
            )
        )
    return SpanRecord(
        trace_id,
        span_id,
        require_str(raw.get("name", ""), "name"),
        parent_id,
        kind_from_name(raw.get("kind"), "kind"),
        time_ns(raw["start_time"], "start_time") if raw.get("start_time") is not None else 0,
        time_ns(raw["end_time"], "end_time") if raw.get("end_time") is not None else 0,
        status_from_name(status.get("code", status.get("status_code")), "status.code"),
        str(status.get("message") or status.get("description") or ""),
        plain_attributes(raw.get("attributes"), maxc, "attributes"),
        tuple(events),
        plain_attributes(raw.get("resource"), maxc, "resource") if isinstance(raw.get("resource"), dict) else {},
        str(scope.get("name") or ""),
        str(scope.get("version") or ""),
    )
