"""Loop, cost, token and latency assertions on hand-built traces."""

from __future__ import annotations

import pytest

from pytest_agenttrace import AgentRun, LLMCall, SpanRecord, ToolCall, Trace
from pytest_agenttrace.assertions import (
    AgentAssertionError,
    assert_cost_within,
    assert_latency_within,
    assert_max_agent_depth,
    assert_max_llm_calls,
    assert_max_tool_calls,
    assert_no_delegation_cycles,
    assert_no_repeated_tool_calls,
    assert_tokens_within,
)

S = 1_000_000_000  # ns per second


def llm(i: int, *, model: str = "gpt-4o-mini", tin: int = 1000, tout: int = 100, secs: float = 1.0, **kw) -> LLMCall:
    start = (10 + i * 10) * S
    return LLMCall(
        span_id=f"l{i}",
        provider="openai",
        request_model=model,
        input_tokens=tin,
        output_tokens=tout,
        start_ns=start,
        end_ns=start + int(secs * S),
        **kw,
    )


def tool(name: str, i: int = 0, secs: float = 0.1, **arguments) -> ToolCall:
    start = (15 + i * 10) * S
    return ToolCall(name=name, arguments=arguments, span_id=f"t{i}", start_ns=start, end_ns=start + int(secs * S))


def make(*, llm_calls=(), tool_calls=(), agents=(), records=()) -> Trace:
    return Trace(records=records, roots=(), nodes={}, llm_calls=llm_calls, tool_calls=tool_calls, agents=agents)


def failure(fn, *args, **kwargs) -> AgentAssertionError:
    with pytest.raises(AgentAssertionError) as info:
        fn(*args, **kwargs)
    return info.value


# ------------------------------------------------------------------------------------------------------ loops


def test_max_llm_calls() -> None:
    t = make(llm_calls=[llm(0), llm(1), llm(2)])
    assert_max_llm_calls(t, 3)
    err = failure(assert_max_llm_calls, t, 2)
    assert err.summary == "3 LLM calls, expected at most 2"
    assert "  3. llm chat gpt-4o-mini (openai) in=1000 out=100" in err.brief()


def test_max_tool_calls_overall_and_by_name() -> None:
    t = make(tool_calls=[tool("a", 0), tool("b", 1), tool("a", 2)])
    assert_max_tool_calls(t, 3)
    assert_max_tool_calls(t, 1, name="b")
    err = failure(assert_max_tool_calls, t, 1, name="a")
    assert err.summary == "2 calls to 'a', expected at most 1"
    assert "by tool: a x2" in err.brief()
    with pytest.raises(ValueError, match="non-negative int"):
        assert_max_tool_calls(t, -1)


def test_repeated_calls_same_name_and_arguments_anywhere() -> None:
    t = make(tool_calls=[tool("search", i, q="x") for i in range(4)] + [tool("search", 5, q="y")])
    err = failure(assert_no_repeated_tool_calls, t)
    assert err.summary == "tool calls repeated with the same arguments: search x4 (max_repeats=1)"
    assert "search(q='x') called 4 times at #1, #2, #3, #4" in err.brief()
    assert_no_repeated_tool_calls(t, max_repeats=4)
    failure(assert_no_repeated_tool_calls, t, max_repeats=3)


def test_repeats_compare_arguments_by_value_not_key_order() -> None:
    a = ToolCall(name="f", arguments={"x": 1, "y": 2})
    b = ToolCall(name="f", arguments='{"y": 2, "x": 1}')  # JSON string, other key order
    failure(assert_no_repeated_tool_calls, make(tool_calls=[a, b]))
    assert_no_repeated_tool_calls(make(tool_calls=[a, ToolCall(name="f", arguments={"x": 1, "y": 3})]))


def agent(name: str, sid: str, parent: AgentRun | None = None, *, parent_name: str | None = None) -> AgentRun:
    return AgentRun(
        name=name,
        span_id=sid,
        parent_span_id=parent.span_id if parent else None,
        parent_agent=parent.name if parent else parent_name,
        depth=(parent.depth + 1) if parent else 0,
    )


