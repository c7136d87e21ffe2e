"""Fuzz every trace reader and the cassette loader: only the documented error may come out, whatever the input.

    python bench/fuzz.py                           # 10,000 examples per target (the documented long run)
    python bench/fuzz.py --examples 500 --reader otlp,cassette
    python bench/fuzz.py --list                    # the target names
    python bench/fuzz.py --seed 7 --show 3         # another seed; print up to 3 escapes per target

Each target has a hypothesis strategy of *valid* documents in its format, all built from one abstract span plan
(GenAI, OpenInference, Traceloop, pydantic-ai and OpenAI Agents content, so the normalizers run too), serialized the
format's ways (compact, indented, JSON Lines, concatenated), then corrupted: truncation, byte flips, type swaps,
deep nesting, huge numbers, NaN/Infinity, wrong encodings and lone surrogates, duplicate keys, gzip; cassettes also
get Python object tags, recursive and exponential YAML aliases and YAML's own scalar types.

One example runs the whole read path: `read_records(bytes)` and, when it parsed, `Trace.from_records` plus the
trace's steps and repr; a cassette is `Cassette.load(path)` then opened with `use_cassette(path, mode="none")`.
An *escape* is any exception other than `TraceFormatError` (traces) or `CassetteFormatError` (cassettes).
The test suite runs the same targets, 200 derandomized examples each (tests/hardening/test_fuzz_readers.py).
"""

from __future__ import annotations

import argparse
import atexit
import base64
import datetime as _dt
import gzip
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
import uuid
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

DEFAULT_EXAMPLES = 10_000

# ------------------------------------------------------------------------------------------------ span plans

HEX = "0123456789abcdef"
KINDS = ("INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")
STATUSES = ("UNSET", "OK", "ERROR")
#: Strings that have broken parsers, code generators and file writers before.
NASTY = [
    "",
    " ",
    "get_weather",
    "search.web",
    "你好",
    "é",
    "a\nb",
    "\r\n",
    "\t",
    '"""',
    "'''",
    "\\",
    "\\u0000",
    "\x00",
    "\x7f",
    "\u2028",
    "\ufeff",
    "../../etc/passwd",
    "/etc/passwd",
    "C:\\Windows",
    "NUL",
    "${HOME}",
    "{{x}}",
    "%s%n",
    "<script>",
    "0",
    "-1",
    "null",
    "true",
    "NaN",
    "1e400",
    "[]",
    "{}",
    '{"a": 1}',
    "x" * 300,
]
TEXT = st.one_of(st.sampled_from(NASTY), st.text(st.characters(codec="utf-8"), max_size=12))
NAMES = st.one_of(
    st.sampled_from(["planner", "researcher", "get_weather", "lookup_order", "refund", "agent", "search"]), TEXT
)
INTS = st.one_of(
    st.integers(-5, 5000),
    st.sampled_from([0, -1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63), 10**30]),
)
FLOATS = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0.5, -0.0, 1e308]))
SCALARS = st.one_of(TEXT, INTS, FLOATS, st.booleans())
ATTR_VALUES = st.one_of(
    SCALARS,
    st.lists(TEXT, max_size=3),
    st.lists(INTS, max_size=3),
    st.lists(st.booleans(), max_size=2),
)


def _ids(draw: Any, n: int, width: int) -> list[str]:
    ids = draw(st.lists(st.text(HEX, min_size=width, max_size=width), min_size=n, max_size=n, unique=True))
    return [i if i.strip("0") else "1".rjust(width, "0") for i in ids]  # all-zero ids are invalid in OTel


@st.composite
def messages(draw: Any, *, shape: str | None = None) -> list[dict[str, Any]]:
    """Chat messages in the GenAI "parts" shape or OpenAI's role/content/tool_calls shape."""
    shape = shape or draw(st.sampled_from(["parts", "openai"]))
    out: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 3))):
        role = draw(st.sampled_from(["system", "user", "assistant", "tool", "developer", "model", ""]))
        if shape == "parts":
            parts: list[dict[str, Any]] = []
            for _ in range(draw(st.integers(0, 2))):
                kind = draw(st.sampled_from(["text", "tool_call", "tool_call_response", "reasoning", "blob"]))
                if kind == "text":
                    parts.append({"type": "text", "content": draw(TEXT)})
                elif kind == "tool_call":
                    parts.append(
                        {
                            "type": "tool_call",
                            "id": draw(st.none() | TEXT),
                            "name": draw(NAMES),
                            "arguments": draw(st.dictionaries(TEXT, SCALARS, max_size=2) | TEXT),
                        }
                    )
                elif kind == "tool_call_response":
                    parts.append(
                        {"type": "tool_call_response", "id": draw(st.none() | TEXT), "response": draw(SCALARS)}
                    )
                else:
                    parts.append({"type": kind, "content": draw(TEXT)})
            msg: dict[str, Any] = {"role": role, "parts": parts}
            if role == "assistant" and draw(st.booleans()):
                msg["finish_reason"] = draw(st.sampled_from(["stop", "tool_calls", "length", "content_filter"]))
        else:
            msg = {"role": role, "content": draw(st.none() | TEXT)}
            if role == "assistant" and draw(st.booleans()):
                msg["tool_calls"] = [
                    {
                        "id": draw(TEXT),
                        "type": "function",
                        "function": {
                            "name": draw(NAMES),
                            "arguments": json.dumps(draw(st.dictionaries(TEXT, SCALARS, max_size=2))),
                        },
                    }
                ]
            if role == "tool":
                msg["tool_call_id"] = draw(TEXT)
        out.append(msg)
    return out


def _json_or_junk(draw: Any, value: Any) -> Any:
    """Mostly the JSON text of `value`; sometimes the raw value, invalid JSON or plain text."""
    how = draw(st.integers(0, 9))
    if how < 7:
        return json.dumps(value, ensure_ascii=draw(st.booleans()))
    if how == 7:
        return json.dumps(value)[: draw(st.integers(0, 20))]
    if how == 8:
        return draw(TEXT)
    return value if isinstance(value, (str, int, float, bool)) else json.dumps(value)


