"""OTLP/JSON: collector file exporter, OTLP/HTTP JSON bodies, Grafana Tempo exports, protobufjs-decoded payloads.

Accepted shapes: `{"resourceSpans": [...]}` (also one such document per line, or a list of them), a bare list of
ResourceSpans (or a single one), Tempo's legacy `{"batches": [{resource, instrumentationLibrarySpans:
[{instrumentationLibrary, spans}]}]}` and Tempo v2's `{"trace": {...}}`, and protobuf field names in snake_case.
Values: ids in hex, base64 or as `{"type": "Buffer", "data": [...]}`; int64 as strings, numbers or protobufjs
Longs; kinds and status codes as enum names or numbers. This is the hot path of loading big files, so the span
loop builds few objects and dispatches on AnyValue keys inline.
"""

from __future__ import annotations

import base64
from typing import Any

from .._records import SpanEvent, SpanRecord
from ._common import (
    SPAN_ERRORS,
    FieldError,
    ReadContext,
    fail_span,
    long_value,
    otlp_id,
    require_dict,
    require_list,
    short,
    truncate,
    type_name,
)

NAME = "OTLP/JSON"

_KINDS: dict[Any, str] = {
    0: "INTERNAL",
    1: "INTERNAL",
    2: "SERVER",
    3: "CLIENT",
    4: "PRODUCER",
    5: "CONSUMER",
    "SPAN_KIND_UNSPECIFIED": "INTERNAL",
    "SPAN_KIND_INTERNAL": "INTERNAL",
    "SPAN_KIND_SERVER": "SERVER",
    "SPAN_KIND_CLIENT": "CLIENT",
    "SPAN_KIND_PRODUCER": "PRODUCER",
    "SPAN_KIND_CONSUMER": "CONSUMER",
    "INTERNAL": "INTERNAL",
    "SERVER": "SERVER",
    "CLIENT": "CLIENT",
    "PRODUCER": "PRODUCER",
    "CONSUMER": "CONSUMER",
    "UNSPECIFIED": "INTERNAL",
}
_STATUS: dict[Any, str] = {
    0: "UNSET",
    1: "OK",
    2: "ERROR",
    "STATUS_CODE_UNSET": "UNSET",
    "STATUS_CODE_OK": "OK",
    "STATUS_CODE_ERROR": "ERROR",
    "UNSET": "UNSET",
    "OK": "OK",
    "ERROR": "ERROR",
}
_ZERO_SPAN = "0" * 16
_EXPECTED = (
    "an OTLP span {traceId, spanId, parentSpanId?, name, kind?, startTimeUnixNano, endTimeUnixNano, "
    "attributes: [{key, value: AnyValue}], events?, status?}"
)


def sniff(doc: Any) -> bool:
    """Is this an OTLP/JSON document (or a list of documents / ResourceSpans)?"""
    if isinstance(doc, dict):
        return (
            _is_envelope(doc)
            or _is_resource_spans(doc)
            or (isinstance(doc.get("trace"), dict) and _is_envelope(doc["trace"]))
        )
    if isinstance(doc, list) and doc and isinstance(doc[0], dict):
        return _is_envelope(doc[0]) or _is_resource_spans(doc[0])
    return False


def _is_envelope(d: dict[str, Any]) -> bool:
    return "resourceSpans" in d or "resource_spans" in d or "batches" in d


def _is_resource_spans(d: dict[str, Any]) -> bool:
    return "scopeSpans" in d or "instrumentationLibrarySpans" in d or "scope_spans" in d


def read(doc: Any, ctx: ReadContext) -> list[SpanRecord]:
    out: list[SpanRecord] = []
    docs = doc if isinstance(doc, list) else [doc]
    for i, item in enumerate(docs):
        where = f"document {i + 1}" if isinstance(doc, list) else "the document"
        try:
            item = require_dict(item, where)
            if "trace" in item and not _is_envelope(item) and not _is_resource_spans(item):
                item = require_dict(item["trace"], f"{where}.trace")
            if "resource_spans" in item or "scope_spans" in item:
                item = _camelize(item)
            if _is_resource_spans(item):
                _read_resource_spans(item, ctx, out, where)
                continue
            key = "resourceSpans" if "resourceSpans" in item else "batches"
            if key not in item:
                raise FieldError(f"{where} has no 'resourceSpans' (keys: {sorted(item)[:8]})")
            for j, rs in enumerate(require_list(item[key], f"{where}.{key}")):
                _read_resource_spans(rs, ctx, out, f"{key}[{j}]")
        except FieldError as exc:
            raise ctx.error(str(exc)) from None
    return out


