"""Loading: a 100k-span OTLP/JSON file (collector file-exporter shape) through `load_trace` vs `json.loads`.

Sides (interleaved, best of N, the file is in the page cache after generation):
- `json.loads`: `json.loads(path.read_bytes())`, the floor (reading the file is on both sides);
- `load_trace`: `pytest_agenttrace.load_trace(path)` = read + parse + records + `Trace.from_records`;
- `read_records`: `pytest_agenttrace.formats.read_records(path)` alone (no trace building).
GC state: the timed rows run with the cyclic GC on for every side (the default). The loader may pause the GC
inside its own parse (PERF.md: legitimate); a second, informational set of rows runs every side with the GC off
(`gc.disable()` around the call) so the same-state comparison is visible both ways.
Memory: `tracemalloc` peak during one call of each side (result kept alive until the peak is read), per span.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import Config, Row, fmt_time, interleaved, optional_module, ratio_row, skip_row
from workloads import otlp_bytes

NAME = "loading"


def _timed_side(fn: Callable[[], Any], *, gc_off: bool) -> Callable[[], float]:
    def go() -> float:
        was = gc.isenabled()
        if gc_off:
            gc.disable()
        try:
            t0 = time.perf_counter()
            result = fn()
            t = time.perf_counter() - t0
        finally:
            if was:
                gc.enable()
        del result
        return t

    return go


def _peak(fn: Callable[[], Any]) -> tuple[int, int]:
    """(peak bytes, bytes still held by the result) of one call, measured by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    gc.collect()
    return peak, current


_RSS_SCRIPT = """
import json, re, sys
from pathlib import Path
import pytest_agenttrace.formats as formats

def hwm():  # peak resident set of this process image, KiB (ru_maxrss would include the parent's, across exec)
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\\s+(\\d+)", f.read()).group(1))

which, path = sys.argv[1], Path(sys.argv[2])
before = hwm()
if which == "json.loads":
    result = json.loads(path.read_bytes())
elif which == "load_trace":
    result = formats.load_trace(path)
elif which == "read_records":
    result = formats.read_records(path)
print(before, hwm())
"""


def _rss_peak(which: str, path: Path) -> int:
    """Growth of the peak resident set (bytes) of a fresh process over its peak after imports, for one call."""
    out = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, which, str(path)], capture_output=True, text=True, check=True, timeout=600
    )
    before, after = (int(x) for x in out.stdout.split())
    return (after - before) * 1024


def run(cfg: Config, log: Callable[[str], None]) -> list[Row]:
    spans = 20_000 if cfg.quick else 100_000
    n = cfg.n(3, 2)
    formats = optional_module("pytest_agenttrace.formats")
    with tempfile.TemporaryDirectory(prefix="agenttrace-bench-load-") as tmp:
        path = Path(tmp) / "trace.otlp.json"
        t0 = time.perf_counter()
        path.write_bytes(otlp_bytes(spans))
        size = path.stat().st_size
        log(f"loading: wrote {spans:,} spans, {size / 2**20:.1f} MiB in {time.perf_counter() - t0:.1f} s")
        if formats is None:
            return [skip_row(NAME, "skipped: pytest_agenttrace.formats not available yet")]

        def floor() -> Any:
            return json.loads(path.read_bytes())

        def load() -> Any:
            return formats.load_trace(path)

        def records() -> Any:
            return formats.read_records(path)

        # correctness first: a fast loader that loses spans would be a fake win
        trace = load()
        if len(trace) != spans or len(trace.tool_calls) != spans * 4 // 10:
            raise RuntimeError(f"load_trace read {len(trace)} spans / {len(trace.tool_calls)} tool calls from {spans}")
        del trace
        fns = {"load_trace": load, "read_records": records, "json.loads": floor}
        rows: list[Row] = []
        common = {"spans": spans, "file_bytes": size, "repeat": n}
        best: dict[str, dict[str, float]] = {}
        for gc_off in (False, True):
            state = "off" if gc_off else "on"
            log(f"loading: {spans:,} spans, best of {n}, interleaved, GC {state} on every side")
            best[state] = interleaved({k: _timed_side(f, gc_off=gc_off) for k, f in fns.items()}, n, log=log)
        size_label = f"{spans // 1000}k spans ({size / 2**20:.0f} MiB)"
        for state in ("on", "off"):
            b = best[state]
            target = 3.0 if state == "on" else None
            label = f"{size_label}, GC {state}"
            data = {**common, "gc": state}
            rows.append(
                ratio_row(
                    NAME,
                    f"{label}: load_trace vs json.loads",
                    b["load_trace"],
                    b["json.loads"],
                    per=spans,
                    target=target,
                    data=data,
                )
            )
            if state == "on":
                rows.append(
                    ratio_row(
                        NAME,
                        f"{label}: load_trace vs json.loads",
                        b["load_trace"],
                        b["json.loads"],
                        per=spans,
                        target=2.0,
                        aim=True,
                        data=data,
                    )
                )
            rows.append(
                ratio_row(
                    NAME,
                    f"{label}: read_records vs json.loads",
                    b["read_records"],
                    b["json.loads"],
                    per=spans,
                    data=data,
                )
            )

        log("loading: tracemalloc peaks (one call each, slow)")
        peaks = {k: _peak(f) for k, f in fns.items()}
        jpeak = peaks["json.loads"][0]
        for k in ("load_trace", "read_records"):
            peak, held = peaks[k]
            rows.append(
                Row(
                    NAME,
                    f"{size_label}: peak memory, {k} vs json.loads (tracemalloc)",
                    f"{peak / spans:,.0f} B/span ({peak / 2**20:.0f} MiB; kept {held / 2**20:.0f} MiB)",
                    f"{jpeak / spans:,.0f} B/span ({jpeak / 2**20:.0f} MiB)",
                    f"{peak / jpeak:.2f}x",
                    "<= 1.50x (aim)" if k == "load_trace" else "",
                    ("PASS" if peak / jpeak <= 1.5 else "MISS") if k == "load_trace" else "INFO",
                    {"peak_bytes": peak, "held_bytes": held, "json_peak_bytes": jpeak, "spans": spans},
                )
            )
        rss: dict[str, int] = {}
        if Path("/proc/self/status").exists():  # Linux: VmHWM
            log("loading: peak RSS in fresh processes")
            rss = {k: _rss_peak(k, path) for k in fns}
        for k in ("load_trace", "read_records") if rss else ():
            jrss = rss["json.loads"]
            rows.append(
                Row(
                    NAME,
                    f"{size_label}: peak RSS growth, {k} vs json.loads (fresh process)",
                    f"{rss[k] / spans:,.0f} B/span ({rss[k] / 2**20:.0f} MiB)",
                    f"{jrss / spans:,.0f} B/span ({jrss / 2**20:.0f} MiB)",
                    f"{rss[k] / jrss:.2f}x",
                    "",
                    "INFO",
                    {"rss_bytes": rss[k], "json_rss_bytes": jrss, "spans": spans},
                )
            )
        log("loading: best " + ", ".join(f"{k} {fmt_time(v, per=spans)}" for k, v in best["on"].items()))
    return rows
