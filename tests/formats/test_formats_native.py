"""The agenttrace format round-trips records exactly; load_trace / load_traces select and group traces."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_agenttrace import SpanEvent, SpanRecord, Trace, TraceFormatError, TraceSelectionError
from pytest_agenttrace.formats import dump_records, load_records, load_trace, load_traces, read_records, save_trace

HEX = "0123456789abcdef"
scalars = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**63), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
attr_values = st.one_of(
    scalars,
    st.lists(st.text(max_size=5), max_size=3).map(tuple),
    st.lists(st.integers(), max_size=3).map(tuple),
    st.dictionaries(st.text(max_size=5), st.one_of(scalars, st.lists(scalars, max_size=2).map(tuple)), max_size=2),
)
attrs = st.dictionaries(st.text(max_size=15), attr_values, max_size=5)
events = st.builds(SpanEvent, name=st.text(max_size=10), time_ns=st.integers(0, 2**63), attributes=attrs)
records = st.builds(
    SpanRecord,
    trace_id=st.text(HEX, min_size=32, max_size=32),
    span_id=st.text(HEX, min_size=16, max_size=16),
    name=st.text(max_size=20),
    parent_id=st.none() | st.text(HEX, min_size=16, max_size=16),
    kind=st.sampled_from(["INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"]),
    start_ns=st.integers(0, 2**63),
    end_ns=st.integers(0, 2**63),
    status_code=st.sampled_from(["UNSET", "OK", "ERROR"]),
    status_message=st.text(max_size=10),
    attributes=attrs,
    events=st.lists(events, max_size=2).map(tuple),
    resource=st.dictionaries(st.text(max_size=10), scalars, max_size=3),
    scope_name=st.text(max_size=10),
    scope_version=st.text(max_size=5),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(recs=st.lists(records, max_size=5), gz=st.booleans())
def test_save_then_read_gives_equal_records(tmp_path: Path, recs: list[SpanRecord], gz: bool) -> None:
    path = tmp_path / ("t.json.gz" if gz else "t.json")
    save_trace(recs, path)
    assert read_records(path) == recs
    assert load_records(dump_records(recs)) == recs


def test_saved_file_is_one_span_per_line(tmp_path: Path) -> None:
    recs = [
        SpanRecord(trace_id="a" * 32, span_id=f"{i:016x}", name=f"s{i}", attributes={"t": ("x",)}) for i in range(3)
    ]
    save_trace(recs, tmp_path / "t.json")
    text = (tmp_path / "t.json").read_text()
    assert text.count("\n") == 5 and json.loads(text)["format"] == "agenttrace"
    doc = dump_records(recs)
    assert doc["version"] == 1 and doc["spans"][0]["attributes"] == {"t": ["x"]}


def test_gz_suffix_gzips_deterministically(tmp_path: Path) -> None:
    recs = [SpanRecord(trace_id="a" * 32, span_id="b" * 16, name="s")]
    save_trace(recs, tmp_path / "a.json.gz")
    save_trace(recs, tmp_path / "b.json.gz")
    data = (tmp_path / "a.json.gz").read_bytes()
    assert data[:2] == b"\x1f\x8b" and data == (tmp_path / "b.json.gz").read_bytes()
    assert json.loads(gzip.decompress(data))["spans"][0]["name"] == "s"


def test_save_trace_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.json"
    path.write_text("old")

    def explode(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", explode)
    with pytest.raises(OSError, match="disk full"):
        save_trace([SpanRecord(trace_id="a" * 32, span_id="b" * 16, name="s")], path)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]


def test_load_records_refuses_other_documents() -> None:
    with pytest.raises(TraceFormatError, match="not an agenttrace document"):
        load_records({"spans": []})


# --------------------------------------------------------------------------------------------------- selection


def rec(trace: str, span: str, *, parent: str | None = None, start: int = 0, name: str = "s") -> SpanRecord:
    return SpanRecord(trace_id=trace, span_id=span, parent_id=parent, name=name, start_ns=start, end_ns=start + 5)


T1 = "1" * 32
T2 = "2" * 31 + "a"
T3 = "2" * 31 + "b"
RECORDS = [
    rec(T2, "b" * 16, start=2_000_000_000, name="late root"),
    rec(T1, "a" * 16, start=1_000_000_000, name="early root"),
    rec(T1, "c" * 16, parent="a" * 16, start=1_500_000_000, name="child"),
    rec(T3, "d" * 16, parent="f" * 16, start=3_000_000_000, name="orphan"),
]


@pytest.fixture
def trace_file(tmp_path: Path) -> Path:
    path = tmp_path / "multi.json"
    save_trace(RECORDS, path)
    return path


def test_load_trace_takes_all_spans_by_default(trace_file: Path) -> None:
    trace = load_trace(trace_file)
    assert isinstance(trace, Trace)
    assert len(trace) == 4 and set(trace.trace_ids) == {T1, T2, T3}
    assert trace.source == str(trace_file)


def test_load_trace_by_id_or_unique_prefix(trace_file: Path) -> None:
    assert {r.span_id for r in load_trace(trace_file, trace_id=T1).records} == {"a" * 16, "c" * 16}
    assert len(load_trace(trace_file, trace_id="111")) == 2
    assert len(load_trace(trace_file, trace_id="0x" + T2.upper())) == 1


def test_unknown_trace_id_lists_the_traces(trace_file: Path) -> None:
    with pytest.raises(TraceSelectionError) as err:
        load_trace(trace_file, trace_id="deadbeef")
    message = str(err.value)
    assert str(trace_file) in message and "'deadbeef'" in message
    assert f"{T1}  2 spans  started 1970-01-01T00:00:01.000Z  root: 'early root'" in message
    assert f"{T2}  1 span  started 1970-01-01T00:00:02.000Z  root: 'late root'" in message
    assert "root: 'orphan'" in message  # a span whose parent is missing counts as a root
    assert message.index(T1) < message.index(T2) < message.index(T3)


def test_ambiguous_prefix(trace_file: Path) -> None:
    with pytest.raises(TraceSelectionError, match="ambiguous"):
        load_trace(trace_file, trace_id="2222")


def test_load_traces_groups_by_trace_id_earliest_first(trace_file: Path) -> None:
    traces = load_traces(trace_file)
    assert [t.trace_ids for t in traces] == [(T1,), (T2,), (T3,)]
    assert [len(t) for t in traces] == [2, 1, 1]
    assert all(t.source == str(trace_file) for t in traces)


def test_trace_save_method_round_trips(tmp_path: Path, trace_file: Path) -> None:
    trace = load_trace(trace_file)
    trace.save(tmp_path / "again.json")
    assert read_records(tmp_path / "again.json") == list(trace.records)