def _read_resource_spans(rs: Any, ctx: ReadContext, out: list[SpanRecord], where: str) -> None:
    rs = require_dict(rs, where)
    res = rs.get("resource")
    resource: dict[str, Any] = {}
    if res:
        resource = _attributes(
            require_dict(res, f"{where}.resource").get("attributes"), ctx.max_attr_chars, f"{where}.resource.attributes"
        )
    key = "scopeSpans" if "scopeSpans" in rs else "instrumentationLibrarySpans"
    for k, ss in enumerate(require_list(rs.get(key) or [], f"{where}.{key}")):
        ss = require_dict(ss, f"{where}.{key}[{k}]")
        scope = ss.get("scope") or ss.get("instrumentationLibrary") or {}
        scope = require_dict(scope, f"{where}.{key}[{k}].scope")
        name = scope.get("name") or ""
        version = scope.get("version") or ""
        if not isinstance(name, str) or not isinstance(version, str):
            raise FieldError(f"{where}.{key}[{k}].scope name and version must be strings, got {short(scope)}")
        spans = require_list(ss.get("spans") or [], f"{where}.{key}[{k}].spans")
        _read_spans(spans, resource, name, version, ctx, out)


def _read_spans(
    spans: list[Any],
    resource: dict[str, Any],
    scope_name: str,
    scope_version: str,
    ctx: ReadContext,
    out: list[SpanRecord],
) -> None:
    """The hot loop: one SpanRecord per raw span, attributes converted inline."""
    maxc = ctx.max_attr_chars
    ids = ctx.id_cache
    kinds = _KINDS
    statuses = _STATUS
    append = out.append
    record = SpanRecord
    for raw in spans:
        try:
            t = raw["traceId"]
            tid = ids.get(t) if type(t) is str else None
            if tid is None:
                tid = otlp_id(t, 16, "traceId")
                if type(t) is str:
                    ids[t] = tid
            sid = otlp_id(raw["spanId"], 8, "spanId")
            p = raw.get("parentSpanId")
            if p:
                parent = ids.get(p) if type(p) is str else None
                if parent is None:
                    parent = otlp_id(p, 8, "parentSpanId")
                    if type(p) is str:
                        ids[p] = parent
                if parent == _ZERO_SPAN:
                    parent = None
            else:
                parent = None
            name = raw.get("name", "")
            if type(name) is not str:
                raise FieldError(f"name must be a string, got {type_name(name)}")
            k = raw.get("kind")
            kind = "INTERNAL" if k is None else kinds[k]
            st = raw.get("startTimeUnixNano", 0)
            start = int(st) if type(st) is not dict else long_value(st)
            en = raw.get("endTimeUnixNano", 0)
            end = int(en) if type(en) is not dict else long_value(en)
            status = raw.get("status")
            if status:
                c = status.get("code", 0)
                code = statuses[c]
                msg = status.get("message") or ""
                if type(msg) is not str:
                    raise FieldError(f"status.message must be a string, got {short(msg)}")
            else:
                code = "UNSET"
                msg = ""
            attrs: dict[str, Any] = {}
            for kv in raw.get("attributes") or ():
                key = kv["key"]
                if type(key) is not str:
                    raise FieldError(f"attribute key must be a string, got {short(key)}")
                v = kv["value"]
                x = v.get("stringValue")
                if x is not None:
                    if type(x) is not str:
                        raise FieldError(f"attribute {key!r}: stringValue must be a string, got {short(x)}")
                    if len(x) > maxc:
                        x = truncate(x, maxc)
                else:
                    x = v.get("intValue")
                    if x is not None:
                        x = int(x) if type(x) is not dict else long_value(x)
                    elif "boolValue" in v:
                        x = v["boolValue"]
                        if type(x) is not bool:
                            raise FieldError(f"attribute {kv['key']!r}: boolValue must be true/false, got {short(x)}")
                    elif "doubleValue" in v:
                        x = float(v["doubleValue"])
                    else:
                        x = _any_value(v, maxc)
                attrs[key] = x
            evs = raw.get("events")
            events = tuple([_event(e, maxc) for e in evs]) if evs else ()
            append(
                record(
                    tid,
                    sid,
                    name,
                    parent,
                    kind,
                    start,
                    end,
                    code,
                    msg,
                    attrs,
                    events,
                    resource,
                    scope_name,
                    scope_version,
                )
            )
        except SPAN_ERRORS as exc:
            fail_span(ctx, raw, exc, expected=_EXPECTED, id_keys=("spanId",), diagnose=_diagnose)


def _event(e: dict[str, Any], maxc: int) -> SpanEvent:
    t = e.get("timeUnixNano", 0)
    name = e.get("name", "")
    if type(name) is not str:
        raise FieldError(f"event name must be a string, got {type_name(name)}")
    return SpanEvent(
        name,
        int(t) if type(t) is not dict else long_value(t),
        _attributes(e.get("attributes"), maxc, "event attributes"),
    )


def _attributes(kvs: Any, maxc: int, where: str = "attributes") -> dict[str, Any]:
    """A KeyValue list as a dict (the slow, general path: resources, events, kvlists)."""
    out: dict[str, Any] = {}
    for kv in require_list(kvs or [], where):
        kv = require_dict(kv, f"{where} item")
        key = kv["key"]
        if not isinstance(key, str):
            raise FieldError(f"{where}: attribute key must be a string, got {short(key)}")
        out[key] = _any_value(require_dict(kv.get("value") or {}, f"attribute {key!r} value"), maxc)
    return out