@st.composite
def semantic_attributes(draw: Any, role: str) -> dict[str, Any]:
    """Attributes of one span in one instrumentation family (mostly well-formed, sometimes of the wrong type)."""
    family = draw(st.sampled_from(["genai", "openinference", "traceloop", "pydantic_ai", "plain"]))
    a: dict[str, Any] = {}
    if family == "genai":
        op = {"agent": "invoke_agent", "llm": "chat", "tool": "execute_tool"}.get(role, "")
        a["gen_ai.operation.name"] = draw(st.sampled_from([op, op, "embeddings", "text_completion", "create_agent"]))
        if role == "agent":
            a["gen_ai.agent.name"] = draw(NAMES)
        if role == "llm":
            a["gen_ai.request.model"] = draw(st.sampled_from(["gpt-4o", "claude-3-5-sonnet", "unknown-model"]) | TEXT)
            a["gen_ai.provider.name"] = draw(st.sampled_from(["openai", "anthropic", "aws.bedrock", ""]))
            a["gen_ai.usage.input_tokens"] = draw(INTS | TEXT)
            a["gen_ai.usage.output_tokens"] = draw(INTS)
            a["gen_ai.input.messages"] = _json_or_junk(draw, draw(messages(shape="parts")))
            a["gen_ai.output.messages"] = _json_or_junk(draw, draw(messages(shape="parts")))
            a["gen_ai.response.finish_reasons"] = draw(st.lists(TEXT, max_size=2) | TEXT)
        if role == "tool":
            a["gen_ai.tool.name"] = draw(NAMES)
            a["gen_ai.tool.call.id"] = draw(TEXT)
            a["gen_ai.tool.call.arguments"] = _json_or_junk(draw, draw(st.dictionaries(TEXT, SCALARS, max_size=3)))
            a["gen_ai.tool.call.result"] = _json_or_junk(draw, draw(SCALARS))
    elif family == "openinference":
        a["openinference.span.kind"] = {"agent": "AGENT", "llm": "LLM", "tool": "TOOL"}.get(role, "CHAIN")
        a["input.value"] = _json_or_junk(draw, draw(st.dictionaries(TEXT, SCALARS, max_size=2)))
        a["output.value"] = draw(TEXT)
        if role == "llm":
            a["llm.model_name"] = draw(TEXT)
            a["llm.token_count.prompt"] = draw(INTS)
            for i, m in enumerate(draw(messages(shape="openai"))):
                a[f"llm.input_messages.{i}.message.role"] = m["role"]
                a[f"llm.input_messages.{i}.message.content"] = m.get("content") or ""
        if role == "tool":
            a["tool.name"] = draw(NAMES)
            a["tool.parameters"] = draw(TEXT)
    elif family == "traceloop":
        a["traceloop.span.kind"] = {"agent": "agent", "llm": "task", "tool": "tool"}.get(role, "workflow")
        a["traceloop.entity.name"] = draw(NAMES)
        a["traceloop.entity.input"] = _json_or_junk(draw, {"args": [draw(SCALARS)], "kwargs": {}})
        if role == "llm":
            a["llm.request.type"] = "chat"
            a["gen_ai.system"] = draw(st.sampled_from(["openai", "Anthropic", ""]))
            for i, m in enumerate(draw(messages(shape="openai"))):
                a[f"gen_ai.prompt.{i}.role"] = m["role"]
                a[f"gen_ai.prompt.{i}.content"] = m.get("content") or ""
            a["gen_ai.completion.0.content"] = draw(TEXT)
            a["llm.usage.total_tokens"] = draw(INTS)
    elif family == "pydantic_ai":
        if role == "agent":
            a["agent_name"] = draw(NAMES)
            a["pydantic_ai.all_messages"] = _json_or_junk(draw, draw(messages(shape="parts")))
            a["final_result"] = draw(TEXT)
        elif role == "tool":
            a["gen_ai.tool.name"] = draw(NAMES)
            a["tool_arguments"] = _json_or_junk(draw, draw(st.dictionaries(TEXT, SCALARS, max_size=2)))
            a["tool_response"] = draw(TEXT)
        a["logfire.msg"] = draw(TEXT)
    for _ in range(draw(st.integers(0, 2))):
        a[draw(TEXT)] = draw(ATTR_VALUES)
    return a


@dataclass
class PlanSpan:
    """One span of the abstract plan every format is encoded from."""

    trace_id: str
    span_id: str
    parent: int | None
    name: str
    kind: str
    start_ns: int
    end_ns: int
    status: str
    message: str
    attributes: dict[str, Any]
    events: list[tuple[str, int, dict[str, Any]]]
    resource: dict[str, Any]
    scope: tuple[str, str]


#: 2001-09-09 .. 2065-01-24: inside every format's time range (ISO strings, microseconds, HrTime).
T0 = 10**18
T_SPAN = 2 * 10**18


@st.composite
def span_plans(draw: Any) -> list[PlanSpan]:
    """1-6 spans in 1-2 traces, each a child of an earlier span (or a root), with realistic content."""
    n = draw(st.integers(1, 6))
    trace_ids = _ids(draw, draw(st.integers(1, 2)), 32)
    span_ids = _ids(draw, n, 16)
    resource = {"service.name": draw(TEXT)}
    scope = (
        draw(st.sampled_from(["openai.agents", "pydantic-ai", "opentelemetry.instrumentation.openai_v2"]) | TEXT),
        "1.0",
    )
    spans: list[PlanSpan] = []
    for i in range(n):
        parent = draw(st.none() | st.integers(0, i - 1)) if i else None
        role = draw(st.sampled_from(["agent", "llm", "tool", "other"]))
        start = draw(st.integers(T0, T0 + T_SPAN))
        end = start + draw(st.integers(0, 10**12))
        events = [
            (
                draw(st.sampled_from(["exception", "gen_ai.user.message", "gen_ai.choice"]) | TEXT),
                start,
                {"k": draw(SCALARS)},
            )
            for _ in range(draw(st.integers(0, 1)))
        ]
        trace_id = spans[parent].trace_id if parent is not None else draw(st.sampled_from(trace_ids))
        spans.append(
            PlanSpan(
                trace_id=trace_id,
                span_id=span_ids[i],
                parent=parent,
                name=draw(st.sampled_from(["invoke_agent planner", "chat gpt-4o", "execute_tool get_weather"]) | TEXT),
                kind=draw(st.sampled_from(KINDS)),
                start_ns=start,
                end_ns=end,
                status=draw(st.sampled_from(STATUSES)),
                message=draw(TEXT),
                attributes=draw(semantic_attributes(role)),
                events=events,
                resource=resource,
                scope=scope,
            )
        )
    return spans


def _parent_id(plan: list[PlanSpan], s: PlanSpan) -> str | None:
    return plan[s.parent].span_id if s.parent is not None else None


