"""Big trace files, streamed to disk (never held in memory), and the one-off measurement of loading one.

    python tests/hardening/large_trace.py 1000000          # write a 1M-span OTLP JSON Lines file, load it
    python tests/hardening/large_trace.py 1000000 --gzip   # the same, gzipped

prints the file size, the time and the peak RSS of `read_records` and of `load_trace` (each in a fresh process).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import IO

#: A measurement that takes longer is reported as not finished.
TIMEOUT_S = 900
#: Spans per OTLP document (one JSON line): a collector file exporter writes batches like this.
BATCH = 1_000


def _span(i: int) -> dict[str, object]:
    trace = i // 100  # 100 spans per trace: an agent run and its calls
    root = trace * 100
    span: dict[str, object] = {
        "traceId": f"{trace + 1:032x}",
        "spanId": f"{i + 1:016x}",
        "name": "invoke_agent planner" if i == root else "execute_tool get_weather",
        "kind": 1,
        "startTimeUnixNano": str(1_700_000_000_000_000_000 + i * 1000),
        "endTimeUnixNano": str(1_700_000_000_000_000_000 + i * 1000 + 500),
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "invoke_agent" if i == root else "execute_tool"}},
            {"key": "gen_ai.tool.name", "value": {"stringValue": "get_weather"}},
            {"key": "gen_ai.tool.call.arguments", "value": {"stringValue": json.dumps({"city": f"c{i}"})}},
        ],
        "status": {"code": 1},
    }
    if i != root:
        span["parentSpanId"] = f"{root + 1:016x}"
    return span


def write_otlp_lines(out: IO[bytes], spans: int) -> None:
    """`spans` spans as OTLP/JSON Lines (one resourceSpans document per `BATCH` spans), written as they are made."""
    for start in range(0, spans, BATCH):
        batch = [_span(i) for i in range(start, min(start + BATCH, spans))]
        doc = {
            "resourceSpans": [
                {"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "big"}, "spans": batch}]}
            ]
        }
        out.write(json.dumps(doc, separators=(",", ":")).encode())
        out.write(b"\n")


def write_file(path: str, spans: int, *, gz: bool = False) -> int:
    """Write the file (gzipped when `gz`); returns its size in bytes."""
    with open(path, "wb") as raw:
        if gz:
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as f:
                write_otlp_lines(f, spans)  # type: ignore[arg-type]
        else:
            write_otlp_lines(raw, spans)
    return os.path.getsize(path)


_MEASURE = """
import resource, sys, time
from pytest_agenttrace.formats import load_trace, read_records
what, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
result = read_records(path) if what == "read_records" else load_trace(path)
seconds = time.perf_counter() - start
n = len(result) if what == "read_records" else len(result.records)
print(n, round(seconds, 1), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def main(argv: list[str]) -> int:
    spans = int(argv[0]) if argv else 1_000_000
    gz = "--gzip" in argv
    folder = tempfile.mkdtemp(prefix="agenttrace-large-")
    path = os.path.join(folder, "big.jsonl.gz" if gz else "big.jsonl")
    start = time.perf_counter()
    size = write_file(path, spans, gz=gz)
    write_s = time.perf_counter() - start
    print(f"{spans:,} spans, {size:,} bytes on disk{' (gzip)' if gz else ''}, written in {write_s:.1f} s")
    for what in ("read_records", "load_trace"):
        try:
            out = subprocess.run(
                [sys.executable, "-c", _MEASURE, what, path], capture_output=True, text=True, timeout=TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            print(f"{what}: did not finish in {TIMEOUT_S} s")
            continue
        if out.returncode:
            print(f"{what}: failed ({out.returncode}): {out.stderr.strip().splitlines()[-1]}")
            continue
        n, seconds, rss_mb = out.stdout.split()
        print(f"{what}: {int(n):,} spans in {seconds} s, peak RSS {int(rss_mb):,} MB")
    os.unlink(path)
    os.rmdir(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
