"""Queries: build a `Trace` from in-memory records, then run the tool-sequence and budget queries on it.

Sizes 1k, 10k and 100k spans (quick: 1k and 10k). Each round builds a fresh trace per size (timed: the build) and
times each query once on it, so cached results (`totals`) are measured on their first access, as a test sees them.
Rounds are interleaved across sizes; best of N per (size, query); GC on, `gc.collect()` before every timing.
Targets: per-span time grows at most 1.5x from a smaller size to a larger one (linear; an O(1) query's per-span
time falls, which passes), and the six queries under 50 ms at 10k (the issue's target); build + tool-sequence
query under 50 ms at 10k is the project's aim (PERF.md). A query faster than 2 ms is timed as the mean of a loop of
calls (except cached ones).
Imports and genai-prices' table load are warmed up before timing (a test session pays them once, not per trace).
"""

from __future__ import annotations

import functools
import gc
import time
from collections.abc import Callable
from typing import Any

from harness import Config, Row, fmt_time, optional_module
from workloads import TOOLS, make_records

NAME = "queries"
LIMIT_10K_S = 0.050
MAX_GROWTH = 1.5


def _queries(assertions: Any) -> dict[str, Callable[[Any], Any]]:
    q: dict[str, Callable[[Any], Any]] = {
        "tool_names": lambda t: t.tool_names,
        "find(kind='tool', name=...)": lambda t: t.find(kind="tool", name=TOOLS[2]),
        "totals": lambda t: t.totals,
    }
    if assertions is not None:
        q["assert_tool_calls(order='subset')"] = lambda t: assertions.assert_tool_calls(
            t, [TOOLS[0], TOOLS[2]], order="subset"
        )
        q["assert_max_llm_calls"] = lambda t: assertions.assert_max_llm_calls(t, len(t.llm_calls))
        q["assert_cost_within"] = lambda t: assertions.assert_cost_within(t, 1e9)
    return q


#: Queries whose result the trace caches: timed once per fresh trace (their first access), never in a loop.
CACHED = frozenset({"totals"})
#: A query faster than this is timed as the mean of a loop of calls lasting about this long (timer noise).
MIN_TIMING_S = 0.002


def _time(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _time_query(fn: Callable[[], Any], *, loop: bool) -> float:
    t, _ = _time(fn)
    if not loop or t >= MIN_TIMING_S:
        return t
    reps = min(1000, int(MIN_TIMING_S / max(t, 1e-7)) + 1)
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def _per_span(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} us" if seconds >= 1e-6 else f"{seconds * 1e9:.1f} ns"


def run(cfg: Config, log: Callable[[str], None]) -> list[Row]:
    from pytest_agenttrace import Trace

    sizes = (1_000, 10_000) if cfg.quick else (1_000, 10_000, 100_000)
    n = cfg.n(5, 3)
    assertions = optional_module("pytest_agenttrace.assertions")
    queries = _queries(assertions)
    records = {s: make_records(s) for s in sizes}

    warm = Trace.from_records(records[sizes[0]])  # imports, genai-prices table
    for q in queries.values():
        q(warm)
    del warm

    log(f"queries: sizes {', '.join(f'{s:,}' for s in sizes)} spans, best of {n}, sizes interleaved, GC on")
    build: dict[int, float] = {}
    qbest: dict[tuple[int, str], float] = {}
    for rnd in range(n):
        for size in sizes[rnd % len(sizes) :] + sizes[: rnd % len(sizes)]:
            t, trace = _time(functools.partial(Trace.from_records, records[size]))
            if len(trace.tool_calls) != size * 4 // 10:
                raise RuntimeError(
                    f"built {len(trace.tool_calls)} tool calls from {size} spans, expected {size * 4 // 10}"
                )
            build[size] = min(build.get(size, t), t)
            for name, q in queries.items():
                tq = _time_query(functools.partial(q, trace), loop=name not in CACHED)
                qbest[size, name] = min(qbest.get((size, name), tq), tq)
            del trace
            log(f"  round {rnd + 1}/{n} {size:,} spans: build {fmt_time(t)}")
    gc.collect()

    rows: list[Row] = []

    def linear_row(what: str, times: dict[int, float]) -> Row:
        # growth: the worst per-span time at a larger size over that at a smaller one (1.0 = linear; below 1 is
        # sublinear, e.g. an O(1) query, which is never a defect)
        per = {s: times[s] / s for s in sizes}
        growth = max(per[b] / per[a] for i, a in enumerate(sizes) for b in sizes[i + 1 :])
        return Row(
            NAME,
            f"{what}: per-span time growth across sizes",
            "; ".join(f"{s // 1000}k {fmt_time(times[s])}" for s in sizes),
            "; ".join(_per_span(per[s]) for s in sizes) + " /span",
            f"{growth:.2f}x",
            f"<= {MAX_GROWTH:.1f}x",
            "PASS" if growth <= MAX_GROWTH else "MISS",
            {"times_s": {str(s): times[s] for s in sizes}, "growth": growth, "repeat": n},
        )

    rows.append(linear_row("build Trace.from_records", build))
    for name in queries:
        rows.append(linear_row(name, {s: qbest[s, name] for s in sizes}))
    if assertions is None:
        rows.append(Row(NAME, "skipped: pytest_agenttrace.assertions not available yet", result="SKIP"))

    s10 = 10_000
    b10, q10 = build[s10], qbest[s10, "tool_names"]
    all10 = sum(qbest[s10, k] for k in queries)
    rows.append(
        Row(
            NAME,
            "10k spans: build + tool-sequence query (tool_names)",
            f"{fmt_time(b10 + q10)} = build {fmt_time(b10)} + query {fmt_time(q10)}",
            "",
            "",
            f"< {LIMIT_10K_S * 1e3:.0f} ms (aim)",  # PERF.md's aim; the 50 ms is for the queries (next row)
            "PASS" if b10 + q10 < LIMIT_10K_S else "MISS",
            {"build_s": b10, "query_s": q10},
        )
    )
    rows.append(
        Row(
            NAME,
            f"10k spans: all {len(queries)} queries above, query time only",
            fmt_time(all10),
            "",
            "",
            f"< {LIMIT_10K_S * 1e3:.0f} ms",
            "PASS" if all10 < LIMIT_10K_S else "MISS",
            {"queries_s": {k: qbest[s10, k] for k in queries}},
        )
    )
    return rows