def _iso(ns: int, *, zone: str = "Z") -> str:
    dt = _dt.datetime.fromtimestamp(ns // 10**9, tz=_dt.UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{ns % 10**9 // 1000:06d}" + zone


# ------------------------------------------------------------------------------------------ format encoders


def _long(n: int, unsigned: bool) -> dict[str, Any]:
    low, high = n & 0xFFFFFFFF, (n >> 32) & 0xFFFFFFFF
    signed = lambda x: x - (1 << 32) if x >= 1 << 31 else x  # noqa: E731
    return {"low": signed(low), "high": signed(high), "unsigned": unsigned}


def _any_value(draw: Any, v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        if -(2**63) <= v < 2**63:
            how = draw(st.integers(0, 2))
            return {"intValue": str(v) if how == 0 else v if how == 1 else _long(v, False)}
        return {"stringValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list):
        return {"arrayValue": {"values": [_any_value(draw, x) for x in v]}}
    if isinstance(v, dict):
        return {"kvlistValue": {"values": [{"key": k, "value": _any_value(draw, x)} for k, x in v.items()]}}
    if draw(st.integers(0, 20)) == 0:
        return {"bytesValue": base64.b64encode(str(v).encode()).decode()}
    return {"stringValue": str(v)}


def _kvs(draw: Any, attrs: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _any_value(draw, v)} for k, v in attrs.items()]


def _otlp_id(draw: Any, hex_id: str) -> Any:
    how = draw(st.integers(0, 5))
    if how == 0:
        return base64.b64encode(bytes.fromhex(hex_id)).decode()
    if how == 1:
        return {"type": "Buffer", "data": list(bytes.fromhex(hex_id))}
    return hex_id if how < 5 else hex_id.upper()


def _otlp_time(draw: Any, ns: int) -> Any:
    how = draw(st.integers(0, 3))
    return str(ns) if how < 2 else ns if how == 2 else _long(ns, True)


@st.composite
def otlp_docs(draw: Any) -> list[Any]:
    """OTLP/JSON: resourceSpans (one doc, JSON Lines, a list), Tempo batches / trace envelope, snake_case."""
    plan = draw(span_plans())
    otlp_spans = []
    for s in plan:
        parent = _parent_id(plan, s)
        span: dict[str, Any] = {
            "traceId": _otlp_id(draw, s.trace_id),
            "spanId": _otlp_id(draw, s.span_id),
            "name": s.name,
            "kind": draw(st.sampled_from([KINDS.index(s.kind) + 1, f"SPAN_KIND_{s.kind}"])),
            "startTimeUnixNano": _otlp_time(draw, s.start_ns),
            "endTimeUnixNano": _otlp_time(draw, s.end_ns),
            "attributes": _kvs(draw, s.attributes),
            "status": {"code": draw(st.sampled_from([STATUSES.index(s.status), f"STATUS_CODE_{s.status}"]))},
        }
        if parent is not None:
            span["parentSpanId"] = _otlp_id(draw, parent)
        if s.message:
            span["status"]["message"] = s.message
        if s.events:
            span["events"] = [
                {"timeUnixNano": _otlp_time(draw, t), "name": name, "attributes": _kvs(draw, a)}
                for name, t, a in s.events
            ]
        otlp_spans.append(span)
    resource = {"attributes": _kvs(draw, plan[0].resource)}
    scope = {"name": plan[0].scope[0], "version": plan[0].scope[1]}
    layout = draw(st.sampled_from(["one", "lines", "list", "tempo", "trace", "snake"]))
    if layout == "tempo":
        return [
            {
                "batches": [
                    {
                        "resource": resource,
                        "instrumentationLibrarySpans": [{"instrumentationLibrary": scope, "spans": otlp_spans}],
                    }
                ]
            }
        ]
    rs = {"resource": resource, "scopeSpans": [{"scope": scope, "spans": otlp_spans}]}
    if layout == "lines":
        return [
            {"resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": scope, "spans": [sp]}]}]}
            for sp in otlp_spans
        ]
    if layout == "list":
        return [[rs]]
    if layout == "trace":
        return [{"trace": {"resourceSpans": [rs]}}]
    if layout == "snake":
        return [_snake({"resourceSpans": [rs]})]
    return [{"resourceSpans": [rs]}]


def _snake(obj: Any) -> Any:
    """protobuf field names in snake_case (the reader camelizes them back)."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in k) if k not in ("key",) else k
            out[snake] = v if k == "value" and isinstance(v, dict) and "stringValue" in v else _snake(v)
        return out
    if isinstance(obj, list):
        return [_snake(x) for x in obj]
    return obj


@st.composite
def sdk_json_docs(draw: Any) -> list[Any]:
    """Python SDK `ReadableSpan.to_json()` dumps (concatenated, JSON Lines, a list) or any-agent's AgentTrace."""
    plan = draw(span_plans())
    if draw(st.integers(0, 3)) == 0:  # any-agent: decimal ids, lowercase kinds, integer ns
        spans = []
        for s in plan:
            parent = _parent_id(plan, s)
            ctx = {"trace_id": int(s.trace_id, 16), "span_id": int(s.span_id, 16), "is_remote": False}
            spans.append(
                {
                    "name": s.name,
                    "kind": s.kind.lower(),
                    "parent": {"trace_id": ctx["trace_id"], "span_id": int(parent, 16), "is_remote": False}
                    if parent
                    else None,
                    "start_time": s.start_ns,
                    "end_time": s.end_ns,
                    "status": {"status_code": s.status.lower(), "description": s.message or None},
                    "context": ctx,
                    "attributes": s.attributes,
                    "links": [],
                    "events": [{"name": n, "timestamp": t, "attributes": a} for n, t, a in s.events],
                    "resource": {"attributes": s.resource, "schema_url": ""},
                }
            )
        return [{"spans": spans, "final_output": draw(TEXT)}]
    spans = []
    for s in plan:
        parent = _parent_id(plan, s)
        spans.append(
            {
                "name": s.name,
                "context": {"trace_id": "0x" + s.trace_id, "span_id": "0x" + s.span_id, "trace_state": "[]"},
                "kind": f"SpanKind.{s.kind}",
                "parent_id": "0x" + parent if parent else None,
                "start_time": _iso(s.start_ns),
                "end_time": _iso(s.end_ns),
                "status": {"status_code": s.status, **({"description": s.message} if s.message else {})},
                "attributes": s.attributes,
                "events": [{"name": n, "timestamp": _iso(t), "attributes": a} for n, t, a in s.events],
                "links": [],
                "resource": {"attributes": s.resource, "schema_url": ""},
            }
        )
    return [spans] if draw(st.booleans()) else spans  # a list, or one document per span (lines/concatenated)


def _jaeger_tag(key: str, v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"key": key, "type": "bool", "value": v}
    if isinstance(v, int):
        return {"key": key, "type": "int64", "value": v}
    if isinstance(v, float):
        return {"key": key, "type": "float64", "value": v}
    return {"key": key, "type": "string", "value": v if isinstance(v, str) else json.dumps(v)}


