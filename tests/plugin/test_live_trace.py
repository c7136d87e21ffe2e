"""`LiveTrace`: a proxy that rebuilds its `Trace` snapshot only when new records arrived."""

from __future__ import annotations

import copy

import pytest

from pytest_agenttrace._live import LiveTrace, as_trace
from pytest_agenttrace._model import Trace
from pytest_agenttrace._records import SpanRecord


def rec(i: int, **attrs: object) -> SpanRecord:
    return SpanRecord(
        trace_id="1" * 32, span_id=f"{i:016x}", name=f"span {i}", start_ns=i, end_ns=i + 1, attributes=attrs
    )


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts `Trace.from_records` calls (the real builder still runs)."""
    calls: list[int] = []
    real = Trace.from_records.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Trace], records: tuple[SpanRecord, ...], *, source: str | None = None) -> Trace:
        calls.append(len(records))
        return real(cls, records, source=source)

    monkeypatch.setattr(Trace, "from_records", classmethod(counting))
    return calls


def test_forwards_to_a_snapshot_rebuilt_only_when_records_change(built: list[int]) -> None:
    records: list[SpanRecord] = []
    live = LiveTrace(lambda: records, source="pytest:t")
    assert len(live) == 0 and not live
    records.append(rec(1))
    assert len(live) == 1 and live
    assert [r.name for r in live.records] == ["span 1"]
    assert live.source == "pytest:t"
    repr(live)
    assert built == [0, 1]  # nothing rebuilt while the count stayed the same
    records.append(rec(2))
    snap = live.snapshot()
    assert isinstance(snap, Trace) and len(snap) == 2
    assert live.snapshot() is snap
    assert built == [0, 1, 2]


def test_repr_is_the_trace_repr() -> None:
    records = [rec(1)]
    live = LiveTrace(lambda: records)
    assert repr(live) == repr(live.snapshot())


def test_equality_and_as_trace() -> None:
    records = [rec(1), rec(2)]
    live = LiveTrace(lambda: records)
    plain = Trace.from_records(records)
    assert live == plain and plain == live
    assert live == LiveTrace(lambda: list(records))
    assert live != Trace.from_records(records[:1])
    assert (live == "x") is False
    assert as_trace(live) is live.snapshot()
    assert as_trace(plain) is plain
    with pytest.raises(TypeError, match=r"expected a Trace .* got 'list'"):
        as_trace(records)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unhashable"):
        hash(live)


def test_is_not_iterable_and_private_names_do_not_recurse() -> None:
    live = LiveTrace(lambda: [rec(1)])
    with pytest.raises(TypeError):
        iter(live)  # type: ignore[call-overload]
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = live.no_such_thing
    blank = LiveTrace.__new__(LiveTrace)
    with pytest.raises(AttributeError):
        _ = blank._get_records
    assert copy.copy(live) == live
