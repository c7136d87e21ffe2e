"""Capture: 100k spans through the plugin's span processor vs the bare OTel SDK (same workload, same GC state).

Sides, each on a fresh provider per round (`shutdown_on_exit=False`, so no provider outlives its round):
- `agenttrace`: what `--agenttrace` does when the project sets no provider: the plugin's `RecordingTracerProvider`
  (`_tracer.py`, spans that build their record at end) with the plugin's session sink pushed by `push_sink`
  (`AgentTraceSession().add` with one test begun, so every span takes the attribution path of a span ending during
  its test; the session's `start()` is not called because it would install a global provider in the benchmark
  process);
- `agenttrace (own SDK provider)`: the project set its own SDK `TracerProvider`; the plugin attaches its capture
  processor to it (`_capture.attach`), same sink;
- `simple+inmemory`: `SimpleSpanProcessor(InMemorySpanExporter())`, the capture floor (target <= 1.3x);
- `sdk`: `TracerProvider` with no span processor (the project's aim: <= 1.2x);
- `noop`: the OTel API with no SDK (`NoOpTracer`), what the code pays when the plugin is off and nothing else is set.
Every side keeps what it captured alive until its round ends (as a test session does), then drops it. The cyclic
GC is on for every side (the default; a `gc.collect()` runs before each timed loop).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from harness import Config, Row, fmt_time, interleaved, optional_module, ratio_row, skip_row
from workloads import SCOPE, Emitter, runs_for

NAME = "capture"


def _sides(spans: int) -> dict[str, Callable[[], float]]:
    from opentelemetry import trace as trace_api
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    capture = optional_module("pytest_agenttrace._capture")
    session_mod = optional_module("pytest_agenttrace._session")
    emitter = Emitter(runs_for(spans))
    resource = Resource.create({"service.name": "bench-agent"})

    def provider() -> Any:
        return TracerProvider(resource=resource, shutdown_on_exit=False)

    def run(tracer: Any) -> float:
        t0 = time.perf_counter()
        emitter.emit(tracer)
        return time.perf_counter() - t0

    def noop() -> float:
        return run(trace_api.NoOpTracer())

    def sdk() -> float:
        p = provider()
        t = run(p.get_tracer(*SCOPE))
        p.shutdown()
        return t

    def floor() -> float:
        p = provider()
        exporter = InMemorySpanExporter()
        p.add_span_processor(SimpleSpanProcessor(exporter))
        t = run(p.get_tracer(*SCOPE))
        got = len(exporter.get_finished_spans())
        exporter.clear()
        p.shutdown()
        if got != spans:
            raise RuntimeError(f"the in-memory exporter kept {got} spans, expected {spans}")
        return t

    sides: dict[str, Callable[[], float]] = {}
    if capture is not None:

        def captured(make: Callable[[], Any]) -> Callable[[], float]:
            def side() -> float:
                p = make()
                capture.attach(p)
                if session_mod is not None:  # the plugin's own sink: per-test attribution into a bucket
                    session = session_mod.AgentTraceSession()
                    session.begin_test("bench_capture.py::test_agent")
                    sink = session.add
                    kept = session.records("bench_capture.py::test_agent")
                else:  # before the session module existed: the cheapest sink a session can have
                    kept = []
                    sink = kept.append
                capture.push_sink(sink)
                try:
                    t = run(p.get_tracer(*SCOPE))
                finally:
                    capture.pop_sink(sink)
                p.shutdown()
                if len(kept) != spans:
                    raise RuntimeError(f"the capture sink received {len(kept)} records, expected {spans}")
                kept.clear()
                return t

            return side

        recording = optional_module("pytest_agenttrace._tracer")
        if recording is not None:
            sides["agenttrace"] = captured(
                lambda: recording.RecordingTracerProvider(resource=resource, shutdown_on_exit=False)
            )
        sides["agenttrace (own SDK provider)"] = captured(provider)
    sides.update({"simple+inmemory": floor, "sdk": sdk, "noop": noop})
    return sides


def run(cfg: Config, log: Callable[[str], None]) -> list[Row]:
    spans = 20_000 if cfg.quick else 100_000
    n = cfg.n(5, 2)
    log(f"capture: {spans:,} spans per side, best of {n}, interleaved, GC on")
    sides = _sides(spans)
    best = interleaved(sides, n, log=log)
    rows: list[Row] = []
    common = {"spans": spans, "repeat": n, "gc": "on"}
    if "agenttrace" not in best:
        rows.append(skip_row(NAME, "skipped: pytest_agenttrace._tracer not available yet"))
    else:
        ours = best["agenttrace"]
        rows.append(
            ratio_row(
                NAME,
                f"{spans // 1000}k spans: agenttrace vs SimpleSpanProcessor+InMemory",
                ours,
                best["simple+inmemory"],
                per=spans,
                target=1.3,
                data=common,
            )
        )
        rows.append(
            ratio_row(
                NAME,
                f"{spans // 1000}k spans: agenttrace vs SDK, no processor",
                ours,
                best["sdk"],
                per=spans,
                target=1.2,
                aim=True,
                data=common,
            )
        )
        rows.append(
            ratio_row(
                NAME,
                f"{spans // 1000}k spans: agenttrace vs no-op API (plugin off)",
                ours,
                best["noop"],
                per=spans,
                data=common,
            )
        )
    if "agenttrace (own SDK provider)" in best:
        own = best["agenttrace (own SDK provider)"]
        rows.append(
            ratio_row(
                NAME,
                f"{spans // 1000}k spans: agenttrace on the project's SDK provider vs SimpleSpanProcessor+InMemory",
                own,
                best["simple+inmemory"],
                per=spans,
                target=1.3,
                data=common,
            )
        )
        rows.append(
            ratio_row(
                NAME,
                f"{spans // 1000}k spans: agenttrace on the project's SDK provider vs SDK, no processor",
                own,
                best["sdk"],
                per=spans,
                data=common,
            )
        )
    rows.append(
        ratio_row(
            NAME,
            f"{spans // 1000}k spans: (context) SimpleSpanProcessor+InMemory vs SDK, no processor",
            best["simple+inmemory"],
            best["sdk"],
            per=spans,
            data=common,
        )
    )
    log("capture: best " + ", ".join(f"{k} {fmt_time(v, per=spans)}" for k, v in best.items()))
    return rows