@st.composite
def jaeger_docs(draw: Any) -> list[Any]:
    """Jaeger query-API JSON: traces with spans, references, tags, logs and processes."""
    plan = draw(span_plans())
    traces: dict[str, list[dict[str, Any]]] = {}
    for s in plan:
        parent = _parent_id(plan, s)
        tags = [_jaeger_tag(k, v) for k, v in s.attributes.items()]
        tags.append({"key": "span.kind", "type": "string", "value": s.kind.lower()})
        if s.status != "UNSET":
            tags.append({"key": "otel.status_code", "type": "string", "value": s.status})
        if s.status == "ERROR" and draw(st.booleans()):
            tags.append({"key": "error", "type": "bool", "value": True})
        tags.append({"key": "otel.scope.name", "type": "string", "value": s.scope[0]})
        traces.setdefault(s.trace_id, []).append(
            {
                "traceID": s.trace_id,
                "spanID": s.span_id,
                "operationName": s.name,
                "references": [{"refType": "CHILD_OF", "traceID": s.trace_id, "spanID": parent}] if parent else [],
                "startTime": s.start_ns // 1000,
                "duration": (s.end_ns - s.start_ns) // 1000,
                "tags": tags,
                "logs": [
                    {
                        "timestamp": t // 1000,
                        "fields": [
                            {"key": "event", "type": "string", "value": n},
                            *(_jaeger_tag(k, v) for k, v in a.items()),
                        ],
                    }
                    for n, t, a in s.events
                ],
                "processID": "p1",
                "warnings": None,
                "flags": 1,
            }
        )
    process = {"serviceName": plan[0].resource["service.name"], "tags": [_jaeger_tag("host.name", draw(TEXT))]}
    data = [
        {"traceID": tid, "spans": spans, "processes": {"p1": process}, "warnings": None}
        for tid, spans in traces.items()
    ]
    return [{"data": data, "total": 0, "limit": 0, "offset": 0, "errors": None}]


@st.composite
def langfuse_docs(draw: Any) -> list[Any]:
    """Langfuse public-API trace export: a trace and its observations (metadata as JSON text or an object)."""
    plan = draw(span_plans())
    use_uuid = draw(st.booleans())
    ids = {s.span_id: (str(uuid.UUID(int=int(s.span_id, 16))) if use_uuid else s.span_id) for s in plan}
    observations = []
    for s in plan:
        parent = _parent_id(plan, s)
        meta = {
            "attributes": s.attributes,
            "resourceAttributes": s.resource,
            "scope": {"name": s.scope[0], "version": s.scope[1]},
        }
        obs: dict[str, Any] = {
            "id": ids[s.span_id],
            "traceId": s.trace_id,
            "parentObservationId": ids[parent] if parent else None,
            "name": s.name,
            "type": draw(st.sampled_from(["SPAN", "GENERATION", "EVENT", "AGENT", "TOOL"])),
            "startTime": _iso(s.start_ns),
            "endTime": _iso(s.end_ns) if draw(st.booleans()) else None,
            "level": "ERROR" if s.status == "ERROR" else "DEFAULT",
            "statusMessage": s.message or None,
            "input": draw(st.none() | TEXT | st.dictionaries(TEXT, SCALARS, max_size=2)),
            "output": draw(st.none() | TEXT),
            "metadata": json.dumps(meta) if draw(st.booleans()) else meta,
        }
        if draw(st.booleans()):
            obs["model"] = draw(TEXT)
            obs["usageDetails"] = {"input": draw(INTS), "output": draw(INTS)}
        observations.append(obs)
    trace = {"id": plan[0].trace_id, "name": plan[0].name, "timestamp": _iso(plan[0].start_ns)}
    if draw(st.booleans()):
        return [{"trace": {**trace, "observations": observations}}]
    return [{"trace": trace, "observations": observations}]


@st.composite
def strands_docs(draw: Any) -> list[Any]:
    """strands-evals flattened span dicts: a list or a session object."""
    plan = draw(span_plans())
    spans = [
        {
            "trace_id": s.trace_id,
            "span_id": s.span_id,
            "parent_span_id": _parent_id(plan, s),
            "name": s.name,
            "start_time": s.start_ns,
            "end_time": s.end_ns,
            "attributes": s.attributes,
            "scope": {"name": s.scope[0], "version": s.scope[1]},
            "status": {"code": s.status, **({"message": s.message} if s.message else {})},
            "span_events": [
                {"name": n, "timestamp": draw(st.sampled_from([t, _iso(t)])), "attributes": a} for n, t, a in s.events
            ],
        }
        for s in plan
    ]
    if draw(st.booleans()):
        return [{"session_id": draw(TEXT), "span_count": len(spans), "spans": spans}]
    return [spans]


