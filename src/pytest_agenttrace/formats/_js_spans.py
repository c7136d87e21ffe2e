"""OpenTelemetry JS `ReadableSpan`-like JSON (e.g. the Vercel AI SDK's test fixtures): a list of span objects.

Each span: `{name, spanContext: {traceId, spanId}, parentSpanId? | parentSpanContext?: {spanId}, kind? (JS enum:
INTERNAL=0, SERVER=1, CLIENT=2, PRODUCER=3, CONSUMER=4), attributes, status: {code: 0|1|2, message?},
startTime/endTime: [seconds, nanoseconds] (HrTime), events: [{name, time, attributes}], resource?: {attributes},
instrumentationScope? | instrumentationLibrary?: {name, version}}`.
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
    short,
    status_from_name,
)

NAME = "OpenTelemetry JS ReadableSpan-like JSON"
_EXPECTED = (
    "a span {name, spanContext: {traceId, spanId}, parentSpanId?, attributes, status, startTime, endTime, events}"
)
_JS_KINDS = {0: "INTERNAL", 1: "SERVER", 2: "CLIENT", 3: "PRODUCER", 4: "CONSUMER"}
_JS_STATUS = {0: "UNSET", 1: "OK", 2: "ERROR"}


def is_span(d: Any) -> bool:
    return isinstance(d, dict) and "spanContext" in d


def read(doc: Any, ctx: ReadContext) -> list[SpanRecord]:
    spans = [doc] if isinstance(doc, dict) else doc
    maxc = ctx.max_attr_chars
    return convert_spans(spans, ctx, lambda raw: _span(raw, maxc), expected=_EXPECTED, id_keys=("spanContext.spanId",))


def _hrtime(value: Any, where: str) -> int:
    """HrTime `[seconds, nanoseconds]` -> Unix ns."""
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        return int(value[0]) * 1_000_000_000 + int(value[1])
    raise FieldError(f"{where} must be an HrTime [seconds, nanoseconds], got {short(value)}")


def _span(raw: Any, maxc: int) -> SpanRecord:
    raw = require_dict(raw, "a span")
    context = require_dict(raw.get("spanContext"), "spanContext")
    parent: Any = raw.get("parentSpanId")
    if parent is None and isinstance(raw.get("parentSpanContext"), dict):
        parent = raw["parentSpanContext"].get("spanId")
    kind_raw = raw.get("kind")
    if isinstance(kind_raw, int) and not isinstance(kind_raw, bool):
        kind = _JS_KINDS.get(kind_raw)
        if kind is None:
            raise FieldError(f"kind must be a JS SpanKind 0-4, got {kind_raw!r}")
    else:
        kind = kind_from_name(kind_raw, "kind")
    status = require_dict(raw.get("status") or {}, "status")
    code_raw = status.get("code")
    if isinstance(code_raw, int) and not isinstance(code_raw, bool):
        code = _JS_STATUS.get(code_raw)
        if code is None:
            raise FieldError(f"status.code must be 0 (UNSET), 1 (OK) or 2 (ERROR), got {code_raw!r}")
    else:
        code = status_from_name(code_raw, "status.code")
    events = []
    for ev in require_list(raw.get("events") or [], "events"):
        ev = require_dict(ev, "an event")
        events.append(
            SpanEvent(
                require_str(ev.get("name", ""), "event name"),
                _hrtime(ev["time"], "event time") if ev.get("time") is not None else 0,
                plain_attributes(ev.get("attributes"), maxc, "event attributes"),
            )
        )
    resource = raw.get("resource")
    scope = raw.get("instrumentationScope") or raw.get("instrumentationLibrary") or {}
    scope = require_dict(scope, "instrumentationScope")
    return SpanRecord(
        hex_id(context.get("traceId"), 16, "spanContext.traceId"),
        hex_id(context.get("spanId"), 8, "spanContext.spanId"),
        require_str(raw.get("name", ""), "name"),
        hex_id(parent, 8, "parentSpanId") if parent else None,
        kind,
        _hrtime(raw["startTime"], "startTime") if raw.get("startTime") is not None else 0,
        _hrtime(raw["endTime"], "endTime") if raw.get("endTime") is not None else 0,
        code,
        str(status.get("message") or ""),
        plain_attributes(raw.get("attributes"), maxc, "attributes"),
        tuple(events),
        plain_attributes(require_dict(resource, "resource").get("attributes"), maxc, "resource.attributes")
        if resource
        else {},
        str(scope.get("name") or ""),
        str(scope.get("version") or ""),
    )
