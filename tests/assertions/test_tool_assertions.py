"""assert_tool_calls / assert_tool_called / assert_tool_not_called: outcomes and what their messages show."""

from __future__ import annotations

import re

import pytest

from pytest_agenttrace import ToolCall, Trace
from pytest_agenttrace.assertions import (
    ANY,
    AgentAssertionError,
    assert_tool_called,
    assert_tool_calls,
    assert_tool_not_called,
    call,
)


def trace_of(*calls: tuple[str, dict]) -> Trace:
    tools = [ToolCall(name=n, arguments=a, call_id=f"c{i}", start_ns=i + 1) for i, (n, a) in enumerate(calls)]
    return Trace(records=(), roots=(), nodes={}, tool_calls=tools)


REFUND = trace_of(("get_order", {"order_id": "A1043"}), ("refund_order", {"order_id": "A1044", "amount": 80.0}))


def failure(fn, *args, **kwargs) -> str:
    with pytest.raises(AgentAssertionError) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, AssertionError)
    return str(info.value)


def test_passing_assertions_return_none() -> None:
    assert assert_tool_calls(REFUND, ["get_order", "refund_order"]) is None
    assert_tool_calls(REFUND, [call("get_order", order_id="A1043"), call("refund_order", order_id=ANY, amount=80.0)])
    assert_tool_calls(REFUND, [call("refund_order", order_id=re.compile(r"A\d{4}"))], order="subset", args="subset")
    assert_tool_called(REFUND, "refund_order", times=1, args={"amount": pytest.approx(80)})
    assert_tool_not_called(REFUND, "cancel_order")


def test_argument_mismatch_names_both_ids_and_marks_the_divergence() -> None:
    text = failure(
        assert_tool_calls,
        REFUND,
        [call("get_order", order_id="A1043"), call("refund_order", order_id="A1043")],
        args="subset",
    )
    lines = text.splitlines()
    assert lines[0] == (
        "tool calls do not match (order='strict', args='subset'): "
        "first divergence at position 2 of 2 expected, 2 actual"
    )
    assert "order_id: expected 'A1043', got 'A1044'" in text
    marked = [ln for ln in lines if ln.startswith("  > ")]
    assert len(marked) == 1 and "refund_order(order_id='A1043')" in marked[0] and "order_id='A1044'" in marked[0]
    assert "nearest call to 'refund_order': #2 refund_order(order_id='A1044', amount=80.0)" in text
    assert "\ntrace:\n" in text


def test_expected_and_actual_columns_line_up() -> None:
    text = failure(assert_tool_calls, REFUND, ["get_order", "cancel_order"])
    header = next(ln for ln in text.splitlines() if ln.startswith("    expected "))
    row = next(ln for ln in text.splitlines() if ln.startswith("  > "))
    assert header.index("actual") == row.index("2. refund_order")


def test_missing_tool_suggests_close_names() -> None:
    text = failure(assert_tool_calls, REFUND, ["get_order", "refund_orders"], order="subset")
    assert "1 expected call not made" in text
    assert "no call to 'refund_orders' at all (did you mean 'refund_order'" in text
    assert "tools called: get_order x1, refund_order x1" in text


def test_superset_lists_unexpected_calls() -> None:
    text = failure(assert_tool_calls, REFUND, ["get_order"], order="superset")
    assert "1 call not expected" in text
    assert "not expected: #2 refund_order(order_id='A1044', amount=80.0)" in text


def test_subsequence_reports_the_call_out_of_order() -> None:
    text = failure(assert_tool_calls, REFUND, ["refund_order", "get_order"], order="subsequence")
    assert "expected call #2 get_order was not found in order after the match of expected #1" in text


def test_strict_length_mismatch() -> None:
    text = failure(assert_tool_calls, REFUND, ["get_order"])
    assert "expected 1 call, got 2; the first 1 match" in text


def test_a_single_call_instead_of_a_list_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"wrap it: \[call\('get_order'\)\]"):
        assert_tool_calls(REFUND, call("get_order"))  # type: ignore[arg-type]


def test_tool_called_with_wrong_arguments() -> None:
    text = failure(assert_tool_called, REFUND, "refund_order", args={"order_id": "A1043"})
    assert text.startswith("tool 'refund_order' was called 1 time, never with refund_order(order_id='A1043')")
    assert "order_id: expected 'A1043', got 'A1044'" in text


def test_tool_called_times() -> None:
    t = trace_of(("search", {"q": "x"}), ("search", {"q": "y"}), ("search", {"q": "x"}))
    assert_tool_called(t, "search", times=2, args={"q": "x"})
    text = failure(assert_tool_called, t, "search", times=1, args={"q": "x"})
    assert text.startswith("tool 'search' was called 2 times with search(q='x'), expected 1")
    assert "  * #1 search(q='x')" in text and "    #2 search(q='y')" in text
    assert "was never called" in failure(assert_tool_called, t, "fetch")
    with pytest.raises(ValueError, match="non-negative int"):
        assert_tool_called(t, "search", times=-1)


def test_tool_not_called_lists_the_calls() -> None:
    text = failure(assert_tool_not_called, REFUND, "refund_order")
    assert text.startswith("tool 'refund_order' was called 1 time, expected never")
    assert "#2 refund_order(order_id='A1044', amount=80.0)" in text


def test_not_a_trace_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expected a Trace"):
        assert_tool_calls(["get_order"], [])


def test_live_proxies_are_resolved_through_live_as_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    class Proxy:
        pass

    def as_trace(obj: object) -> Trace:
        if isinstance(obj, Proxy):
            return REFUND
        raise TypeError(f"not a trace: {obj!r}")

    stub = types.ModuleType("pytest_agenttrace._live")
    stub.as_trace = as_trace  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pytest_agenttrace._live", stub)
    assert_tool_called(Proxy(), "get_order")
    assert "order_id: expected 'A1043', got 'A1044'" in failure(
        assert_tool_called, Proxy(), "refund_order", args={"order_id": "A1043"}
    )
    with pytest.raises(TypeError, match="not a trace"):
        assert_tool_called(object(), "get_order")


def test_huge_trace_messages_stay_bounded() -> None:
    t = trace_of(*[("step", {"i": i}) for i in range(5000)])
    expected = [call("step", i=i) for i in range(5000)]
    expected[2500] = call("step", i=-1)
    text = failure(assert_tool_calls, t, expected)
    assert "first divergence at position 2501" in text
    assert "earlier row(s)" in text and "more row(s)" in text
    assert "more steps" in text  # the tree is cut too
    assert len(text.splitlines()) < 150


def test_brief_leaves_out_the_tree() -> None:
    with pytest.raises(AgentAssertionError) as info:
        assert_tool_not_called(REFUND, "get_order")
    assert "trace:" not in info.value.brief()
    assert info.value.summary == "tool 'get_order' was called 1 time, expected never"
    assert info.value.trace is REFUND
