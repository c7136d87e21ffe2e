"""Tests of the LangGraph travel agent: capture, replay, tools and arguments, budget, schema, faults, incident.

The graph is sync (`app.invoke`); so are these tests. One test runs it live against the scripted fake LLM on
127.0.0.1 to show what OpenInference records; every other test replays the model and the tools from a committed
cassette (`record.py` wrote them) with every socket refused.
"""

from __future__ import annotations

import re

import pytest

from pytest_agenttrace import (
    AgentAssertionError,
    ToolOverride,
    assert_cost_within,
    assert_max_llm_calls,
    assert_no_repeated_tool_calls,
    assert_no_tool_errors,
    assert_output_schema,
    assert_tool_calls,
    assert_tool_not_called,
    call,
)

from .agent import TripPlan, plan_trip
from .record import FARO, HAPPY, LISBON

LISBON_PLAN = TripPlan.model_validate(
    {
        "origin": "BER",
        "destination": "LIS",
        "flight": {"number": "TP 537", "departs": "09:40", "price_eur": 129.0},
        "weather": {"conditions": "sunny", "temp_c": 24.0},
        "summary": "TP 537 leaves Berlin at 09:40 for 129 EUR; Lisbon will be sunny, 24 C.",
    }
)
IATA = {"type": "string", "pattern": "^[A-Z]{3}$"}
#: What every plan must look like (the final message's JSON, as the trace recorded it).
PLAN_SCHEMA = {
    "type": "object",
    "required": ["origin", "destination", "flight", "weather", "summary"],
    "additionalProperties": False,
    "properties": {
        "origin": IATA,
        "destination": IATA,
        "flight": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["number", "departs", "price_eur"],
                    "properties": {
                        "departs": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                        "price_eur": {"type": "number", "exclusiveMinimum": 0},
                    },
                },
            ]
        },
        "weather": {"type": ["object", "null"]},
        "summary": {"type": "string", "minLength": 10},
    },
}
NO_FLIGHTS = {"origin": "BER", "destination": "LIS", "flights": []}


def test_capture_a_live_run(agent_trace, fake_llm):
    """Capture: the graph talks to a scripted server over real HTTP; OpenInference's spans become the trace."""
    server = fake_llm(HAPPY)

    plan = plan_trip(LISBON, base_url=server.base_url)

    assert plan == LISBON_PLAN
    assert len(server.requests) == 3
    assert agent_trace.agent_names == ["travel_agent"]
    assert agent_trace.tool_names == ["search_flights", "get_weather"]
    calls = agent_trace.llm_calls
    assert [(c.request_model, c.response_model) for c in calls] == [("gpt-4o-mini", "gpt-4o-mini-2024-07-18")] * 3
    assert [c.finish_reasons for c in calls] == [("tool_calls",), ("tool_calls",), ("stop",)]
    assert calls[0].input_messages[0].role == "system"
    # OpenInference: every span is INTERNAL; what it is lives in openinference.span.kind.
    kinds = [r.attributes.get("openinference.span.kind") for r in agent_trace.records]
    assert (kinds.count("AGENT"), kinds.count("LLM"), kinds.count("TOOL")) == (1, 3, 2)
    assert {r.kind for r in agent_trace.records} == {"INTERNAL"}
    # The tools ran for real; the final output is the last message's JSON.
    assert agent_trace.tool_calls[1].result == {"city": "Lisbon", "conditions": "sunny", "temp_c": 24.0}
    assert agent_trace.final_output == LISBON_PLAN.model_dump()


@pytest.mark.agenttrace(cassette="cassettes/lisbon.yaml")
def test_replay_from_the_cassette(agent_trace, agent_cassette, no_sockets):
    """Replay: the model's answers and both tools come from the cassette; no socket is opened."""
    plan = plan_trip(LISBON)

    assert plan == LISBON_PLAN
    sources = [(c.name, c.source) for c in agent_cassette.calls]
    assert sources == [("search_flights", "replayed"), ("get_weather", "replayed")]
    assert agent_trace.tool_names == ["search_flights", "get_weather"]
    assert_max_llm_calls(agent_trace, 3)


@pytest.mark.agenttrace(cassette="cassettes/lisbon.yaml")
def test_flights_and_weather_for_the_requested_destination(agent_trace, no_sockets):
    """Tools and arguments: the search uses the requested airports, the weather is asked for the destination."""
    plan_trip(LISBON)

    assert_tool_calls(
        agent_trace,
        [call("search_flights", origin="BER", destination="LIS"), call("get_weather", city=re.compile("(?i)^lisbon$"))],
        order="strict",
        args="exact",
    )
    assert_output_schema(
        agent_trace,
        {"type": "object", "required": ["origin", "destination"], "properties": {"origin": IATA, "destination": IATA}},
        tool="search_flights",
        part="arguments",
    )
    assert_no_repeated_tool_calls(agent_trace)
    assert_no_tool_errors(agent_trace)


@pytest.mark.agenttrace(cassette="cassettes/lisbon.yaml")
def test_cost_and_schema(agent_trace, no_sockets):
    """Cost budget (genai-prices, gpt-4o-mini) and the plan's schema, read from the trace's final output."""
    plan = plan_trip(LISBON)

    assert_cost_within(agent_trace, 0.0006)  # USD; this run costs about $0.0003
    assert_output_schema(agent_trace, PLAN_SCHEMA)  # the graph's last message, parsed
    assert_output_schema(plan, PLAN_SCHEMA)  # the returned value


@pytest.mark.agenttrace(
    cassette="cassettes/lisbon.yaml",
    # The same checks, declared: evaluated on the captured trace after the test body.
    max_cost_usd=0.0006,
    max_llm_calls=3,
    max_tokens=2_000,
    max_repeats=1,
    tools=["search_flights", "get_weather"],
    no_tool_errors=True,
    finish_reasons=["stop", "tool_calls"],
    output_schema=PLAN_SCHEMA,
)
def test_declared_budget(no_sockets):
    plan_trip(LISBON)


@pytest.mark.agenttrace(
    cassette="cassettes/lisbon.yaml",
    tool_overrides=[ToolOverride(step=1, name="search_flights", result=NO_FLIGHTS)],
)
def test_no_flights_ends_the_run_with_a_plan_that_says_so(agent_trace, no_sockets):
    """Fault injection on the happy cassette: the search finds nothing, so the graph answers without asking
    the model again."""
    plan = plan_trip(LISBON)

    assert (plan.destination, plan.flight) == ("LIS", None)
    assert_max_llm_calls(agent_trace, 1)
    assert_tool_calls(agent_trace, [call("search_flights", origin="BER", destination="LIS")])
    assert_tool_not_called(agent_trace, "get_weather")
    assert_output_schema(agent_trace, PLAN_SCHEMA)


@pytest.mark.agenttrace(cassette="converted/cassettes/test_search_loop/test_search_loop.yaml")
def test_the_converted_expectations_fail_without_the_fix(agent_trace, no_sockets):
    """The converted incident (converted/) replayed against the graph as it was: it loops again, and the
    expectations edited after conversion catch it."""
    plan = plan_trip(FARO, stop_on_empty_search=False)

    assert plan.flight is None
    assert_tool_calls(agent_trace, [call("search_flights", origin="BER", destination="FAO")] * 3)  # reproduced
    with pytest.raises(AgentAssertionError, match="expected 1 call"):
        assert_tool_calls(agent_trace, [call("search_flights", origin="BER", destination="FAO")])
    with pytest.raises(AgentAssertionError, match="search_flights x3"):
        assert_no_repeated_tool_calls(agent_trace)