def test_delegation_cycle_a_b_a() -> None:
    a = agent("planner", "s1")
    b = agent("researcher", "s2", a)
    a2 = agent("planner", "s3", b)
    err = failure(assert_no_delegation_cycles, make(agents=[a, b, a2]))
    assert err.summary == "delegation cycle(s) between agents: planner -> researcher -> planner"
    assert_no_delegation_cycles(make(agents=[a, b, agent("writer", "s4", a)]))  # siblings are fine


def test_delegation_cycle_through_a_parent_known_only_by_name() -> None:
    b = agent("researcher", "s2", parent_name="planner")
    c = agent("planner", "s3", b)
    err = failure(assert_no_delegation_cycles, make(agents=[b, c]))
    assert "planner -> researcher -> planner" in err.summary


def test_max_agent_depth() -> None:
    a = agent("lead", "s1")
    b = agent("inventory", "s2", a)
    c = agent("warehouse", "s3", b)
    assert_max_agent_depth(make(agents=[a, b, c]), 3)
    err = failure(assert_max_agent_depth, make(agents=[a, b, c]), 2)
    assert err.summary == "agent delegation depth 3 exceeds the maximum 2"
    assert "lead -> inventory -> warehouse" in err.brief()


# ------------------------------------------------------------------------------------------ cost and tokens


def test_cost_within_lists_the_expensive_calls() -> None:
    t = make(llm_calls=[llm(0, tin=1000, tout=200), llm(1, recorded_cost_usd=0.05)])
    assert_cost_within(t, 0.06)
    err = failure(assert_cost_within, t, 0.01)
    assert err.summary.startswith("cost $0.0503 exceeds $0.01 (2 LLM calls)")
    lines = err.brief().splitlines()
    assert lines[1].startswith("  #2 gpt-4o-mini") and lines[1].endswith("$0.050000 (recorded)")
    assert lines[2].endswith("(genai-prices)")


def test_cost_uses_overrides_passed_in() -> None:
    t = make(llm_calls=[llm(0, model="my-ft", tin=1_000_000, tout=0)])
    assert_cost_within(t, 1.0, prices={"my-ft": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}})
    err = failure(assert_cost_within, t, 0.5, prices={"my-ft": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}})
    assert "(override)" in err.brief()


def test_tokens_within() -> None:
    t = make(llm_calls=[llm(0, tin=100, tout=10), llm(1, tin=300, tout=30)])
    assert_tokens_within(t, input=400, output=40, total=440)
    err = failure(assert_tokens_within, t, input=399, total=500)
    assert err.summary == "token budget exceeded: input tokens 400 > 399 (2 LLM calls)"
    assert err.brief().splitlines()[1].startswith("  #2 llm chat gpt-4o-mini")
    with pytest.raises(TypeError, match="at least one"):
        assert_tokens_within(t)


# --------------------------------------------------------------------------------------------------- latency


def record(sid: str, start: float, end: float) -> SpanRecord:
    return SpanRecord(trace_id="a" * 32, span_id=sid * 16, name="x", start_ns=int(start * S), end_ns=int(end * S))


def test_latency_of_the_whole_trace_from_spans() -> None:
    t = make(records=[record("a", 100, 112.5), record("b", 101, 102)], llm_calls=[llm(0, secs=3)])
    assert_latency_within(t, 12.5)
    err = failure(assert_latency_within, t, 10)
    assert err.summary == "latency budget exceeded: the trace took 12.500 s, over 10 s"
    assert "slowest steps:" in err.brief() and "3.000 s: llm chat" in err.brief()


def test_latency_per_call() -> None:
    t = make(llm_calls=[llm(0, secs=0.5), llm(1, secs=4)], tool_calls=[tool("slow", 0, secs=2.0)])
    assert_latency_within(t, llm_call=4, tool_call=2)
    err = failure(assert_latency_within, t, llm_call=1, tool_call=1)
    assert err.summary == "latency budget exceeded: 1 LLM call over 1 s; 1 tool call over 1 s"
    assert "LLM #2 4.000 s" in err.brief() and "tool #1 2.000 s: slow()" in err.brief()
