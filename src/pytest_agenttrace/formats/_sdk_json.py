"""Python SDK span dumps: `ReadableSpan.to_json()` output and any-agent's `AgentTrace` JSON (a pydantic dump).

`to_json()`: `{"name", "context": {"trace_id": "0x..", "span_id": "0x.."}, "kind": "SpanKind.CLIENT",
"parent_id": "0x.." | null, "start_time": "2024-..Z", "end_time", "status": {"status_code", "description"},
"attributes", "events": [{"name", "timestamp", "attributes"}], "links", "resource": {"attributes", "schema_url"}}`,
as pretty-printed objects concatenated, one per line, or a list. any-agent writes `{"spans": [...], "final_output"}`
where ids are decimal integers, `parent` is a context object, kinds/status codes are lowercase and times integer ns.
Links are not kept (a SpanRecord has none); any-agent's `final_output` is not part of the span data.
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
    time_ns,
)

NAME = "OpenTelemetry Python SDK span JSON"
ANY_AGENT_NAME = "any-agent AgentTrace JSON"
_EXPECTED = (
    'a span {"name", "context": {"trace_id", "span_id"}, "kind", "parent_id" | "parent", "start_time", '
    '"end_time", "status", "attributes", "events", "resource"}'
)
_PY_KINDS = {0: "INTERNAL", 1: "SERVER", 2: "CLIENT", 3: "PRODUCER", 4: "CONSUMER"}
_PY_STATUS = {0: "UNSET", 1: "OK", 2: "ERROR"}


def is_span(d: Any) -> bool:
    return isinstance(d, dict) and isinstance(d.get("context"), dict)


def read(doc: Any, ctx: ReadContext) -> list[SpanRecord]:
    if isinstance(doc, dict) and "spans" in doc:
        try:
            spans = require_list(doc["spans"], "'spans'")
        except FieldError as exc:
            raise ctx.error(f"{exc}; expected {{'spans': [span, ...]}}") from None
    elif isinstance(doc, dict):
        spans = [doc]
    else:
        spans = doc
    maxc = ctx.max_attr_chars
    return convert_spans(spans, ctx, lambda raw: _span(raw, maxc), expected=_EXPECTED, id_keys=("context.span_id",))


def _span(raw: Any, maxc: int) -> SpanRecord:
    raw = require_dict(raw, "a span")
    context = require_dict(raw.get("context"), "context")
    if "trace_id" not in context or "span_id" not in context:
        raise FieldError(f"context must have 'trace_id' and 'span_id', got keys {sorted(context)}")
    trace_id = hex_id(context["trace_id"], 16, "context.trace_id")
    span_id = hex_id(context["span_id"], 8, "context.span_id")
    parent_raw: Any = raw.get("parent_id")
    if parent_raw is None and isinstance(raw.get("parent"), dict):
        parent_raw = raw["parent"].get("span_id")
    parent_id = hex_id(parent_raw, 8, "parent_id") if parent_raw not in (None, "", 0) else None
    name = require_str(raw.get("name", ""), "name")
    kind_raw = raw.get("kind")
    kind = _PY_KINDS.get(kind_raw) if isinstance(kind_raw, int) else kind_from_name(kind_raw, "kind")
    if kind is None:
        raise FieldError(f"kind must be a SpanKind name or 0-4, got {short(kind_raw)}")
    status = raw.get("status") or {}
    status = require_dict(status, "status")
    code_raw = status.get("status_code", status.get("code"))
    code = _PY_STATUS.get(code_raw) if isinstance(code_raw, int) else status_from_name(code_raw, "status.status_code")
    if code is None:
        raise FieldError(f"status.status_code must be UNSET, OK or ERROR, got {short(code_raw)}")
    message = status.get("description") or status.get("message") or ""
    start = time_ns(raw.get("start_time"), "start_time") if raw.get("start_time") is not None else 0
    end = time_ns(raw.get("end_time"), "end_time") if raw.get("end_time") is not None else 0
    attributes = plain_attributes(raw.get("attributes"), maxc, "attributes")
    events = tuple(
        SpanEvent(
            require_str(ev.get("name", ""), "event name"),
            time_ns(ev["timestamp"], "event timestamp") if ev.get("timestamp") is not None else 0,
            plain_attributes(ev.get("attributes"), maxc, "event attributes"),
        )
        for ev in (require_dict(e, "an event") for e in require_list(raw.get("events") or [], "events"))
    )
    resource: dict[str, Any] = {}
    res = raw.get("resource")
    if res:
        resource = plain_attributes(require_dict(res, "resource").get("attributes"), maxc, "resource.attributes")
    scope = raw.get("instrumentation_scope") or raw.get("instrumentation_info") or {}
    scope = require_dict(scope, "instrumentation_scope")
    return SpanRecord(
        trace_id,
        span_id,
        name,
        parent_id,
        kind,
        start,
        end,
        code,
        str(message),
        attributes,
        events,
        resource,
        str(scope.get("name") or ""),
        str(scope.get("version") or ""),
    )
