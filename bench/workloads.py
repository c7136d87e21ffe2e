"""The benchmark workload, one definition for every benchmark: an agent run of 10 spans (PERF.md).

A run is `invoke_agent` -> 4 x (`chat` -> `execute_tool`) -> `chat`: one agent span whose 9 children alternate
model calls (10 GenAI attributes each) and tool calls (6 attributes each). The same run shape is emitted through a
live OTel tracer (capture, suite), turned into `SpanRecord`s (queries, peer) or written as OTLP/JSON (loading).
Ids and times are deterministic (seeded), so every side of a ratio sees the same data.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

SPANS_PER_RUN = 10
TOOLS = ("search_orders", "get_order", "refund_order", "send_email")
AGENT = "support_agent"
MODEL = "gpt-4o-mini"
PROVIDER = "openai"
SCOPE = ("bench.agent", "1.0.0")
RESOURCE = {"service.name": "bench-agent", "telemetry.sdk.language": "python", "telemetry.sdk.name": "opentelemetry"}
BASE_NS = 1_700_000_000_000_000_000
RUN_NS = 1_000_000_000  # each run starts 1 s after the previous one
STEP_NS = 50_000_000  # each child span lasts 50 ms

# -------------------------------------------------------------------------------------------- attribute sets


def agent_attributes() -> dict[str, Any]:
    """The `invoke_agent` span's attributes."""
    return {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": AGENT,
        "gen_ai.provider.name": PROVIDER,
        "gen_ai.request.model": MODEL,
    }


def chat_attributes(run: int, step: int, *, last: bool) -> dict[str, Any]:
    """A `chat` span's 10 GenAI attributes (no message content, as in PERF.md's 82 MiB / 100k-span file)."""
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": PROVIDER,
        "gen_ai.request.model": MODEL,
        "gen_ai.response.model": MODEL + "-2024-07-18",
        "gen_ai.response.id": f"chatcmpl-{run:07d}{step:02d}",
        "gen_ai.usage.input_tokens": 120 + 40 * step,
        "gen_ai.usage.output_tokens": 25 + step,
        "gen_ai.response.finish_reasons": ("stop",) if last else ("tool_calls",),
        "gen_ai.request.temperature": 0.0,
        "server.address": "api.openai.com",
    }


def tool_attributes(run: int, step: int) -> dict[str, Any]:
    """An `execute_tool` span's 6 attributes."""
    tool = TOOLS[step % len(TOOLS)]
    return {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": tool,
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.id": f"call_{run:07d}_{step}",
        "gen_ai.tool.call.arguments": json.dumps({"order_id": f"A-{run % 1000:03d}", "step": step}),
        "gen_ai.tool.call.result": json.dumps({"ok": True, "step": step}),
    }


def run_plan(run: int) -> list[tuple[str, str, dict[str, Any]]]:
    """The 9 children of one run, in order: (span name, SpanKind name, attributes)."""
    plan: list[tuple[str, str, dict[str, Any]]] = []
    for step in range(4):
        plan.append((f"chat {MODEL}", "CLIENT", chat_attributes(run, step, last=False)))
        plan.append((f"execute_tool {TOOLS[step]}", "INTERNAL", tool_attributes(run, step)))
    plan.append((f"chat {MODEL}", "CLIENT", chat_attributes(run, 4, last=True)))
    return plan


def runs_for(spans: int) -> int:
    """Number of agent runs that make `spans` spans (a multiple of 10 is required)."""
    if spans % SPANS_PER_RUN:
        raise ValueError(f"span count {spans!r} is not a multiple of {SPANS_PER_RUN}; pass e.g. {spans // 10 * 10}")
    return spans // SPANS_PER_RUN


# ---------------------------------------------------------------------------------------------- live emission


class Emitter:
    """Emits runs through an OTel tracer; attribute dicts are prepared up front so only span work is timed."""

    def __init__(self, runs: int) -> None:
        self.runs = runs
        self.agent = agent_attributes()
        self.plans = [run_plan(i) for i in range(runs)]

    def emit(self, tracer: Any) -> None:
        """Emit every run through `tracer` (the OTel API: works for the no-op tracer and the SDK alike)."""
        from opentelemetry.trace import SpanKind

        kinds = {"CLIENT": SpanKind.CLIENT, "INTERNAL": SpanKind.INTERNAL}
        agent_attrs = self.agent
        agent_name = f"invoke_agent {AGENT}"
        for plan in self.plans:
            with tracer.start_as_current_span(agent_name, attributes=agent_attrs):
                for name, kind, attrs in plan:
                    with tracer.start_as_current_span(name, kind=kinds[kind], attributes=attrs):
                        pass


