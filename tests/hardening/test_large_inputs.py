"""Large inputs: a file over the size limit fails fast with a message naming its size and the limit (before it is
read); big files stream to disk in tests and load; attribute values over the cap are cut with a marker, and the
cap is configurable. The real 1M-span measurement is `python tests/hardening/large_trace.py 1000000`."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from large_trace import write_file, write_otlp_lines

from pytest_agenttrace._errors import ConfigError, TraceFormatError
from pytest_agenttrace._model import Trace
from pytest_agenttrace.formats import dumps_records, read_records

MARKER = "...[truncated {} chars]"


@pytest.fixture
def no_limit_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTTRACE_MAX_FILE_BYTES", raising=False)
    monkeypatch.delenv("AGENTTRACE_MAX_ATTR_CHARS", raising=False)


# ----------------------------------------------------------------------------------------------- file size


@pytest.mark.usefixtures("no_limit_env")
def test_big_file_streams_to_disk_and_reads(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl.gz"
    size = write_file(str(path), 20_000, gz=True)
    assert size < 2_000_000  # ~10 MB of JSON
    records = read_records(path)
    assert len(records) == 20_000 and len({r.trace_id for r in records}) == 200
    assert records[-1].attributes["gen_ai.tool.call.arguments"] == '{"city": "c19999"}'


@pytest.mark.usefixtures("no_limit_env")
def test_file_over_the_limit_names_its_size_and_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    size = write_file(str(path), 3_000)
    with pytest.raises(TraceFormatError) as err:
        read_records(path, max_bytes=1_000_000)
    message = str(err.value)
    assert f"file is {size:,} bytes" in message
    assert "limit of 1,000,000 bytes" in message
    assert "max_bytes=" in message and "AGENTTRACE_MAX_FILE_BYTES" in message
    assert str(path) in message


def test_limit_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.jsonl"
    write_file(str(path), 3_000)
    monkeypatch.setenv("AGENTTRACE_MAX_FILE_BYTES", "1_000_000")
    with pytest.raises(TraceFormatError, match="limit of 1,000,000 bytes"):
        read_records(path)
    assert len(read_records(path, max_bytes=10**9)) == 3_000  # the argument wins over the environment
    monkeypatch.setenv("AGENTTRACE_MAX_FILE_BYTES", "lots")
    with pytest.raises(ConfigError, match="AGENTTRACE_MAX_FILE_BYTES='lots' is not a positive integer"):
        read_records(path)


@pytest.mark.usefixtures("no_limit_env")
def test_huge_file_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 64 GiB sparse file (no disk used): over the default 512 MiB limit, refused from its size alone."""
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(64 * 2**30)
    opened: list[Any] = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda *a, **k: opened.append(a) or real_open(*a, **k))
    with pytest.raises(TraceFormatError, match=r"file is 68,719,476,736 bytes, over the limit of 536,870,912"):
        read_records(path)
    assert opened == []  # not even opened


@pytest.mark.usefixtures("no_limit_env")
@pytest.mark.parametrize("source", ["path", "bytes"])
def test_gzip_bomb_stops_at_the_limit(tmp_path: Path, source: str) -> None:
    """10 MB of JSON whitespace in a 10 KB gzip: decompression stops once past the limit."""
    data = gzip.compress(b"[" + b" " * 10_000_000 + b"]", compresslevel=9)
    assert len(data) < 50_000
    path = tmp_path / "bomb.json.gz"
    path.write_bytes(data)
    with pytest.raises(TraceFormatError, match=r"gzip data decompresses to more than 1,000,000 bytes"):
        read_records(path if source == "path" else data, max_bytes=1_000_000)