def _any_value(v: dict[str, Any], maxc: int) -> Any:
    """An OTLP AnyValue as a plain value: arrays -> tuples, kvlists -> dicts, bytes -> base64 text."""
    if not v:
        return None
    if "stringValue" in v:
        x = v["stringValue"]
        if not isinstance(x, str):
            raise FieldError(f"stringValue must be a string, got {type_name(x)}")
        return x if len(x) <= maxc else truncate(x, maxc)
    if "intValue" in v:
        x = v["intValue"]
        if isinstance(x, dict):
            return long_value(x)
        if isinstance(x, bool) or not isinstance(x, (int, str, float)):
            raise FieldError(f"intValue must be an integer or a decimal string, got {short(x)}")
        try:
            return int(x)
        except ValueError:
            raise FieldError(f"intValue must be an integer or a decimal string, got {short(x)}") from None
    if "doubleValue" in v:
        x = v["doubleValue"]
        if isinstance(x, bool) or not isinstance(x, (int, float, str)):
            raise FieldError(f"doubleValue must be a number, got {short(x)}")
        try:
            return float(x)
        except ValueError:
            raise FieldError(f"doubleValue must be a number, got {short(x)}") from None
    if "boolValue" in v:
        x = v["boolValue"]
        if not isinstance(x, bool):
            raise FieldError(f"boolValue must be true/false, got {short(x)}")
        return x
    if "arrayValue" in v:
        arr = v["arrayValue"] or {}
        values = require_list(require_dict(arr, "arrayValue").get("values") or [], "arrayValue.values")
        return tuple([_any_value(require_dict(item, "arrayValue item"), maxc) for item in values])
    if "kvlistValue" in v:
        kvl = require_dict(v["kvlistValue"] or {}, "kvlistValue")
        return _attributes(kvl.get("values"), maxc, "kvlistValue.values")
    if "bytesValue" in v:
        x = v["bytesValue"]
        if isinstance(x, dict) and isinstance(x.get("data"), list):  # protobufjs Buffer
            try:
                return base64.b64encode(bytes(x["data"])).decode()
            except (TypeError, ValueError):
                raise FieldError(f"bytesValue must hold bytes, got {short(x)}") from None
        if not isinstance(x, str):
            raise FieldError(f"bytesValue must be base64 text, got {type_name(x)}")
        return x
    raise FieldError(
        f"unknown AnyValue {short(v)}; expected one of stringValue, intValue, doubleValue, boolValue, "
        "arrayValue, kvlistValue, bytesValue"
    )


def _diagnose(raw: Any) -> str | None:
    """A precise message for a span the fast loop rejected (the slow path, run only on failure)."""
    if not isinstance(raw, dict):
        return f"a span must be an object, got {type_name(raw)} ({short(raw)})"
    for key in ("traceId", "spanId"):
        if key not in raw:
            return f"missing required field {key!r}; expected {_EXPECTED}"
    for key in ("startTimeUnixNano", "endTimeUnixNano"):
        if key in raw:
            x = raw[key]
            if isinstance(x, dict):
                continue
            if isinstance(x, bool) or not isinstance(x, (int, str, float)) or not _is_int(x):
                return f"{key} must be Unix nanoseconds (an integer or a decimal string), got {short(x)}"
    k = raw.get("kind")
    if k is not None and (not isinstance(k, (int, str)) or k not in _KINDS):
        return f"kind must be a SpanKind name (SPAN_KIND_CLIENT...) or number 0-5, got {short(k)}"
    status = raw.get("status")
    if status:
        if not isinstance(status, dict):
            return f"status must be an object {{code, message}}, got {short(status)}"
        c = status.get("code", 0)
        if not isinstance(c, (int, str)) or c not in _STATUS:
            return f"status.code must be STATUS_CODE_UNSET/OK/ERROR or 0-2, got {short(c)}"
    attrs = raw.get("attributes")
    if attrs is not None:
        if not isinstance(attrs, list):
            return f"attributes must be a list of {{key, value}}, got {type_name(attrs)}"
        for kv in attrs:
            if not isinstance(kv, dict) or "key" not in kv or not isinstance(kv.get("value"), dict):
                return f"each attribute must be {{key, value: AnyValue}}, got {short(kv)}"
            try:
                _any_value(kv["value"], 1 << 62)
            except FieldError as exc:
                return f"attribute {kv['key']!r}: {exc}"
    evs = raw.get("events")
    if evs is not None and not isinstance(evs, list):
        return f"events must be a list, got {type_name(evs)}"
    return None


def _is_int(x: Any) -> bool:
    try:
        int(x)
    except (ValueError, OverflowError):
        return False
    return True


def _camelize(obj: Any) -> Any:
    """Protobuf JSON with the proto field names (`resource_spans`, `string_value`) -> lowerCamelCase."""
    if isinstance(obj, dict):
        return {_camel(k): _camelize(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_camelize(v) for v in obj]
    return obj


def _camel(key: str) -> str:
    if "_" not in key:
        return key
    head, *rest = key.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)
