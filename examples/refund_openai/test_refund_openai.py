"""Tests of the openai-SDK refund agent: capture, replay from cassettes, trajectory, budget, schema, async.

Every test replays the model and the tools from a committed cassette (recorded by `record.py` against a scripted
fake server); `--agenttrace` captures the spans the replayed run emits, and the assertions read them.
"""

from __future__ import annotations

import re

import pytest

from pytest_agenttrace import (
    AgentAssertionError,
    assert_cost_within,
    assert_max_llm_calls,
    assert_no_repeated_tool_calls,
    assert_output_schema,
    assert_tool_calls,
    assert_tool_not_called,
    call,
)

from . import agent
from .agent import SHOP, run_refund_agent, run_refund_agent_async
from .converted import test_wrong_order_refund as converted

REFUND_REQUEST = "Please refund my order A1043, the mug arrived broken."
LATE_REQUEST = "My lamp (order A1044) arrived two weeks late. Can I get my money back?"

#: What the agent must return, whatever the model said.
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
    # Capture: the replayed run's spans, normalized (3 openai-v2 chat spans, 2 tool spans, 1 agent span).
    assert agent_trace.agent_names == ["refund_agent"]
    assert agent_trace.tool_names == ["get_order", "refund_order"]
    assert [c.request_model for c in agent_trace.llm_calls] == ["gpt-4o-mini"] * 3
    # Tools and their arguments; a matcher per argument where exact values would be brittle.
    assert_tool_calls(
        agent_trace,
        [call("get_order", order_id="A1043"), call("refund_order", order_id="A1043", amount=pytest.approx(25.0))],
    )
    assert_no_repeated_tool_calls(agent_trace)
    assert_max_llm_calls(agent_trace, 3)
    assert_cost_within(agent_trace, 0.001)  # USD, priced by genai-prices from the recorded token counts
    assert_output_schema(agent_trace, RESULT_SCHEMA)  # the agent span's recorded output


@pytest.mark.agenttrace(
    cassette="cassettes/refund_a1043.yaml",
    # The same checks, declared: evaluated on the captured trace after the test body.
    max_cost_usd=0.001,
    max_llm_calls=3,
    max_tokens=2_000,
    tools=["get_order", "refund_order"],
    forbid_tools=["search_kb"],
    no_tool_errors=True,
    finish_reasons=["stop", "tool_calls"],
    output_schema=RESULT_SCHEMA,
)
def test_refund_within_budget(agent_trace, agent_cassette):
    run_refund_agent(REFUND_REQUEST)

    # Replayed, not run: the in-memory shop saw no refund (the cassette answered both tool calls).
    assert SHOP.refunds == []
    assert [c.source for c in agent_cassette.calls] == ["replayed", "replayed"]


@pytest.mark.asyncio
@pytest.mark.agenttrace(cassette="cassettes/refund_a1043.yaml")
async def test_async_agent_replays_the_same_cassette(agent_trace):
    # AsyncOpenAI sends the same requests as the sync client, so the same recording answers it.
    result = await run_refund_agent_async(REFUND_REQUEST)

    assert result["status"] == "refunded"
    assert_tool_calls(
        agent_trace,
        [call("get_order", order_id="A1043"), call("refund_order", order_id="A1043", amount=pytest.approx(25.0))],
    )
    assert_cost_within(agent_trace, 0.001)
    assert_output_schema(agent_trace, RESULT_SCHEMA)


@pytest.mark.agenttrace(max_cost_usd=0.001, output_schema=RESULT_SCHEMA)
def test_late_delivery_is_refused_by_policy(agent_trace, agent_cassette):
    # Cassette by convention: cassettes/test_refund_openai/test_late_delivery_is_refused_by_policy.yaml
    result = run_refund_agent(LATE_REQUEST)

    assert result == {"status": "refused", "order_id": "A1044", "refunded": 0.0}
    assert_tool_calls(
        agent_trace,
        [call("get_order", order_id="A1044"), call("search_kb", query=re.compile(r".*\blate\b.*"))],
        order="strict",
    )
    assert_tool_not_called(agent_trace, "refund_order")


@pytest.mark.agenttrace(cassette="converted/cassettes/test_wrong_order_refund/test_wrong_order_refund.yaml")
def test_converted_expectations_fail_without_the_fix(agent_trace, monkeypatch):
    """The converted incident (converted/) replayed against the agent as it was, without its refusal guard: the
    refund goes to A1044 again, and the expectations edited after conversion catch it."""
    monkeypatch.setattr(agent, "refusal_reason", lambda order_id, *, looked_up: None)
    result = run_refund_agent(converted.RECORDED_INPUT)

    assert result == {"status": "refunded", "order_id": "A1044", "refunded": 80.0}  # the incident, reproduced
    with pytest.raises(AgentAssertionError, match="expected 3 calls, got 2"):
        assert_tool_calls(agent_trace, converted.EXPECTED_TOOL_CALLS)
    with pytest.raises(AgentAssertionError, match="A1043"):
        assert_output_schema(agent_trace, converted.OUTPUT_SCHEMA)
