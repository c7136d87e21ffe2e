"""What a finished test leaves behind in the session: its report data and plain values, no garbage cycles.

A long run keeps one entry per finished test; anything the cyclic GC tracks there is re-scanned by every full
collection for the rest of the run, and cyclic garbage waits for a collection instead of being freed at once.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_agenttrace._records import SpanRecord
from pytest_agenttrace._session import AgentTraceSession


def agent_run(test: int) -> list[SpanRecord]:
    """An agent span with a model call and a tool call below it (a tree: parent and children refer to each other)."""
    now = time.time_ns()
    trace_id = f"{test:032x}"
    root = f"{test:08x}00000000"

    def span(i: int, name: str, parent: str | None, **attrs: object) -> SpanRecord:
        return SpanRecord(
            trace_id, f"{test:08x}{i:08x}", name, parent_id=parent, start_ns=now + i, end_ns=now + 10 - i,
            attributes=dict(attrs),
        )  # fmt: skip

    return [
        span(0, "invoke_agent a", None, **{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "a"}),
        span(1, "chat m", root, **{"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"}),
        span(2, "execute_tool t", root, **{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "t"}),
    ]


def run_test(session: AgentTraceSession, test: int) -> dict[str, Any]:
    nodeid = f"t.py::test_{test}"
    session.begin_test(nodeid)
    for record in agent_run(test):
        session.add(record)
    session.finish_test(nodeid)
    ((done, data),) = session.flush()
    assert done == nodeid
    return data


@pytest.fixture
def saved_garbage() -> Iterator[Callable[[], list[object]]]:
    """Collect, then keep what the cyclic GC finds unreachable from now on (DEBUG_SAVEALL) instead of freeing it."""

    def start() -> list[object]:
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        return gc.garbage

    try:
        yield start
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_a_finished_tests_trace_is_freed_without_the_cyclic_gc(saved_garbage: Callable[[], list[object]]) -> None:
    session = AgentTraceSession()
    run_test(session, 0)  # first use: lazy imports and caches are made once, not per test
    garbage = saved_garbage()
    data = [run_test(session, i) for i in range(1, 21)]
    assert all(d["llm_calls"] == 1 and d["tool_calls"] == 1 and d["agents"] == 1 for d in data)
    gc.collect()
    kinds = sorted({type(o).__name__ for o in garbage})
    assert kinds == [], f"cyclic garbage left by per-test builds: {kinds}"


def test_finished_tests_leave_no_tracked_objects_in_the_session() -> None:
    session = AgentTraceSession()
    run_test(session, 0)
    gc.collect()
    before = len(gc.get_objects())
    for i in range(1, 301):
        run_test(session, i)  # the report data is dropped: only what the session keeps remains
    gc.collect()
    grown = len(gc.get_objects()) - before
    assert grown < 30, f"{grown} more GC-tracked objects after 300 finished tests"
    # ... and late spans of those tests are still attributed to them (by trace id and by time)
    late = agent_run(7)[1]
    session.add(late)
    assert session.late == 1


def test_report_data_holds_only_values_the_gc_stops_tracking() -> None:
    data = run_test(AgentTraceSession(), 1)
    for _ in range(3):  # a collection untracks one level of nested tuples of plain values
        gc.collect()
    tracked = [k for k, v in data.items() if gc.is_tracked(v)]
    assert tracked == [], f"report data values still tracked by the GC: {tracked}"
