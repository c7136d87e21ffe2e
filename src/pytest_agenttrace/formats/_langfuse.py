"""Langfuse public-API trace export: `{"trace": {..., "observations": [...]}, "observations": [...]}`.

One observation -> one span: `id` / `traceId` / `parentObservationId` are the span ids (non-hex ids, e.g. UUIDs of
observations not ingested over OTLP, become a stable hash; the original is kept as `langfuse.observation.id`), ISO
times, `level == "ERROR"` -> status ERROR with `statusMessage`. `metadata` (a JSON string or object) holds the
original span `attributes`, `resourceAttributes` and `scope`; its other keys become
`langfuse.observation.metadata.<key>`. Langfuse moved the input/output attributes out of the span, so they are put
back as `input.value` / `output.value` (text kept as is, anything else JSON-encoded) unless the attributes still have
them; `langfuse.observation.type` is the observation type; `model` -> `gen_ai.request.model` and `usageDetails`
`input`/`output` -> `gen_ai.usage.input_tokens`/`output_tokens` when absent. Langfuse stores every attribute value
as a string: token counts (`gen_ai.usage.*`, `llm.token_count.*`) that are decimal strings become ints.
"""

from __future__ import annotations

import json
from typing import Any

from .._records import SpanRecord
from ._common import (
    FieldError,
    ReadContext,
    convert_spans,
    foreign_id,
    iso_to_ns,
    plain_attributes,
    require_dict,
    require_list,
    require_str,
    text_or_json,
    truncate,
)

NAME = "Langfuse public-API trace export"
_EXPECTED = "a Langfuse observation {id, traceId, parentObservationId, name, type, startTime, endTime, metadata, ...}"
_TOKEN_PREFIXES = ("gen_ai.usage.", "llm.token_count.")


def sniff(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("observations"), list):
        return True
    trace = doc.get("trace")
    return isinstance(trace, dict) and ("observations" in trace or "projectId" in trace)


def read(doc: Any, ctx: ReadContext) -> list[SpanRecord]:
    trace = doc.get("trace") if isinstance(doc.get("trace"), dict) else doc
    observations = doc.get("observations")
    if observations is None:
        observations = trace.get("observations")
    try:
        observations = require_list(observations, "'observations'")
    except FieldError as exc:
        raise ctx.error(f"{exc}; expected {{'trace': {{...}}, 'observations': [...]}}") from None
    default_trace = trace.get("id")
    maxc = ctx.max_attr_chars
    return convert_spans(
        observations, ctx, lambda raw: _observation(raw, default_trace, maxc), expected=_EXPECTED, id_keys=("id",)
    )


def _metadata(value: Any) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {"": value}
    return value if isinstance(value, dict) else {"": value}


def _observation(raw: Any, default_trace: Any, maxc: int) -> SpanRecord:
    raw = require_dict(raw, "an observation")
    obs_id = require_str(raw["id"], "id")
    meta = _metadata(raw.get("metadata"))
    attrs_raw = meta.pop("attributes", None)
    resource_raw = meta.pop("resourceAttributes", None)
    scope = meta.pop("scope", None)
    attrs = plain_attributes(attrs_raw if isinstance(attrs_raw, dict) else None, maxc, "metadata.attributes")
    for key, value in meta.items():
        name = f"langfuse.observation.metadata.{key}" if key else "langfuse.observation.metadata"
        attrs.setdefault(name, value if isinstance(value, (str, int, float, bool)) else text_or_json(value))
    for key, value in list(attrs.items()):
        if key.startswith(_TOKEN_PREFIXES) and isinstance(value, str) and value.isdigit():
            attrs[key] = int(value)
    obs_type = raw.get("type")
    if obs_type is not None:
        attrs["langfuse.observation.type"] = require_str(obs_type, "type")
    for field, key in (("input", "input.value"), ("output", "output.value")):
        value = raw.get(field)
        if value is not None and key not in attrs:
            text = text_or_json(value)
            attrs[key] = text if len(text) <= maxc else truncate(text, maxc)
    model = raw.get("model")
    if isinstance(model, str) and model and "gen_ai.request.model" not in attrs:
        attrs["gen_ai.request.model"] = model
    usage = raw.get("usageDetails")
    if isinstance(usage, dict):
        for field, key in (("input", "gen_ai.usage.input_tokens"), ("output", "gen_ai.usage.output_tokens")):
            if isinstance(usage.get(field), int) and key not in attrs:
                attrs[key] = usage[field]
    span_id = foreign_id(obs_id, 8, "id")
    if span_id != obs_id:
        attrs.setdefault("langfuse.observation.id", obs_id)
    trace_raw = raw.get("traceId", default_trace)
    parent_raw = raw.get("parentObservationId")
    level = raw.get("level")
    if level is not None:
        level = require_str(level, "level")
    status_message = require_str(raw.get("statusMessage") or "", "statusMessage")
    if level == "ERROR":
        code = "ERROR"
    else:
        code = "UNSET"
        if status_message:
            attrs.setdefault("langfuse.observation.status_message", status_message)
            status_message = ""
    if level not in (None, "DEFAULT", "ERROR"):
        attrs.setdefault("langfuse.observation.level", level)
    scope_d = scope if isinstance(scope, dict) else {}
    resource = plain_attributes(resource_raw if isinstance(resource_raw, dict) else None, maxc, "resourceAttributes")
    if raw.get("startTime") is None:
        raise FieldError("startTime is missing; expected an ISO-8601 time like '2025-08-26T19:41:03.041Z'")
    return SpanRecord(
        foreign_id(require_str(trace_raw, "traceId"), 16, "traceId"),
        span_id,
        require_str(raw.get("name") or "", "name"),
        foreign_id(require_str(parent_raw, "parentObservationId"), 8, "parentObservationId") if parent_raw else None,
        "INTERNAL",
        iso_to_ns(raw["startTime"], "startTime"),
        iso_to_ns(raw["endTime"], "endTime") if raw.get("endTime") is not None else 0,
        code,
        str(status_message) if code == "ERROR" else "",
        attrs,
        (),
        resource,
        str(scope_d.get("name") or ""),
        str(scope_d.get("version") or ""),
    )