@pytest.mark.usefixtures("no_limit_env")
def test_data_that_would_not_fit_in_memory_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under the size limit but bigger than memory allows (8x the data, the measured peak is 6.5-7.5x): a clear
    error naming the file, the need and what is available, before any parsing; AGENTTRACE_MEMORY_CHECK=0 overrides."""
    from pytest_agenttrace.formats import _source

    path = tmp_path / "big.jsonl"
    size = write_file(str(path), 80_000)  # ~40 MB: over the 32 MB below which nothing is checked
    assert size > 32 * 2**20
    monkeypatch.setattr(_source, "available_memory", lambda: 200 * 2**20)
    parsed: list[Any] = []
    real_loads = json.loads
    monkeypatch.setattr(json, "loads", lambda *a, **k: parsed.append(1) or real_loads(*a, **k))
    with pytest.raises(TraceFormatError) as err:
        read_records(path)
    message = str(err.value)
    assert str(path) in message and f"{size:,} bytes of trace data" in message
    assert "0.2 GiB is available" in message and "AGENTTRACE_MEMORY_CHECK=0" in message
    assert parsed == []
    monkeypatch.setenv("AGENTTRACE_MEMORY_CHECK", "0")
    assert len(read_records(path)) == 80_000
    assert parsed  # the patched parser is the one reading the file: it was not reached above
    monkeypatch.delenv("AGENTTRACE_MEMORY_CHECK")
    monkeypatch.setattr(_source, "available_memory", lambda: 64 * 2**30)
    assert len(read_records(path)) == 80_000


def test_available_memory_is_read_on_linux() -> None:
    from pytest_agenttrace.formats._source import available_memory

    free = available_memory()
    if not Path("/proc/meminfo").exists():
        assert free is None
    else:
        assert free is not None and free > 0


@pytest.mark.usefixtures("no_limit_env")
def test_bytes_over_the_limit(tmp_path: Path) -> None:
    buf = io.BytesIO()
    write_otlp_lines(buf, 3_000)
    with pytest.raises(TraceFormatError, match=r"input is [\d,]+ bytes, over the limit of 1,000,000 bytes"):
        read_records(buf.getvalue(), max_bytes=1_000_000)


@pytest.mark.usefixtures("no_limit_env")
def test_building_many_same_name_tool_calls_is_not_quadratic(monkeypatch: pytest.MonkeyPatch) -> None:
    """600 sequential `get_weather` calls in 6 traces: each call's arguments are parsed a bounded number of times
    (counted, not timed). The pairwise twin-span merge parsed them ~300,000 times (a 100k-span file never built)."""
    import pytest_agenttrace._build as build

    calls = 0
    real = build._norm_args  # if the fix renames it, count the new per-pair work instead

    def counting(value: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(value)

    monkeypatch.setattr(build, "_norm_args", counting)
    buf = io.BytesIO()
    write_otlp_lines(buf, 600)
    trace = Trace.from_records(read_records(buf.getvalue()))
    assert len(trace.tool_calls) == 594
    assert calls <= 10 * 600


# ------------------------------------------------------------------------------------------ attribute values


def _docs(value: str) -> Iterator[tuple[str, Any]]:
    """One span carrying `value` as an attribute (and an event/resource attribute where the format has them)."""
    tid, sid = "1" * 32, "2" * 16
    kv = [
        {"key": "big", "value": {"stringValue": value}},
        {"key": "arr", "value": {"arrayValue": {"values": [{"stringValue": value}]}}},
    ]
    yield (
        "otlp",
        {
            "resourceSpans": [
                {
                    "resource": {"attributes": kv},
                    "scopeSpans": [
                        {
                            "spans": [
                                {
                                    "traceId": tid,
                                    "spanId": sid,
                                    "name": "s",
                                    "attributes": kv,
                                    "events": [{"name": "e", "attributes": kv}],
                                }
                            ]
                        }
                    ],
                }
            ]
        },
    )
    attrs = {"big": value, "arr": [value]}
    yield (
        "sdk-json",
        {
            "name": "s",
            "context": {"trace_id": "0x" + tid, "span_id": "0x" + sid},
            "attributes": attrs,
            "events": [{"name": "e", "timestamp": "2025-01-01T00:00:00Z", "attributes": attrs}],
            "resource": {"attributes": attrs},
        },
    )
    yield (
        "native",
        {
            "format": "agenttrace",
            "version": 1,
            "spans": [
                {
                    "trace_id": tid,
                    "span_id": sid,
                    "name": "s",
                    "attributes": attrs,
                    "resource": attrs,
                    "events": [{"name": "e", "attributes": attrs}],
                }
            ],
        },
    )
    tags = [{"key": "big", "type": "string", "value": value}]
    yield (
        "jaeger",
        {
            "data": [
                {
                    "traceID": tid,
                    "spans": [
                        {
                            "traceID": tid,
                            "spanID": sid,
                            "operationName": "s",
                            "tags": tags,
                            "logs": [{"timestamp": 1, "fields": tags}],
                            "processID": "p",
                        }
                    ],
                    "processes": {"p": {"serviceName": "x", "tags": tags}},
                }
            ]
        },
    )
    yield (
        "strands",
        [
            {
                "trace_id": tid,
                "span_id": sid,
                "name": "s",
                "start_time": 1,
                "end_time": 2,
                "attributes": attrs,
                "span_events": [{"name": "e", "timestamp": 1, "attributes": attrs}],
            }
        ],
    )
    yield (
        "js-spans",
        [
            {
                "name": "s",
                "spanContext": {"traceId": tid, "spanId": sid},
                "startTime": [1, 0],
                "attributes": attrs,
                "events": [{"name": "e", "time": [1, 0], "attributes": attrs}],
                "resource": {"attributes": attrs},
            }
        ],
    )
    yield (
        "langfuse",
        {
            "trace": {"id": tid},
            "observations": [
                {
                    "id": sid,
                    "traceId": tid,
                    "name": "s",
                    "startTime": "2025-01-01T00:00:00Z",
                    "input": value,
                    "metadata": {"attributes": attrs, "resourceAttributes": attrs},
                }
            ],
        },
    )
    yield (
        "openai-agents",
        [
            {
                "data": [
                    {
                        "object": "trace.span",
                        "id": "span_" + "2" * 24,
                        "trace_id": "trace_" + tid,
                        "span_data": {"type": "function", "name": "f", "input": value, "output": value},
                    }
                ]
            }
        ],
    )
    yield "attribute-map", {"gen_ai.operation.name": "chat", "big": value, "arr": [value]}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)


def _all_strings(records: Any) -> list[str]:
    out: list[str] = []
    for r in records:
        out += [*_strings(r.attributes), *_strings(r.resource)]
        for e in r.events:
            out += list(_strings(e.attributes))
    return out


@pytest.mark.usefixtures("no_limit_env")
@pytest.mark.parametrize(("fmt", "doc"), list(_docs("x" * 2_000)), ids=[f for f, _ in _docs("")])
def test_every_reader_cuts_long_values_with_a_marker(fmt: str, doc: Any) -> None:
    records = read_records(json.dumps(doc).encode(), max_attr_chars=100)
    cut = "x" * 100 + MARKER.format(1_900)
    values = [s for s in _all_strings(records) if s.startswith("x" * 100)]
    assert values and all(s == cut for s in values), values


@pytest.mark.usefixtures("no_limit_env")
def test_default_cap_is_one_million_chars_and_env_configures_it(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = {"gen_ai.operation.name": "chat", "big": "y" * 1_000_050}
    [record] = read_records(json.dumps(doc).encode())
    assert record.attributes["big"] == "y" * 1_000_000 + MARKER.format(50)
    monkeypatch.setenv("AGENTTRACE_MAX_ATTR_CHARS", "10")
    [record] = read_records(json.dumps(doc).encode())
    assert record.attributes["big"] == "y" * 10 + MARKER.format(1_000_040)
    [record] = read_records(json.dumps(doc).encode(), max_attr_chars=2_000_000)  # the argument wins
    assert record.attributes["big"] == "y" * 1_000_050
    monkeypatch.setenv("AGENTTRACE_MAX_ATTR_CHARS", "0")
    with pytest.raises(ConfigError, match="AGENTTRACE_MAX_ATTR_CHARS='0' is not a positive integer"):
        read_records(json.dumps(doc).encode())


@pytest.mark.usefixtures("no_limit_env")
def test_values_at_the_cap_are_kept_whole() -> None:
    doc = {"gen_ai.operation.name": "chat", "big": "z" * 100}
    [record] = read_records(json.dumps(doc).encode(), max_attr_chars=100)
    assert record.attributes["big"] == "z" * 100


@pytest.mark.usefixtures("no_limit_env")
def test_reading_a_saved_trace_again_keeps_cut_values() -> None:
    doc = {"gen_ai.operation.name": "chat", "big": "x" * 2_000, "arr": ["y" * 300]}
    first = read_records(json.dumps(doc).encode(), max_attr_chars=100)
    again = read_records(dumps_records(first).encode(), max_attr_chars=100)
    assert again == first
