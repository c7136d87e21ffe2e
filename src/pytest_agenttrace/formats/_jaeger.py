"""Jaeger query-API JSON: `{"data": [{traceID, spans: [...], processes: {p1: {serviceName, tags}}}]}`.

Spans: `{traceID, spanID, operationName, references: [{refType: "CHILD_OF", spanID}], startTime (us), duration (us),
tags: [{key, type, value}], logs: [{timestamp (us), fields}], processID}`. What Jaeger made of OTel fields is turned
back: the parent is the first CHILD_OF reference (else the first reference), the kind comes from the `span.kind` tag,
the status from `otel.status_code`/`otel.status_description` (or `error=true`), the scope from
`otel.scope.name`/`otel.scope.version` (older: `otel.library.*`); those tags are then dropped from the attributes.
The resource is the process (`service.name` + its tags); a log becomes an event named by its `event` field. Other
tag values keep their JSON type (arrays that Jaeger stored as JSON strings stay strings).
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
    require_dict,
    require_list,
    require_str,
    short,
    truncate,
)

NAME = "Jaeger query API JSON"
_EXPECTED = "a Jaeger span {traceID, spanID, operationName, references, startTime, duration, tags, logs, processID}"
_TRANSLATED = frozenset(
    {
        "span.kind",
        "otel.status_code",
        "otel.status_description",
        "otel.scope.name",
        "otel.scope.version",
        "otel.library.name",
        "otel.library.version",
        "internal.span.format",
    }
)


def sniff(doc: Any) -> bool:
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        return False
    first = doc["data"][0] if doc["data"] else None
    return first is None or (isinstance(first, dict) and ("traceID" in first or "processes" in first))


def read(doc: Any, ctx: ReadContext) -> list[SpanRecord]:
    out: list[SpanRecord] = []
    maxc = ctx.max_attr_chars
    for i, trace in enumerate(doc["data"]):
        try:
            trace = require_dict(trace, f"data[{i}]")
            processes = _processes(trace.get("processes") or {}, maxc, f"data[{i}].processes")
            spans = require_list(trace.get("spans"), f"data[{i}].spans")
        except FieldError as exc:
            raise ctx.error(str(exc)) from None
        default_trace = trace.get("traceID")
        out += convert_spans(
            spans,
            ctx,
            lambda raw: _span(raw, processes, default_trace, maxc),  # noqa: B023 (called at once, in this iteration)
            expected=_EXPECTED,
            name_keys=("operationName",),
            id_keys=("spanID",),
        )
    return out


def _processes(value: Any, maxc: int, where: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for pid, proc in require_dict(value, where).items():
        proc = require_dict(proc, f"{where}.{pid}")
        resource: dict[str, Any] = {}
        if proc.get("serviceName") is not None:
            resource["service.name"] = require_str(proc["serviceName"], f"{where}.{pid}.serviceName")
        resource.update(_tags(proc.get("tags"), maxc, f"{where}.{pid}.tags"))
        out[pid] = resource
    return out


def _tags(tags: Any, maxc: int, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tag in require_list(tags or [], where):
        tag = require_dict(tag, f"{where} item")
        key = require_str(tag["key"], f"{where} key")
        value = tag.get("value")
        typ = tag.get("type", "string")
        if typ == "int64" and isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                raise FieldError(f"tag {key!r} of type int64 has a non-integer value {short(value)}") from None
        elif typ == "float64" and isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise FieldError(f"tag {key!r} of type float64 has a non-number value {short(value)}") from None
        elif typ == "bool" and isinstance(value, str):
            value = value.lower() == "true"
        if isinstance(value, str) and len(value) > maxc:
            value = truncate(value, maxc)
        elif isinstance(value, (list, dict)):
            raise FieldError(f"tag {key!r} value must be a scalar, got {short(value)}")
        out[key] = value
    return out


def _span(raw: Any, processes: dict[str, dict[str, Any]], default_trace: Any, maxc: int) -> SpanRecord:
    raw = require_dict(raw, "a span")
    trace_id = hex_id(raw.get("traceID", default_trace), 16, "traceID", pad=True)
    span_id = hex_id(raw["spanID"], 8, "spanID", pad=True)
    parent_id = None
    refs = require_list(raw.get("references") or [], "references")
    if refs:
        ref = next((r for r in refs if isinstance(r, dict) and r.get("refType") == "CHILD_OF"), refs[0])
        parent_id = hex_id(require_dict(ref, "a reference").get("spanID"), 8, "references[].spanID", pad=True)
    elif raw.get("parentSpanID"):
        parent_id = hex_id(raw["parentSpanID"], 8, "parentSpanID", pad=True)
    start_us = raw.get("startTime", 0)
    duration_us = raw.get("duration", 0)
    for key, val in (("startTime", start_us), ("duration", duration_us)):
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            raise FieldError(f"{key} must be a number of microseconds, got {short(val)}")
    start = int(start_us) * 1000
    end = start + int(duration_us) * 1000
    attrs = _tags(raw.get("tags"), maxc, "tags")
    kind = kind_from_name(attrs.get("span.kind"), "the span.kind tag")
    code_tag = attrs.get("otel.status_code")
    if isinstance(code_tag, str) and code_tag.upper() in ("OK", "ERROR", "UNSET"):
        code = code_tag.upper()
    elif attrs.get("error") is True:
        code = "ERROR"
        del attrs["error"]
    else:
        code = "UNSET"
    message = str(attrs.get("otel.status_description") or "")
    scope_name = attrs.get("otel.scope.name", attrs.get("otel.library.name")) or ""
    scope_version = attrs.get("otel.scope.version", attrs.get("otel.library.version")) or ""
    for key in _TRANSLATED.intersection(attrs):
        del attrs[key]
    if code == "ERROR" and attrs.get("error") is True:
        del attrs["error"]
    events = []
    for log in require_list(raw.get("logs") or [], "logs"):
        log = require_dict(log, "a log")
        fields = _tags(log.get("fields"), maxc, "log fields")
        name = fields.pop("event", "log")
        ts = log.get("timestamp", 0)
        if isinstance(ts, bool) or not isinstance(ts, (int, float)):
            raise FieldError(f"log timestamp must be a number of microseconds, got {short(ts)}")
        events.append(SpanEvent(str(name), int(ts) * 1000, fields))
    pid = raw.get("processID")
    resource = processes.get(pid, {}) if isinstance(pid, str) else {}
    if not resource and isinstance(raw.get("process"), dict):
        resource = _processes({"p": raw["process"]}, maxc, "process")["p"]
    return SpanRecord(
        trace_id,
        span_id,
        require_str(raw.get("operationName", ""), "operationName"),
        parent_id,
        kind,
        start,
        end,
        code,
        message,
        attrs,
        tuple(events),
        resource,
        str(scope_name),
        str(scope_version),
    )