@st.composite
def js_span_docs(draw: Any) -> list[Any]:
    """OpenTelemetry JS ReadableSpan-like JSON (HrTime [s, ns] times, numeric kinds and status codes)."""
    plan = draw(span_plans())
    spans = []
    for s in plan:
        parent = _parent_id(plan, s)
        span: dict[str, Any] = {
            "name": s.name,
            "kind": ("INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER").index(s.kind),
            "spanContext": {"traceId": s.trace_id, "spanId": s.span_id, "traceFlags": 1},
            "startTime": [s.start_ns // 10**9, s.start_ns % 10**9],
            "endTime": [s.end_ns // 10**9, s.end_ns % 10**9],
            "attributes": s.attributes,
            "status": {"code": STATUSES.index(s.status), **({"message": s.message} if s.message else {})},
            "events": [{"name": n, "time": [t // 10**9, t % 10**9], "attributes": a} for n, t, a in s.events],
            "resource": {"attributes": s.resource},
            "instrumentationScope": {"name": s.scope[0], "version": s.scope[1]},
        }
        if parent:
            if draw(st.booleans()):
                span["parentSpanId"] = parent
            else:
                span["parentSpanContext"] = {"traceId": s.trace_id, "spanId": parent}
        spans.append(span)
    return [spans]


@st.composite
def openai_agents_docs(draw: Any) -> list[Any]:
    """OpenAI Agents `traces/ingest` bodies: trace objects and spans of every span_data type."""
    plan = draw(span_plans())
    items: list[dict[str, Any]] = []
    for tid in dict.fromkeys(s.trace_id for s in plan):
        items.append(
            {
                "object": "trace",
                "id": f"trace_{tid}",
                "workflow_name": draw(TEXT),
                "group_id": None,
                "metadata": {"k": draw(TEXT)},
            }
        )
    for s in plan:
        parent = _parent_id(plan, s)
        typ = draw(
            st.sampled_from(
                ["agent", "function", "generation", "response", "handoff", "custom", "guardrail", "mcp_tools", "other"]
            )
        )
        data: dict[str, Any] = {"type": typ}
        if typ == "agent":
            data.update(name=draw(NAMES), handoffs=[draw(NAMES)], tools=[draw(NAMES)], output_type="str")
        elif typ == "function":
            data.update(
                name=draw(NAMES),
                input=_json_or_junk(draw, draw(st.dictionaries(TEXT, SCALARS, max_size=2))),
                output=draw(TEXT),
                mcp_data=None,
            )
        elif typ == "generation":
            data.update(
                input=draw(messages(shape="openai")),
                output=draw(messages(shape="openai")),
                model=draw(TEXT),
                model_config={"temperature": draw(FLOATS)},
                usage={"input_tokens": draw(INTS), "output_tokens": draw(INTS)},
            )
        elif typ == "response":
            data.update(response_id="resp_" + draw(TEXT))
        elif typ == "handoff":
            data.update(from_agent=draw(NAMES), to_agent=draw(NAMES))
        elif typ == "custom":
            data.update(name=draw(TEXT), data={"x": draw(SCALARS)})
        elif typ == "guardrail":
            data.update(name=draw(TEXT), triggered=draw(st.booleans()))
        else:
            data.update(server=draw(TEXT), result=[draw(TEXT)])
        items.append(
            {
                "object": "trace.span",
                "id": "span_" + s.span_id + draw(st.text(HEX, min_size=8, max_size=8)),
                "trace_id": f"trace_{s.trace_id}",
                "parent_id": f"span_{parent}00000000" if parent else None,
                "started_at": _iso(s.start_ns, zone="+00:00"),
                "ended_at": _iso(s.end_ns, zone="+00:00"),
                "span_data": data,
                "error": {"message": s.message, "data": {"x": 1}} if s.status == "ERROR" else None,
            }
        )
    if draw(st.booleans()):
        return [[{"data": items}]]
    return [{"data": items}]


def _records(plan: list[PlanSpan]) -> list[Any]:
    from pytest_agenttrace._records import SpanEvent, SpanRecord

    return [
        SpanRecord(
            trace_id=s.trace_id,
            span_id=s.span_id,
            name=s.name,
            parent_id=_parent_id(plan, s),
            kind=s.kind,
            start_ns=s.start_ns,
            end_ns=s.end_ns,
            status_code=s.status,
            status_message=s.message,
            attributes={k: tuple(v) if isinstance(v, list) else v for k, v in s.attributes.items()},
            events=tuple(SpanEvent(n, t, a) for n, t, a in s.events),
            resource=s.resource,
            scope_name=s.scope[0],
            scope_version=s.scope[1],
        )
        for s in plan
    ]


@st.composite
def native_docs(draw: Any) -> list[Any]:
    """The agenttrace format, as its own writer (`dump_records`) produces it."""
    from pytest_agenttrace.formats import dump_records

    return [dump_records(_records(draw(span_plans())))]


@st.composite
def attribute_map_docs(draw: Any) -> list[Any]:
    """A bare attribute map: one span's attributes (scalars and lists of scalars, a dotted key)."""
    plan = draw(span_plans())
    attrs = {k: v for k, v in plan[0].attributes.items() if not isinstance(v, dict)}
    attrs.setdefault("gen_ai.operation.name", draw(st.sampled_from(["chat", "execute_tool", "invoke_agent"])))
    return [attrs]


@st.composite
def arbitrary_docs(draw: Any) -> list[Any]:
    """Any JSON at all (shapes no reader expects)."""
    return [
        draw(
            st.recursive(
                SCALARS | st.none(),
                lambda c: st.lists(c, max_size=3) | st.dictionaries(TEXT, c, max_size=3),
                max_leaves=15,
            )
        )
    ]


# ---------------------------------------------------------------------------------------------- cassettes


@st.composite
def cassette_docs(draw: Any) -> dict[str, Any]:
    """A cassette (tools, LLM answers from a trace, vcrpy HTTP interactions) as `Cassette.to_dict()` gives it."""
    from pytest_agenttrace.cassettes import Cassette, LLMInteraction, ToolError, ToolInteraction
    from pytest_agenttrace.cassettes._format import message_from_dict

    tools = []
    for _ in range(draw(st.integers(0, 3))):
        failed = draw(st.booleans())
        tools.append(
            ToolInteraction(
                name=draw(NAMES.filter(bool)),
                arguments=draw(st.dictionaries(TEXT, SCALARS, max_size=3) | st.none()),
                result=None if failed else draw(SCALARS | st.lists(SCALARS, max_size=2)),
                error=ToolError(message=draw(TEXT), type=draw(st.none() | TEXT)) if failed else None,
                call_id=draw(st.none() | TEXT),
            )
        )
    llm = []
    for _ in range(draw(st.integers(0, 2))):
        llm.append(
            LLMInteraction(
                provider=draw(st.sampled_from(["openai", "anthropic", None])),
                api=draw(st.sampled_from(["chat", "responses", "messages", None])),
                agent=draw(st.none() | NAMES),
                model=draw(st.none() | TEXT),
                system=draw(st.none() | TEXT),
                input=tuple(message_from_dict(m) for m in draw(messages(shape="parts"))),
                output=tuple(message_from_dict(m) for m in draw(messages(shape="parts"))),
                finish_reasons=tuple(draw(st.lists(TEXT, max_size=2))),
                usage={"input_tokens": draw(st.integers(0, 10**6)), "output_tokens": draw(st.integers(0, 10**6))},
            )
        )
    interactions = []
    for _ in range(draw(st.integers(0, 2))):
        body = json.dumps({"model": "gpt-4o", "messages": draw(messages(shape="openai"))})
        interactions.append(
            {
                "request": {
                    "method": "POST",
                    "uri": "https://api.openai.com/v1/chat/completions",
                    "body": body,
                    "headers": {"Content-Type": ["application/json"]},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/json"]},
                    "body": {
                        "string": json.dumps(
                            {"id": "chatcmpl-1", "choices": [{"message": {"role": "assistant", "content": draw(TEXT)}}]}
                        )
                    },
                },
            }
        )
    meta = {"source": "recording", "recorded_at": "2025-01-01T00:00:00Z"}
    return Cassette(meta=meta, tools=tools, llm=llm, interactions=interactions).to_dict()


# ------------------------------------------------------------------------------------------------ corruption

SENTINEL = "FUZZSENTINEL"
JSON_DEEP = [50, 900, 1100, 5000, 100_000]
JSON_HUGE = [
    "9" * 5000,
    "1" + "0" * 400,
    "1e400",
    "-1e400",
    "1e-400",
    "18446744073709551616",
    "-9223372036854775809",
    "340282366920938463463374607431768211456",
    "0.1e99999",
    "-0",
    "1.5",
]
JSON_NAN = ["NaN", "Infinity", "-Infinity"]
JSON_STRINGS = ['"\\ud800"', '"a\\udfffb"', '"\\u0000"', '"\\ufeff"', '"' + "x" * 100_000 + '"']
ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig", "latin-1", "cp1252", "shift_jis"]
JSON_CORRUPTIONS = [
    "none",
    "none",
    "none",
    "truncate",
    "flip",
    "type_swap",
    "type_swap",
    "deep_nesting",
    "huge_number",
    "nan",
    "bad_string",
    "encoding",
    "duplicate_keys",
    "gzip",
]
YAML_CORRUPTIONS = [
    "none",
    "none",
    "truncate",
    "flip",
    "type_swap",
    "type_swap",
    "deep_nesting",
    "huge_number",
    "nan",
    "yaml_tags",
    "python_tags",
    "aliases",
    "encoding",
    "duplicate_keys",
]
YAML_SCALARS = [
    ".inf",
    "-.inf",
    ".nan",
    "9" * 5000,
    "0x" + "f" * 5000,
    "1_000_000",
    "0o777",
    "190:20:30",
    "2001-12-14t21:59:43.10-05:00",
    "2001-13-45",
    "!!timestamp '2001-13-45'",
    "!!float 'x'",
    "!!int 'x'",
    "!!int '" + "9" * 5000 + "'",
    "!!binary aGVsbG8=",
    "!!binary '@@'",
    "!!set {a, b}",
    "!!omap [a: 1, b: 2]",
    "!!pairs [a: 1, a: 2]",
    "!!str",
    "!!null ''",
    "~",
    "? complex key",
    "{[1, 2]: x}",
    "'" + "x" * 100_000 + "'",
]
PYTHON_TAGS = [
    "!!python/object/apply:os.system ['echo pwned > /dev/null']",
    "!!python/object/apply:builtins.eval ['1+1']",
    "!!python/name:os.system",
    "!!python/object/new:builtins.dict {}",
    "!!python/object:builtins.object {}",
    "!!python/tuple [1, 2]",
    "!!python/bytes aGk=",
    "!!python/module:os",
    "!<tag:yaml.org,2002:python/object/apply:os.system> ['true']",
]
YAML_ALIASES = [
    "&r [*r]",
    "&m {a: *m}",
    "[&a [x, x, x, x, x, x, x, x], &b [*a, *a, *a, *a, *a, *a, *a, *a], "
    "&c [*b, *b, *b, *b, *b, *b, *b, *b], [*c, *c, *c, *c]]",
    "*undefined",
    "&a x",
]
YAML_DEEP = [50, 900, 5000, 100_000]


@dataclass(frozen=True)
class Case:
    """One fuzz input: how it was corrupted and the bytes."""

    corruption: str
    data: bytes

    def __repr__(self) -> str:
        head = self.data[:300]
        more = f"... ({len(self.data):,} bytes)" if len(self.data) > 300 else ""
        return f"Case(corruption={self.corruption!r}, data={head!r}{more})"


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(11 if depth < 2 else 9)
    if pick == 9:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(3))]
    if pick == 10:
        return {rng.choice(NASTY): _random_json(rng, depth + 1) for _ in range(rng.randrange(3))}
    return [
        None,
        rng.choice([True, False]),
        rng.choice([0, -1, 2**64, 10**30, 1.5, -0.0]),
        rng.choice(NASTY),
        "",
        rng.randrange(-(10**6), 10**6),
        rng.choice(["2025-01-01T00:00:00Z", "0x1", "SpanKind.CLIENT", "STATUS_CODE_ERROR", "trace_", "span_"]),
        [],
        {},
    ][pick]


def _nodes(obj: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every value inside `obj`, breadth first."""
    out: list[tuple[Any, Any]] = []
    queue = [obj]
    while queue:
        node = queue.pop(0)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in list(items):
            out.append((node, k))
            if isinstance(v, (dict, list)):
                queue.append(v)
    return out


def _replace_random(docs: list[Any], rng: random.Random, value: Any, *, keys: bool = False) -> list[Any]:
    """Put `value` at a random place inside the documents (or rename a random key to it); the top level if none."""
    holder = {"docs": docs}
    nodes = _nodes(holder["docs"])
    if not nodes:
        return [value]
    container, key = rng.choice(nodes)
    if keys and isinstance(container, dict) and isinstance(value, str):
        container[value] = container.pop(key)
    else:
        container[key] = value
    return holder["docs"]


def _dumps(obj: Any, rng: random.Random, *, indent: bool, ascii_: bool, dup_rate: float = 0.0) -> str:
    """JSON text like `json.dumps`, except that objects may repeat a key (duplicate keys are legal JSON syntax)."""
    if isinstance(obj, dict):
        items = [(k, v) for k, v in obj.items()]
        if items and rng.random() < dup_rate:
            k = rng.choice(items)[0]
            dup = (k, _random_json(rng))
            items.insert(rng.randrange(len(items) + 1), dup)
        parts = [
            json.dumps(str(k), ensure_ascii=ascii_)
            + ": "
            + _dumps(v, rng, indent=indent, ascii_=ascii_, dup_rate=dup_rate)
            for k, v in items
        ]
        sep = ",\n" if indent else ","
        return "{" + sep.join(parts) + "}"
    if isinstance(obj, list):
        return "[" + ",".join(_dumps(v, rng, indent=indent, ascii_=ascii_, dup_rate=dup_rate) for v in obj) + "]"
    return json.dumps(obj, ensure_ascii=ascii_)


def _join(texts: list[str], rng: random.Random) -> str:
    if len(texts) == 1:
        return texts[0]
    return rng.choice(["\n", "\r\n", "", " ", "\n\n"]).join(texts) + rng.choice(["", "\n"])


def _flip(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if buf:
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    return bytes(buf)


def json_case(docs: list[Any], corruption: str, rng: random.Random) -> Case:
    """Serialize documents (one, JSON Lines or concatenated) and apply one corruption."""
    docs = json.loads(json.dumps(docs))  # a private copy
    indent, ascii_ = rng.random() < 0.3, rng.random() < 0.5
    replacement: str | None = None
    key_replacement: str | None = None
    dup_rate = 0.0
    if corruption == "type_swap":
        for _ in range(rng.randint(1, 3)):
            docs = _replace_random(docs, rng, _random_json(rng))
    elif corruption == "deep_nesting":
        n = rng.choice(JSON_DEEP)
        replacement = "[" * n + "0" + "]" * n if rng.random() < 0.5 else '{"a":' * n + "0" + "}" * n
    elif corruption == "huge_number":
        replacement = rng.choice(JSON_HUGE)
    elif corruption == "nan":
        replacement = rng.choice(JSON_NAN)
    elif corruption == "bad_string":
        replacement = rng.choice(JSON_STRINGS)
        if rng.random() < 0.3:
            key_replacement = replacement
            replacement = None
    elif corruption == "duplicate_keys":
        dup_rate = 0.5
    elif corruption == "encoding":
        replacement = '"café ✓ 日本"'
    if replacement is not None:
        docs = _replace_random(docs, rng, SENTINEL)
    if key_replacement is not None:
        docs = _replace_random(docs, rng, SENTINEL, keys=True)
    text = _join([_dumps(d, rng, indent=indent, ascii_=ascii_, dup_rate=dup_rate) for d in docs], rng)
    if replacement is not None:
        text = text.replace(f'"{SENTINEL}"', replacement, 1)
    if key_replacement is not None:
        text = text.replace(f'"{SENTINEL}"', key_replacement, 1)
    if corruption == "encoding":
        data = text.encode(rng.choice(ENCODINGS), errors="replace")
    else:
        data = text.encode("utf-8", errors="surrogatepass")
    if corruption == "truncate":
        data = data[: rng.randrange(len(data) + 1)]
    elif corruption == "flip":
        data = _flip(data, rng)
    elif corruption == "gzip":
        data = gzip.compress(data, mtime=0)
        if rng.random() < 0.5:
            data = _flip(data, rng) if rng.random() < 0.5 else data[: rng.randrange(len(data) + 1)]
    return Case(corruption, data)


def yaml_case(doc: dict[str, Any], corruption: str, rng: random.Random) -> Case:
    """Dump a cassette dict as its writer does and apply one corruption."""
    from pytest_agenttrace.cassettes._format import dump_yaml

    doc = json.loads(json.dumps(doc))
    snippet: str | None = None
    if corruption == "type_swap":
        for _ in range(rng.randint(1, 3)):
            doc = _replace_random([doc], rng, _random_json(rng))[0]
    elif corruption == "deep_nesting":
        n = rng.choice(YAML_DEEP)
        snippet = "[" * n + "]" * n if rng.random() < 0.5 else "{a: " * n + "1" + "}" * n
    elif corruption == "huge_number":
        snippet = rng.choice(YAML_SCALARS[:6])
    elif corruption == "nan":
        snippet = rng.choice([".nan", ".NaN", ".inf", "-.Inf"])
    elif corruption == "yaml_tags":
        snippet = rng.choice(YAML_SCALARS)
    elif corruption == "python_tags":
        snippet = rng.choice(PYTHON_TAGS)
    elif corruption == "aliases":
        snippet = rng.choice(YAML_ALIASES)
    elif corruption == "encoding":
        snippet = "'café ✓ 日本'"
    if snippet is not None:
        doc = _replace_random([doc], rng, SENTINEL)[0]
    text = dump_yaml(doc)
    if snippet is not None:
        text = text.replace(SENTINEL, snippet, 1)
    if corruption == "duplicate_keys":
        lines = text.split("\n")
        candidates = [i for i, line in enumerate(lines) if ": " in line and not line.lstrip().startswith("- ")]
        for i in rng.sample(candidates, min(len(candidates), rng.randint(1, 3))):
            line = lines[i]
            indent = line[: len(line) - len(line.lstrip())]
            key = line.strip().split(": ", 1)[0]
            lines[i] = f"{line}\n{indent}{key}: {rng.choice(['null', '7', 'x', '[]', '{}'])}"
        text = "\n".join(lines)
    data = text.encode(rng.choice(ENCODINGS), errors="replace") if corruption == "encoding" else text.encode()
    if corruption == "truncate":
        data = data[: rng.randrange(len(data) + 1)]
    elif corruption == "flip":
        data = _flip(data, rng)
    return Case(corruption, data)


@st.composite
def cases(draw: Any, docs: Any, *, yaml: bool = False) -> Case:
    """A valid document of the target's format, serialized and (most of the time) corrupted."""
    doc = draw(docs)
    corruption = draw(st.sampled_from(YAML_CORRUPTIONS if yaml else JSON_CORRUPTIONS))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    return yaml_case(doc, corruption, rng) if yaml else json_case(doc, corruption, rng)


# --------------------------------------------------------------------------------------------------- targets


class Escape(Exception):
    """An undocumented exception came out of a reader (the original is `__cause__`)."""

    def __init__(self, stage: str, exc: BaseException) -> None:
        self.stage = stage
        self.exc = exc
        if isinstance(exc, RecordInvariantError):  # what is broken, not where the check is
            self.signature = f"{stage}: " + re.sub(r"\[.*?\]|: .*", "", str(exc))
        else:
            tb = traceback.extract_tb(exc.__traceback__)
            ours = [f for f in tb if "pytest_agenttrace" in f.filename] or tb
            where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
            self.signature = f"{stage}: {type(exc).__name__} at {where}"
        super().__init__(f"{self.signature}: {str(exc)[:300]}")


class RecordInvariantError(Exception):
    """A reader returned a record that breaks the `SpanRecord` contract (ids, kinds, types of values)."""


_HEX_CHARS = frozenset(HEX)


def _check_attributes(attrs: Any, where: str) -> None:
    """Attribute dicts: str keys; values scalars, tuples (never lists) or nested dicts of the same (iterative: the
    values may be nested deeper than the recursion limit)."""
    stack: list[tuple[Any, str]] = [(attrs, where)]
    if not isinstance(attrs, dict):
        raise RecordInvariantError(f"{where}: not a dict but {type(attrs).__name__}")
    while stack:
        value, at = stack.pop()
        if value is None or isinstance(value, (str, bool, int, float)):
            continue
        if isinstance(value, tuple):
            stack.extend((v, at) for v in value)
        elif isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(k, str):
                    raise RecordInvariantError(f"{at}: key {k!r:.40} is a {type(k).__name__}, not a str")
                stack.append((v, f"{at}[{k!r:.40}]"))
        else:
            raise RecordInvariantError(f"{at}: value of type {type(value).__name__} ({value!r:.80})")


def _check_hex(value: Any, width: int, where: str) -> None:
    if not (isinstance(value, str) and len(value) == width and _HEX_CHARS.issuperset(value)):
        raise RecordInvariantError(f"{where}: {value!r:.80} is not {width} lowercase hex characters")


def _check_int(value: Any, where: str) -> None:
    if type(value) is not int:
        raise RecordInvariantError(f"{where}: {value!r:.80} is a {type(value).__name__}, not an int")


def check_record(r: Any) -> None:
    """The `SpanRecord` contract every reader promises (see `_records.py`)."""
    from pytest_agenttrace._records import SPAN_KINDS, STATUS_CODES, SpanEvent

    _check_hex(r.trace_id, 32, "trace_id")
    _check_hex(r.span_id, 16, "span_id")
    if r.parent_id is not None:
        _check_hex(r.parent_id, 16, "parent_id")
    for name in ("name", "status_message", "scope_name", "scope_version"):
        if not isinstance(getattr(r, name), str):
            raise RecordInvariantError(f"{name}: {getattr(r, name)!r:.80} is not a str")
    if r.kind not in SPAN_KINDS or r.status_code not in STATUS_CODES:
        raise RecordInvariantError(f"kind/status {r.kind!r}/{r.status_code!r}")
    _check_int(r.start_ns, "start_ns")
    _check_int(r.end_ns, "end_ns")
    _check_attributes(r.attributes, "attributes")
    _check_attributes(r.resource, "resource")
    if not isinstance(r.events, tuple):
        raise RecordInvariantError(f"events is a {type(r.events).__name__}, not a tuple")
    for e in r.events:
        if not isinstance(e, SpanEvent) or not isinstance(e.name, str):
            raise RecordInvariantError(f"event {e!r:.80}")
        _check_int(e.time_ns, "event time_ns")
        _check_attributes(e.attributes, "event attributes")


def run_trace(data: bytes) -> str:
    """Read (records must keep the `SpanRecord` contract), then build and render; returns 'read-error',
    'build-error' or 'ok'; raises `Escape` on anything else."""
    from pytest_agenttrace._errors import TraceFormatError
    from pytest_agenttrace._model import Trace
    from pytest_agenttrace.formats import read_records

    try:
        records = read_records(data)
    except TraceFormatError:
        return "read-error"
    except Exception as exc:
        raise Escape("read_records", exc) from exc
    for r in records:
        try:
            check_record(r)
        except RecordInvariantError as exc:
            raise Escape("record contract", exc) from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trace = Trace.from_records(records, source="<fuzz>")
            _ = (trace.steps, trace.llm_calls, trace.tool_calls, trace.agents, trace.totals, repr(trace))
    except TraceFormatError:
        return "build-error"
    except Exception as exc:
        raise Escape("Trace.from_records", exc) from exc
    return "ok"


_CASSETTE_DIR: str | None = None


def run_cassette(data: bytes) -> str:
    """Load the bytes as a cassette file, then open it for replay; 'load-error' / 'ok' or an `Escape`."""
    global _CASSETTE_DIR
    from pytest_agenttrace.cassettes import Cassette, CassetteFormatError, use_cassette

    if _CASSETTE_DIR is None:
        _CASSETTE_DIR = tempfile.mkdtemp(prefix="agenttrace-fuzz-")
        atexit.register(shutil.rmtree, _CASSETTE_DIR, ignore_errors=True)
    path = os.path.join(_CASSETTE_DIR, "c.yaml")
    with open(path, "wb") as f:
        f.write(data)
    try:
        Cassette.load(path)
    except CassetteFormatError:
        return "load-error"
    except Exception as exc:
        raise Escape("Cassette.load", exc) from exc
    try:
        with use_cassette(path, mode="none", environ={}):
            pass
    except CassetteFormatError:
        return "open-error"
    except Exception as exc:
        raise Escape("use_cassette", exc) from exc
    return "ok"


@dataclass(frozen=True)
class Target:
    """A reader (or the cassette loader) and the documents it is fuzzed with."""

    name: str
    strategy: Any
    run: Callable[[bytes], str]
    documented: str


def _trace_target(name: str, docs: Any) -> Target:
    return Target(name, cases(docs), run_trace, "TraceFormatError")


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        _trace_target("otlp", otlp_docs()),
        _trace_target("sdk-json", sdk_json_docs()),
        _trace_target("jaeger", jaeger_docs()),
        _trace_target("langfuse", langfuse_docs()),
        _trace_target("strands", strands_docs()),
        _trace_target("js-spans", js_span_docs()),
        _trace_target("openai-agents", openai_agents_docs()),
        _trace_target("native", native_docs()),
        _trace_target("attribute-map", attribute_map_docs()),
        _trace_target("arbitrary-json", arbitrary_docs()),
        Target("cassette", cases(cassette_docs(), yaml=True), run_cassette, "CassetteFormatError"),
    )
}


# ------------------------------------------------------------------------------------------------------ runs


@dataclass
class Stats:
    """What one target's run saw."""

    examples: int = 0
    escapes: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    corruptions: Counter[str] = field(default_factory=Counter)
    #: escape signature -> (count, smallest example, the escape)
    found: dict[str, tuple[int, Case, Escape]] = field(default_factory=dict)


def fuzz(target: Target, *, examples: int, seed_value: int | None = None, derandomize: bool = False) -> Stats:
    """Run `examples` examples of `target`, counting escapes instead of stopping at the first one (no shrinking)."""
    stats = Stats()

    def check(case: Case) -> None:
        stats.examples += 1
        stats.corruptions[case.corruption] += 1
        try:
            stats.outcomes[target.run(case.data)] += 1
        except Escape as esc:
            stats.escapes += 1
            count, smallest, first = stats.found.get(esc.signature, (0, case, esc))
            if len(case.data) < len(smallest.data):
                smallest, first = case, esc
            stats.found[esc.signature] = (count + 1, smallest, first)

    runner = settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=derandomize,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )(given(target.strategy)(check))
    if seed_value is not None and not derandomize:
        runner = seed(seed_value)(runner)
    start = time.perf_counter()
    limit = sys.getrecursionlimit()
    try:
        runner()
    finally:
        sys.setrecursionlimit(limit)
    stats.seconds = time.perf_counter() - start
    return stats


def _report(name: str, target: Target, stats: Stats, show: int, *, tracebacks: bool = False) -> str:
    lines = [
        f"{name:<15} {stats.examples:>7,} examples  {stats.escapes:>6,} escapes  {stats.seconds:>7.1f} s   "
        + "  ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items()))
    ]
    for sig, (count, case, esc) in sorted(stats.found.items(), key=lambda kv: -kv[1][0])[: show or None]:
        lines.append(f"    {count:>6,} x {sig}")
        lines.append(f"             {str(esc.exc)[:160]!r}")
        lines.append(f"             smallest: {case!r}"[:600])
        if tracebacks:
            tb = traceback.format_exception(esc.exc)
            lines.extend("             " + line for chunk in tb[-6:] for line in chunk.rstrip().splitlines())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--examples", type=int, default=DEFAULT_EXAMPLES, help="examples per target (default 10000)")
    parser.add_argument("--reader", help=f"comma-separated targets (default all): {', '.join(TARGETS)}")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0; the run is reproducible)")
    parser.add_argument("--show", type=int, default=5, help="escape signatures printed per target (0: all)")
    parser.add_argument("--traceback", action="store_true", help="print the end of each escape's traceback")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    args = parser.parse_args(argv)
    if args.list:
        for t in TARGETS.values():
            print(f"{t.name:<15} documented error: {t.documented}")
        return 0
    names = [n.strip() for n in args.reader.split(",")] if args.reader else list(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(map(repr, unknown))}; choose from {', '.join(TARGETS)}")
    import hypothesis

    print(
        f"python {sys.version.split()[0]}, hypothesis {hypothesis.__version__}, seed {args.seed}, "
        f"{args.examples:,} examples per target"
    )
    total = 0
    started = time.perf_counter()
    for name in names:
        stats = fuzz(TARGETS[name], examples=args.examples, seed_value=args.seed)
        total += stats.escapes
        print(_report(name, TARGETS[name], stats, args.show, tracebacks=args.traceback), flush=True)
    print(f"total: {total:,} escapes in {time.perf_counter() - started:.0f} s")
    return 1 if total else 0


if __name__ == "__main__":
    try:
        import pytest_agenttrace  # noqa: F401 - installed (e.g. pip install -e .)
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    raise SystemExit(main())
