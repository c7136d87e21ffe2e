"""assertrepr_compare: trajectories side by side for `==` on traces and tool-call lists; None for anything else."""

from __future__ import annotations

import pytest

from pytest_agenttrace import ToolCall, Trace
from pytest_agenttrace.assertions import call
from pytest_agenttrace.assertions._repr import assertrepr_compare


def trace_of(*names: str) -> Trace:
    calls = [ToolCall(name=n, arguments={"i": k}, start_ns=k + 1) for k, n in enumerate(names)]
    return Trace(records=(), roots=(), nodes={}, tool_calls=calls)


def test_unrelated_comparisons_are_left_to_pytest() -> None:
    assert assertrepr_compare("==", [1, 2], [1, 3]) is None
    assert assertrepr_compare("==", ["a"], ["b"]) is None  # plain string lists are not hijacked
    assert assertrepr_compare("!=", trace_of("a"), ["a"]) is None
    assert assertrepr_compare("==", trace_of("a"), 3) is None


def test_tool_call_list_against_expected_calls() -> None:
    t = trace_of("get_order", "refund_order")
    lines = assertrepr_compare("==", list(t.tool_calls), [call("get_order", i=0), call("refund_order", i=5)])
    assert lines is not None
    assert lines[0] == "tool trajectories differ at position 2"
    assert lines[1].split() == ["actual", "(left)", "expected", "(right)"]
    marked = [ln for ln in lines if ln.startswith("  > ")]
    assert marked == ["  > 2. refund_order(i=1)  2. refund_order(i=5)"]


def test_tuple_against_list_explains_why_it_is_never_equal() -> None:
    t = trace_of("a")
    lines = assertrepr_compare("==", t.tool_calls, [call("a", i=0)])
    assert lines is not None
    assert lines[0] == "tool trajectories hold equal items but the containers differ"
    assert "a tuple never equals a list" in lines[1]


def test_trace_against_a_list_of_names() -> None:
    t = trace_of("get_order", "refund_order")
    lines = assertrepr_compare("==", ["get_order"], t)
    assert lines is not None
    assert lines[0] == "tool trajectories differ in length: 2 actual vs 1 expected"
    assert "a Trace never equals a list" in lines[1]
    assert lines[2].split() == ["expected", "(left)", "actual", "(right)"]


def test_tool_call_against_a_name_hints_at_tool_names() -> None:
    lines = assertrepr_compare("==", list(trace_of("a").tool_calls), ["a"])
    assert lines is not None and any("compare agent_trace.tool_names" in ln for ln in lines)


def test_two_traces_side_by_side() -> None:
    lines = assertrepr_compare("==", trace_of("a", "b"), trace_of("a", "c"))
    assert lines is not None
    assert lines[0] == "traces differ at step 2 (2 vs 2 steps)"
    assert any(ln.startswith("  > tool b(i=1)") and "tool c(i=1)" in ln for ln in lines)


def test_tool_names_type_is_recognised_when_the_model_defines_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_agenttrace import _model

    class ToolNames(list):
        pass

    monkeypatch.setattr(_model, "ToolNames", ToolNames, raising=False)
    lines = assertrepr_compare("==", ToolNames(["get_order", "refund_order"]), ["get_order", "cancel_order"])
    assert lines is not None
    assert lines[0] == "tool trajectories differ at position 2"
    assert any(ln.startswith("  > 2. refund_order") and ln.endswith("2. cancel_order") for ln in lines)


def test_reads_well_in_a_real_pytest_failure(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest(
        """
        from pytest_agenttrace.assertions._repr import assertrepr_compare

        def pytest_assertrepr_compare(config, op, left, right):
            return assertrepr_compare(op, left, right)
        """
    )
    pytester.makepyfile(
        """
        from pytest_agenttrace import ToolCall, Trace
        from pytest_agenttrace.assertions import call

        def test_refund():
            t = Trace(records=(), roots=(), nodes={}, tool_calls=[
                ToolCall(name="get_order", arguments={"order_id": "A1043"}),
                ToolCall(name="refund_order", arguments={"order_id": "A1044"}),
            ])
            assert list(t.tool_calls) == [call("get_order", order_id="A1043"), call("refund_order", order_id="A1043")]
        """
    )
    result = pytester.runpytest("-p", "no:agenttrace", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*tool trajectories differ at position 2*",
            "*> 2. refund_order(order_id='A1044')*2. refund_order(order_id='A1043')*",
        ]
    )
