"""Tests of the multi-agent orchestrator: spans from a thread, an asyncio task and a "remote" sub-agent are all this
test's; per-agent assertions, delegation checks, budget, schema, and a fault injected into a sub-agent's tool.
"""

from __future__ import annotations

import pytest

from pytest_agenttrace import (
    AgentAssertionError,
    ToolOverride,
    assert_cost_within,
    assert_finish_reasons,
    assert_max_agent_depth,
    assert_max_llm_calls,
    assert_no_delegation_cycles,
    assert_output_schema,
    assert_tool_calls,
    assert_tool_not_called,
    call,
)

from . import agent
from .agent import run_support_orchestrator
from .converted import test_truncated_replacement_answer as converted

TICKET = "My mug (order A1043) arrived broken. Where is my refund?"
REPLACEMENT_TICKET = "Please replace my mug from order A1043, the handle came off."
ANSWER_SCHEMA = {
    "type": "object",
    "required": ["status", "answer", "agents", "problems"],
    "properties": {
        "status": {"enum": ["answered", "needs_review"]},
        "answer": {"type": ["string", "null"]},
        "agents": {"type": "array", "items": {"type": "string", "pattern": "_agent$"}},
        "problems": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}


@pytest.mark.agenttrace(cassette="cassettes/full_ticket.yaml")
def test_sub_agents_in_every_context_are_traced(agent_trace):
    result = run_support_orchestrator(TICKET)

    assert result["status"] == "answered"
    assert result["agents"] == ["billing_agent", "research_agent", "shipping_agent"]
    # Attribution: the thread's, the asyncio task's and the remote service's spans are all in this test's trace,
    # in one trace id (the carrier's traceparent joined the remote side to it).
    assert len(agent_trace.trace_ids) == 1
    assert {a.name: a.parent_agent for a in agent_trace.agents} == {
        "orchestrator": None,
        "billing_agent": "orchestrator",  # threading.Thread + contextvars.copy_context()
        "research_agent": "orchestrator",  # asyncio task, AsyncOpenAI, async tool
        "shipping_agent": "orchestrator",  # propagate.inject -> dict carrier -> propagate.extract
    }
    assert_no_delegation_cycles(agent_trace)
    assert_max_agent_depth(agent_trace, 2)  # orchestrator -> one level of specialists
    # Per agent: each specialist made two model calls around its one tool, on the small model.
    for name, tool, arguments in [
        ("billing_agent", "get_order", {"order_id": "A1043"}),
        ("research_agent", "search_kb", {"query": "broken item refund policy"}),
        ("shipping_agent", "track_shipment", {"order_id": "A1043"}),
    ]:
        steps = agent_trace.for_agent(name)
        assert [s.kind for s in steps] == ["llm", "tool", "llm"], name
        assert steps[0].request_model == "gpt-4.1-nano"
        assert (steps[1].name, steps[1].arguments) == (tool, arguments)
    assert [s.kind for s in agent_trace.for_agent("orchestrator")] == ["llm", "tool", "llm"]
    assert_tool_calls(
        agent_trace,
        [
            call("classify_ticket", text=TICKET),
            call("get_order", order_id="A1043"),
            call("search_kb", query="broken item refund policy"),
            call("track_shipment", order_id="A1043"),
        ],
    )
    assert_max_llm_calls(agent_trace, 8)
    assert_cost_within(agent_trace, 0.001)  # two models, each priced by genai-prices
    assert_output_schema(agent_trace, ANSWER_SCHEMA)


@pytest.mark.agenttrace(
    cassette="cassettes/full_ticket.yaml",
    max_cost_usd=0.001,
    max_llm_calls=8,
    max_repeats=1,
    no_tool_errors=True,
    finish_reasons=["stop", "tool_calls"],
    forbid_tools=["check_warehouse"],
    output_schema=ANSWER_SCHEMA,
)
def test_full_ticket_within_budget(agent_trace):
    run_support_orchestrator(TICKET)


@pytest.mark.agenttrace(cassette="cassettes/replacement.yaml", output_schema=ANSWER_SCHEMA)
def test_replacement_checks_the_warehouse(agent_trace):
    result = run_support_orchestrator(REPLACEMENT_TICKET)

    assert result["status"] == "answered"
    assert_tool_calls(
        agent_trace, [call("classify_ticket", text=REPLACEMENT_TICKET), call("check_warehouse", sku="MUG-01")]
    )
    assert [a.name for a in agent_trace.agents] == ["orchestrator", "inventory_agent"]


@pytest.mark.agenttrace(
    # The same recording, with the warehouse API timing out: the inventory agent stops, and the orchestrator
    # escalates instead of answering (no model call is made after the failure, so the recording still answers).
    cassette="cassettes/replacement.yaml",
    tool_overrides=[ToolOverride(name="check_warehouse", timeout=True)],
    output_schema=ANSWER_SCHEMA,
)
def test_warehouse_outage_is_escalated(agent_trace):
    result = run_support_orchestrator(REPLACEMENT_TICKET)

    assert result["status"] == "needs_review"
    assert result["problems"] == [
        "inventory_agent: check_warehouse unavailable (TimeoutError: tool 'check_warehouse' timed out "
        "(simulated: ToolOverride('check_warehouse')))"
    ]
    assert [s.kind for s in agent_trace.for_agent("inventory_agent")] == ["llm", "tool"]
    assert agent_trace.first(kind="tool", name="check_warehouse").error is not None
    assert_max_llm_calls(agent_trace, 2)
    assert_tool_not_called(agent_trace, "get_order")


@pytest.mark.agenttrace(
    cassette="converted/cassettes/test_truncated_replacement_answer/test_truncated_replacement_answer.yaml"
)
def test_converted_expectations_fail_without_the_fix(agent_trace, monkeypatch):
    """The converted incident (converted/) replayed against the orchestrator as it was: the customer gets half a
    sentence again, and the expectations edited after conversion catch it."""
    monkeypatch.setattr(agent, "stops_sub_agent", lambda exc: False)
    monkeypatch.setattr(agent, "usable", lambda report: True)
    result = run_support_orchestrator(converted.RECORDED_INPUT)

    assert result["status"] == "answered"  # the incident, reproduced: a truncated answer
    assert result["answer"].endswith("so I cannot confirm whether")
    with pytest.raises(AgentAssertionError, match="length"):
        assert_finish_reasons(agent_trace, allowed={"stop", "tool_calls"})
    with pytest.raises(AgentAssertionError, match="needs_review"):
        assert_output_schema(agent_trace, converted.OUTPUT_SCHEMA)
