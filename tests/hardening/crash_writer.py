"""The writer process of test_crash_safety: writes one version of a file with the project's real writer.

    python crash_writer.py KIND PATH VERSION [STOP_AT]

With STOP_AT (`chunk N`, `replacing`, `replaced`) the atomic writer's temp file is written in 64 KiB chunks, each
announced on stdout, and the process blocks right after printing STOP_AT until the parent kills it.
"""

from __future__ import annotations

import os
import random
import string
import sys
import time
from typing import Any

KINDS = {"cassette": "c.yaml", "baseline": "b.json", "trace": "t.json", "trace-gz": "t.json.gz"}
BIG = 400_000  # characters of payload: several 64 KiB chunks, gzipped too


def payload(version: str, size: int = BIG) -> str:
    """Incompressible text that differs per version (a partial file cannot pass for a whole one)."""
    rng = random.Random(version)
    return "".join(rng.choices(string.ascii_letters, k=size))


def write_version(kind: str, path: str, version: str) -> None:
    """Write `version` (a short string) of a `kind` file at `path`."""
    from pytest_agenttrace._records import SpanRecord
    from pytest_agenttrace.baseline import write_baseline
    from pytest_agenttrace.cassettes import Cassette, ToolInteraction
    from pytest_agenttrace.formats import save_trace

    big = payload(version)
    if kind == "cassette":
        Cassette(meta={"v": version}, tools=[ToolInteraction(name="t", arguments={"v": version}, result=big)]).save(
            path
        )
    elif kind == "baseline":
        write_baseline(
            path, {"format": "agenttrace-baseline/1", "v": version, "steps": [{"kind": "tool", "name": big}]}
        )
    else:
        records = [
            SpanRecord(
                trace_id="1" * 32,
                span_id=f"{i + 1:016x}",
                name=version,
                attributes={"big": payload(version, BIG // 10)},
            )
            for i in range(10)
        ]
        save_trace(records, path)


def read_version(kind: str, path: str) -> str:
    """The version the file holds, read with the project's own loader (which fails on a partial file)."""
    from pytest_agenttrace.baseline import load_baseline
    from pytest_agenttrace.cassettes import Cassette
    from pytest_agenttrace.formats import read_records

    if kind == "cassette":
        c = Cassette.load(path)
        assert c.tools[0].result == payload(c.meta["v"])
        return str(c.meta["v"])
    if kind == "baseline":
        data = load_baseline(path)
        assert data is not None and data["steps"][0]["name"] == payload(data["v"])
        return str(data["v"])
    records = read_records(path)
    assert len(records) == 10 and len({r.name for r in records}) == 1
    assert records[0].attributes["big"] == payload(records[0].name, BIG // 10)
    return records[0].name


def _stop_here(marker: str, stop_at: str) -> None:
    print(marker, flush=True)
    if marker == stop_at:
        time.sleep(600)  # the parent kills us here


def _slow_io(stop_at: str) -> None:
    real_fdopen, real_replace = os.fdopen, os.replace

    class ChunkedFile:
        def __init__(self, f: Any) -> None:
            self.f = f

        def __enter__(self) -> ChunkedFile:
            return self

        def __exit__(self, *exc: Any) -> Any:
            return self.f.__exit__(*exc)

        def write(self, data: bytes) -> int:
            view = memoryview(data)
            for n, i in enumerate(range(0, len(view), 65536)):
                self.f.write(view[i : i + 65536])
                self.f.flush()
                _stop_here(f"chunk {n}", stop_at)
            return len(view)

        def flush(self) -> None:
            self.f.flush()

        def fileno(self) -> int:
            return int(self.f.fileno())

    def chunked_fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        return ChunkedFile(real_fdopen(fd, *args, **kwargs))

    def announced_replace(src: Any, dst: Any) -> None:
        _stop_here("replacing", stop_at)
        real_replace(src, dst)
        _stop_here("replaced", stop_at)

    os.fdopen = chunked_fdopen  # type: ignore[assignment]
    os.replace = announced_replace  # type: ignore[assignment]


if __name__ == "__main__":
    kind, path, version = sys.argv[1:4]
    if len(sys.argv) > 4:
        import pytest_agenttrace._atomic  # noqa: F401 - imported before os is patched

        _slow_io(sys.argv[4])
    write_version(kind, path, version)
    print("done", flush=True)
