"""Tool and LLM errors, finish reasons and made-up tool results, on hand-built traces."""

from __future__ import annotations

import pytest

from pytest_agenttrace import LLMCall, Message, TextPart, ToolCall, ToolCallPart, ToolResultPart, Trace
from pytest_agenttrace.assertions import (
    AgentAssertionError,
    assert_finish_reasons,
    assert_no_hallucinated_tool_results,
    assert_no_llm_errors,
    assert_no_tool_errors,
)


def make(*, llm_calls=(), tool_calls=()) -> Trace:
    return Trace(records=(), roots=(), nodes={}, llm_calls=llm_calls, tool_calls=tool_calls)


def failure(fn, *args, **kwargs) -> AgentAssertionError:
    with pytest.raises(AgentAssertionError) as info:
        fn(*args, **kwargs)
    return info.value


def test_tool_errors_by_error_text_or_status() -> None:
    ok = ToolCall(name="get_order", arguments={"order_id": "A1"}, status="ok")
    raised = ToolCall(name="check_warehouse", arguments={"sku": "MUG-01"}, error="ToolFailure: timed out", agent="inv")
    status_only = ToolCall(name="ping", status="error")
    assert_no_tool_errors(make(tool_calls=[ok]))
    err = failure(assert_no_tool_errors, make(tool_calls=[ok, raised, status_only]))
    assert err.summary == "2 tool calls failed ('check_warehouse', 'ping') out of 3"
    text = err.brief()
    assert "#2 check_warehouse(sku='MUG-01') !error (agent 'inv'): ToolFailure: timed out" in text
    assert "#3 ping() !error: status ERROR" in text


def test_llm_errors() -> None:
    good = LLMCall(span_id="1", request_model="gpt-4o-mini")
    bad = LLMCall(span_id="2", request_model="gpt-4o-mini", error="RateLimitError: 429")
    assert_no_llm_errors(make(llm_calls=[good]))
    err = failure(assert_no_llm_errors, make(llm_calls=[good, bad]))
    assert err.summary == "1 LLM call failed out of 2"
    assert "#2 gpt-4o-mini: RateLimitError: 429" in err.brief()


def call_with(*reasons: str, sid: str = "x") -> LLMCall:
    return LLMCall(span_id=sid, request_model="gpt-4o-mini", finish_reasons=reasons)


def test_finish_reason_length_is_caught() -> None:
    t = make(llm_calls=[call_with("tool_calls", sid="1"), call_with("length", sid="2")])
    err = failure(assert_finish_reasons, t)
    assert err.summary == "LLM call #2 (the last LLM call) finished with 'length', allowed: ['stop', 'tool_calls']"
    assert "truncated at the token limit" in err.brief()
    assert_finish_reasons(t, allowed={"tool_calls", "length"})


def test_finish_reasons_compare_in_canonical_spelling() -> None:
    t = make(llm_calls=[call_with("end_turn"), call_with("tool_use"), call_with("STOP")])
    assert_finish_reasons(t)  # end_turn is stop, tool_use is tool_calls
    err = failure(assert_finish_reasons, make(llm_calls=[call_with("SAFETY")]), allowed=["end_turn"])
    assert "'content_filter'" in err.summary and "content filter" in err.brief()
    with pytest.raises(TypeError, match="collection of reasons"):
        assert_finish_reasons(t, allowed="stop")


def test_calls_without_a_finish_reason_are_not_checked() -> None:
    assert_finish_reasons(make(llm_calls=[call_with()]))


def conversation(result_id: str) -> list[LLMCall]:
    first = LLMCall(
        span_id="1",
        output_messages=(Message(role="assistant", parts=(ToolCallPart(id="call_1", name="get_order"),)),),
    )
    second = LLMCall(
        span_id="2",
        input_messages=(
            Message(role="user", parts=(TextPart(content="refund A1"),)),
            Message(role="assistant", parts=(ToolCallPart(id="call_1", name="get_order"),)),
            Message(role="tool", parts=(ToolResultPart(id=result_id, result={"ok": True}, name="get_order"),)),
        ),
    )
    return [first, second]


def test_tool_result_for_a_call_that_ran_is_fine() -> None:
    span = ToolCall(name="get_order", call_id="call_1", source="span+messages", span_id="t1")
    assert_no_hallucinated_tool_results(make(llm_calls=conversation("call_1"), tool_calls=[span]))


def test_tool_result_for_a_call_that_never_ran_is_caught() -> None:
    span = ToolCall(name="get_order", call_id="call_1", source="span+messages", span_id="t1")
    err = failure(assert_no_hallucinated_tool_results, make(llm_calls=conversation("call_fake"), tool_calls=[span]))
    assert err.summary == "1 tool result for call ids that never ran; first: 'call_fake' in the input of LLM call #2"
    assert "tool call ids that ran: call_1 (get_order)" in err.brief()


def test_requested_but_never_executed_is_caught_when_tools_have_spans() -> None:
    other = ToolCall(name="search", call_id="call_9", source="span", span_id="t9")
    failure(assert_no_hallucinated_tool_results, make(llm_calls=conversation("call_1"), tool_calls=[other]))


def test_messages_only_trace_accepts_ids_the_model_asked_for() -> None:
    assert_no_hallucinated_tool_results(make(llm_calls=conversation("call_1")))
    failure(assert_no_hallucinated_tool_results, make(llm_calls=conversation("call_2")))


def test_tool_span_without_call_id_covers_requests_for_that_tool() -> None:
    idless = ToolCall(name="get_order", call_id=None, source="span", span_id="t1")
    assert_no_hallucinated_tool_results(make(llm_calls=conversation("call_1"), tool_calls=[idless]))
