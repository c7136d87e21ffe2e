"""Tests of the anthropic-SDK refund agent: capture of the SDK's own spans, replay, trajectory, budget, schema,
and a tool fault injected with `ToolOverride`.
"""

from __future__ import annotations

import pytest

from pytest_agenttrace import (
    AgentAssertionError,
    ToolOverride,
    assert_cost_within,
    assert_finish_reasons,
    assert_max_llm_calls,
    assert_no_tool_errors,
    assert_output_schema,
    assert_tool_calls,
    assert_tool_not_called,
    call,
)

from . import agent
from .agent import REFUNDS, run_refund_agent
from .converted import test_refund_status_loop as converted

REFUND_REQUEST = "Please refund my order A1043, the mug arrived broken."
RESULT_SCHEMA = {
    "type": "object",
    "required": ["status", "order_id", "refunded"],
    "properties": {
        "status": {"enum": ["refunded", "refused", "needs_review"]},
        "order_id": {"type": ["string", "null"], "pattern": "^A[0-9]{4}$"},
        "refunded": {"type": "number", "minimum": 0},
    },
    "additionalProperties": False,
}


@pytest.mark.agenttrace(cassette="cassettes/refund_a1043.yaml")
def test_refund_looks_the_order_up_then_refunds_it(agent_trace):
    result = run_refund_agent(REFUND_REQUEST)

    assert result == {"status": "refunded", "order_id": "A1043", "refunded": 25.0}
    # Capture: the SDK's own `anthropic.messages.create` spans, read as LLM calls (no instrumentor installed).
    assert [(c.provider, c.request_model) for c in agent_trace.llm_calls] == [("anthropic", "claude-haiku-4-5")] * 3
    # Anthropic's stop reasons, canonical: tool_use -> tool_calls, end_turn -> stop.
    assert [c.finish_reasons for c in agent_trace.llm_calls] == [("tool_calls",), ("tool_calls",), ("stop",)]
    # Prompt caching: the first call wrote the cache, the next ones read it (priced at the cache rates).
    assert [c.cache_read_tokens or 0 for c in agent_trace.llm_calls] == [0, 1536, 1536]
    assert_tool_calls(
        agent_trace,
        [call("get_order", order_id="A1043"), call("refund_order", order_id="A1043", amount=pytest.approx(25.0))],
    )
    assert_cost_within(agent_trace, 0.01)
    assert_output_schema(agent_trace, RESULT_SCHEMA)


@pytest.mark.agenttrace(
    cassette="cassettes/refund_a1043.yaml",
    max_cost_usd=0.01,
    max_llm_calls=3,
    max_repeats=1,
    tools=["get_order", "refund_order"],
    no_tool_errors=True,
    finish_reasons=["stop", "tool_calls"],
    output_schema=RESULT_SCHEMA,
)
def test_refund_within_budget(agent_trace, agent_cassette):
    run_refund_agent(REFUND_REQUEST)

    assert REFUNDS == []  # the cassette answered refund_order: nothing was refunded for real
    assert [c.source for c in agent_cassette.calls] == ["replayed", "replayed"]


@pytest.mark.agenttrace(
    # Recorded with the same fault (record.py): the model saw the timeout and answered accordingly.
    tool_overrides=[ToolOverride(name="get_order", timeout=True)],
    max_cost_usd=0.01,
    output_schema=RESULT_SCHEMA,
)
def test_order_lookup_timeout_is_not_refunded(agent_trace, agent_cassette):
    result = run_refund_agent(REFUND_REQUEST)

    assert result["status"] == "needs_review"
    assert_tool_calls(agent_trace, [call("get_order", order_id="A1043")])
    assert_tool_not_called(agent_trace, "refund_order")
    assert_finish_reasons(agent_trace, allowed=["stop", "tool_calls"])
    with pytest.raises(AgentAssertionError, match="TimeoutError"):
        assert_no_tool_errors(agent_trace)  # the injected fault is in the trace, as a failed tool call


@pytest.mark.agenttrace(cassette="converted/cassettes/test_refund_status_loop/test_refund_status_loop.yaml")
def test_converted_expectations_fail_without_the_fix(agent_trace, monkeypatch):
    """The converted incident (converted/) replayed against the agent as it was, without the cap on repeated
    calls: it searches four times again, and the expectations edited after conversion catch it."""
    monkeypatch.setattr(agent, "MAX_SAME_CALL", agent.MAX_TURNS)
    run_refund_agent(converted.RECORDED_INPUT)

    assert_tool_calls(agent_trace, [call("search_kb", query="refund status A1043")] * 4)  # the incident, reproduced
    with pytest.raises(AgentAssertionError, match="expected 2 calls, got 4"):
        assert_tool_calls(agent_trace, converted.EXPECTED_TOOL_CALLS)
    with pytest.raises(AgentAssertionError, match="5 LLM calls"):
        assert_max_llm_calls(agent_trace, 2)