# ------------------------------------------------------------------------------------------- records / OTLP


def _ids(rng: random.Random, runs: int) -> Iterator[tuple[str, list[str]]]:
    for _ in range(runs):
        trace_id = format(rng.getrandbits(128) | 1, "032x")
        yield trace_id, [format(rng.getrandbits(64) | 1, "016x") for _ in range(SPANS_PER_RUN)]


def span_dicts(spans: int, *, seed: int = 8) -> Iterator[dict[str, Any]]:
    """The workload's spans as neutral dicts (hex ids, ns times, kind/status names), parents before children."""
    rng = random.Random(seed)
    agent_attrs = agent_attributes()
    for run, (trace_id, span_ids) in enumerate(_ids(rng, runs_for(spans))):
        t0 = BASE_NS + run * RUN_NS
        plan = run_plan(run)
        root = span_ids[0]
        yield {
            "trace_id": trace_id,
            "span_id": root,
            "parent_id": None,
            "name": f"invoke_agent {AGENT}",
            "kind": "INTERNAL",
            "start_ns": t0,
            "end_ns": t0 + (len(plan) + 1) * STEP_NS,
            "attributes": dict(agent_attrs),
        }
        for k, (name, kind, attrs) in enumerate(plan):
            start = t0 + (k + 1) * STEP_NS
            yield {
                "trace_id": trace_id,
                "span_id": span_ids[k + 1],
                "parent_id": root,
                "name": name,
                "kind": kind,
                "start_ns": start,
                "end_ns": start + STEP_NS - 1_000_000,
                "attributes": attrs,
            }


def make_records(spans: int, *, seed: int = 8) -> list[Any]:
    """The workload as `SpanRecord`s (what capture and every reader produce)."""
    from pytest_agenttrace import SpanRecord

    resource = dict(RESOURCE)
    return [
        SpanRecord(
            d["trace_id"],
            d["span_id"],
            d["name"],
            d["parent_id"],
            d["kind"],
            d["start_ns"],
            d["end_ns"],
            "UNSET",
            "",
            d["attributes"],
            (),
            resource,
            SCOPE[0],
            SCOPE[1],
        )
        for d in span_dicts(spans, seed=seed)
    ]


_OTLP_KIND = {"INTERNAL": 1, "SERVER": 2, "CLIENT": 3, "PRODUCER": 4, "CONSUMER": 5}


def _any_value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}  # OTLP/JSON: int64 as a decimal string
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, (tuple, list)):
        return {"arrayValue": {"values": [_any_value(x) for x in v]}}
    return {"stringValue": str(v)}


def _kvs(attrs: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _any_value(v)} for k, v in attrs.items()]


def otlp_document(spans: int, *, seed: int = 8) -> dict[str, Any]:
    """The workload as one OTLP/JSON document, the collector file exporter's shape (resourceSpans/scopeSpans)."""
    out: list[dict[str, Any]] = []
    for d in span_dicts(spans, seed=seed):
        s: dict[str, Any] = {
            "traceId": d["trace_id"],
            "spanId": d["span_id"],
            "parentSpanId": d["parent_id"] or "",
            "flags": 256,
            "name": d["name"],
            "kind": _OTLP_KIND[d["kind"]],
            "startTimeUnixNano": str(d["start_ns"]),
            "endTimeUnixNano": str(d["end_ns"]),
            "attributes": _kvs(d["attributes"]),
            "status": {},
        }
        if not d["parent_id"]:
            del s["parentSpanId"]
        out.append(s)
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": _kvs(RESOURCE)},
                "scopeSpans": [{"scope": {"name": SCOPE[0], "version": SCOPE[1]}, "spans": out}],
                "schemaUrl": "https://opentelemetry.io/schemas/1.28.0",
            }
        ]
    }


def otlp_bytes(spans: int, *, seed: int = 8) -> bytes:
    """`otlp_document` serialized compactly (one line, as the collector file exporter writes)."""
    return json.dumps(otlp_document(spans, seed=seed), separators=(",", ":")).encode()
