"""The attribution rule of `AgentTraceSession`, driven directly with span records (no OTel, no pytester)."""

from __future__ import annotations

import threading
import time

from pytest_agenttrace._records import SpanRecord
from pytest_agenttrace._session import BATCH_SPANS, BATCH_TESTS, AgentTraceSession


def rec(name: str, *, trace: str = "t1", start: int) -> SpanRecord:
    return SpanRecord(
        trace_id=trace.ljust(32, "0"),
        span_id=name.encode().hex()[:16].ljust(16, "0"),
        name=name,
        start_ns=start,
        end_ns=start + 1,
    )


def names(session: AgentTraceSession, nodeid: str) -> list[str]:
    return [r.name for r in session.records(nodeid)]


def test_span_ending_during_a_test_belongs_to_it() -> None:
    s = AgentTraceSession()
    s.keep_records = True
    s.begin_test("a")
    s.add(rec("in a", start=time.time_ns()))
    assert names(s, "a") == ["in a"]
    s.finish_test("a")
    s.begin_test("b")
    s.add(rec("in b", trace="t2", start=time.time_ns()))
    s.finish_test("b")
    assert names(s, "a") == ["in a"] and names(s, "b") == ["in b"]
    assert (s.unattributed, s.late) == (0, 0)


def test_span_of_a_known_trace_ending_between_tests_belongs_to_the_first_test() -> None:
    s = AgentTraceSession()
    s.keep_records = True
    s.begin_test("a")
    s.add(rec("a child", trace="shared", start=time.time_ns()))
    s.finish_test("a")
    # started after "a" finished (a background thread continuing a's trace), ended between tests
    s.add(rec("a late", trace="shared", start=time.time_ns()))
    s.begin_test("b")
    s.finish_test("b")
    assert names(s, "a") == ["a child", "a late"]
    assert names(s, "b") == []
    assert (s.unattributed, s.late) == (0, 1)


def test_leftover_span_ending_in_the_next_test_goes_to_the_test_it_started_in() -> None:
    s = AgentTraceSession()
    s.begin_test("a")
    started_in_a = time.time_ns()
    s.finish_test("a")
    s.begin_test("b")
    s.add(rec("outlived a", trace="new", start=started_in_a))
    assert names(s, "b") == []
    assert s.late == 1


def test_leftover_of_a_known_trace_ending_in_the_next_test_goes_to_its_trace_owner() -> None:
    s = AgentTraceSession()
    before_a = time.time_ns() - 10
    s.begin_test("a")
    s.add(rec("a span", trace="shared", start=time.time_ns()))
    s.finish_test("a")
    s.begin_test("b")
    s.add(rec("root started before a", trace="shared", start=before_a))
    assert names(s, "b") == []
    assert (s.late, s.unattributed) == (1, 0)


def test_new_spans_of_an_old_trace_started_during_a_test_belong_to_that_test() -> None:
    # A session-wide root span: every test's spans share its trace id, each test keeps its own.
    s = AgentTraceSession()
    s.begin_test("a")
    s.add(rec("a step", trace="session", start=time.time_ns()))
    s.finish_test("a")
    s.begin_test("b")
    s.add(rec("b step", trace="session", start=time.time_ns()))
    assert names(s, "b") == ["b step"]


def test_unseen_span_between_tests_is_unattributed() -> None:
    s = AgentTraceSession()
    s.add(rec("before any test", start=time.time_ns()))
    s.begin_test("a")
    s.finish_test("a")
    s.add(rec("after a", trace="other", start=time.time_ns()))
    assert (s.unattributed, s.unattributed_names, s.late) == (2, ["before any test", "after a"], 0)


def test_span_started_before_any_test_but_ending_in_one_belongs_to_it() -> None:
    s = AgentTraceSession()
    early = time.time_ns()
    s.begin_test("a")
    s.add(rec("import-time span", start=early))
    assert names(s, "a") == ["import-time span"]


def test_spans_from_many_threads_are_all_kept() -> None:
    s = AgentTraceSession()
    s.keep_records = True
    s.begin_test("a")
    start = time.time_ns()

    def work(i: int) -> None:
        for j in range(500):
            s.add(rec(f"{i}-{j}", start=start))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s.finish_test("a")
    assert len(s.records("a")) == 4000


def test_records_are_dropped_after_the_report_unless_kept() -> None:
    s = AgentTraceSession()
    s.begin_test("a")
    s.add(rec("x", start=time.time_ns()))
    assert s.finish_test("a") == []  # (one test: its data waits for a batch or the end of the run)
    assert s.records("a") == []
    ((nodeid, data),) = s.flush()
    assert (nodeid, data["spans"]) == ("a", 1)


def test_worker_payloads_merge_and_tolerate_garbage() -> None:
    s = AgentTraceSession()
    s.merge_worker_payload({"unattributed": 2, "unattributed_names": ["x", "y"], "late": 1})
    s.merge_worker_payload(None)  # a crashed worker sends nothing
    s.merge_worker_payload({"unattributed": 1, "unattributed_names": ["z", "w"]})
    assert (s.unattributed, s.late, s.unattributed_names) == (3, 1, ["x", "y", "z"])
    s.add_result("t::a", {"spans": 1, "llm_calls": 1})
    s.add_result("t::b", None)
    assert s.results == [("t::a", {"spans": 1, "llm_calls": 1})]
    lines = s.summary_lines()
    assert (
        "totals: 1 tests with traces, 1 LLM calls, 0 tool calls, 0 input tokens, 0 output tokens, 0 errors, "
        in (lines[-3])
    )
    assert lines[-3].endswith("3 unattributed spans")
    assert lines[-2].startswith(
        "warning: 3 spans ended outside any test and were not attributed (first: 'x', 'y', 'z')"
    )
    assert lines[-1].startswith("note: 1 spans ended after their test's report was built")


def test_a_trace_that_cannot_be_built_is_reported_not_raised(monkeypatch) -> None:
    from pytest_agenttrace import _model

    def boom(*args: object, **kwargs: object) -> None:
        raise ValueError("normalizer bug")

    monkeypatch.setattr(_model.Trace, "from_records", classmethod(boom))
    s = AgentTraceSession()
    s.begin_test("a")
    s.add(rec("x", start=time.time_ns()))
    [(_, data)] = s.finish_test("a") + s.flush()
    assert data == {"spans": 1, "build_error": "ValueError: normalizer bug"}
    s.add_result("a", data)
    assert "warning: a: could not build the trace: ValueError: normalizer bug" in s.summary_lines()


def test_report_data_is_built_in_batches_in_the_order_tests_finished() -> None:
    s = AgentTraceSession()
    batches = []
    for i in range(BATCH_TESTS * 2 + 3):
        s.begin_test(f"t{i}")
        s.add(rec(f"x{i}", trace=f"t{i}", start=time.time_ns()))
        batches.append(s.finish_test(f"t{i}"))
    sizes = [len(b) for b in batches if b]
    assert sizes == [BATCH_TESTS, BATCH_TESTS]
    rest = s.flush()
    done = [nodeid for batch in batches for nodeid, _ in batch] + [nodeid for nodeid, _ in rest]
    assert done == [f"t{i}" for i in range(BATCH_TESTS * 2 + 3)]
    assert all(data["spans"] == 1 for batch in [*batches, rest] for _, data in batch)
    assert s.flush() == []


def test_a_batch_is_built_early_once_its_tests_hold_many_spans() -> None:
    s = AgentTraceSession()
    s.begin_test("big")
    for j in range(BATCH_SPANS):
        s.add(rec(f"s{j}", start=time.time_ns()))
    assert [(n, d["spans"]) for n, d in s.finish_test("big")] == [("big", BATCH_SPANS)]


def test_an_xdist_worker_reports_each_test_with_its_own_report() -> None:
    s = AgentTraceSession(is_worker=True)
    s.begin_test("a")
    s.add(rec("x", start=time.time_ns()))
    assert [(n, d["spans"]) for n, d in s.finish_test("a")] == [("a", 1)]


def test_an_abandoned_test_comes_with_the_next_flush_and_payloads_carry_waiting_tests() -> None:
    s = AgentTraceSession()
    s.begin_test("a")
    s.add(rec("x", start=time.time_ns()))
    s.abandon_test("a")
    s.finish_test("unknown")  # a teardown report for a test that never began: no spans, kept in its place
    payload = s.worker_payload(s.flush())
    controller = AgentTraceSession()
    controller.merge_worker_payload(payload)
    controller.add_results([["b", {"spans": 2}], "garbage", ["c"], [3, {}]])
    assert [(n, d["spans"]) for n, d in controller.results] == [("a", 1), ("unknown", 0), ("b", 2)]
