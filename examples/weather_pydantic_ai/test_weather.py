"""Tests of the pydantic-ai weather agent: capture, replay, tools and arguments, budget, schema, faults, incident.

The agent is async; so are most tests (pytest-asyncio, `@pytest.mark.asyncio`). One test runs it live against the
scripted fake LLM on 127.0.0.1 to show what the instrumentation records; every other test replays the model and the
services from a committed cassette (`record.py` wrote them) with every socket refused.
"""

from __future__ import annotations

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
    call,
)

from .agent import WeatherDeps, WeatherReport, answer
from .record import HAPPY, LONDON, OUTAGE, TYPO

pytestmark = pytest.mark.asyncio

SUNNY_LONDON = WeatherReport(city="London", temperature_c=21.0, conditions="sunny", summary="Sunny in London, 21 C.")

#: What every answer must look like, stricter than the pydantic model the model is given.
REPORT_SCHEMA = {
    "type": "object",
    "required": ["city", "temperature_c", "conditions", "summary"],
    "additionalProperties": False,
    "properties": {
        "city": {"type": "string", "pattern": "^[A-Z][a-z]+"},
        "temperature_c": {"type": ["number", "null"], "minimum": -90, "maximum": 60},
        "conditions": {"type": "string", "minLength": 1},
        "summary": {"type": "string", "minLength": 10},
    },
}
#: A position on Earth: the arguments get_weather must receive.
POSITION_SCHEMA = {
    "type": "object",
    "required": ["lat", "lng"],
    "properties": {"lat": {"minimum": -90, "maximum": 90}, "lng": {"minimum": -180, "maximum": 180}},
}
OUTAGE_RESULT = {"status": 503, "error": "geocoding service unavailable, try again later"}


async def test_capture_a_live_run(agent_trace, fake_llm):
    """Capture: the agent talks to a scripted server over real HTTP; its pydantic-ai spans become the trace."""
    server = fake_llm(HAPPY)

    report = await answer(LONDON, base_url=server.base_url)

    assert report == SUNNY_LONDON
    assert len(server.requests) == 3
    assert agent_trace.agent_names == ["weather_agent"]
    assert agent_trace.tool_names == ["geocode", "get_weather"]
    calls = agent_trace.llm_calls
    assert [(c.request_model, c.response_model) for c in calls] == [("gpt-4o-mini", "gpt-4o-mini-2024-07-18")] * 3
    assert [c.finish_reasons for c in calls] == [("tool_calls",), ("tool_calls",), ("stop",)]
    assert [c.input_tokens for c in calls] == [312, 371, 420]
    # The toy services ran for real: their results are on pydantic-ai's execute_tool spans.
    assert agent_trace.tool_calls[0].result == {"status": 200, "city": "London", "lat": 51.5072, "lng": -0.1276}
    assert agent_trace.final_output == SUNNY_LONDON.model_dump()
    scopes = {r.name: r.scope_name for r in agent_trace.records}
    assert scopes["invoke_agent weather_agent"] == scopes["execute_tool geocode"] == "pydantic-ai"


@pytest.mark.agenttrace(cassette="cassettes/london.yaml")
async def test_replay_from_the_cassette(agent_trace, agent_cassette, no_sockets):
    """Replay: the model's answers and both services come from the cassette; no socket is opened."""
    report = await answer(LONDON)

    assert report == SUNNY_LONDON
    assert [(c.name, c.source) for c in agent_cassette.calls] == [("geocode", "replayed"), ("get_weather", "replayed")]
    assert agent_trace.tool_names == ["geocode", "get_weather"]
    assert_max_llm_calls(agent_trace, 3)


@pytest.mark.agenttrace(cassette="cassettes/london.yaml")
async def test_weather_is_asked_where_geocode_said(agent_trace, no_sockets):
    """Tools and arguments: get_weather receives exactly the position geocode returned (a swap would fail)."""
    await answer(LONDON)

    place = agent_trace.tool_calls[0].result
    assert_tool_calls(
        agent_trace,
        [call("geocode", city="London"), call("get_weather", lat=place["lat"], lng=place["lng"])],
        order="strict",
        args="exact",
    )
    assert_output_schema(agent_trace, POSITION_SCHEMA, tool="get_weather", part="arguments")
    assert_no_repeated_tool_calls(agent_trace)
    assert_no_tool_errors(agent_trace)


@pytest.mark.agenttrace(cassette="cassettes/london.yaml")
async def test_cost_and_schema(agent_trace, no_sockets):
    """Cost budget (genai-prices, gpt-4o-mini) and the answer's schema, read from the trace's final output."""
    report = await answer(LONDON)

    assert_cost_within(agent_trace, 0.0005)  # USD; this run costs about $0.0002
    assert_output_schema(agent_trace, REPORT_SCHEMA)  # the invoke_agent span's final_result
    assert_output_schema(report, REPORT_SCHEMA)  # the returned value (a pydantic model is dumped first)


@pytest.mark.agenttrace(
    cassette="cassettes/london.yaml",
    # The same checks, declared: evaluated on the captured trace after the test body.
    max_cost_usd=0.0005,
    max_llm_calls=3,
    max_tokens=1_500,
    max_repeats=1,
    tools=["geocode", "get_weather"],
    no_tool_errors=True,
    finish_reasons=["stop", "tool_calls"],
    output_schema=REPORT_SCHEMA,
)
async def test_declared_budget(no_sockets):
    await answer(LONDON)


@pytest.mark.agenttrace(cassette="cassettes/typo.yaml")
async def test_misspelt_city_is_retried_with_the_right_spelling(agent_trace, no_sockets):
    """A 404 from geocode goes back to the model, which fixes the spelling: a useful retry, not a loop."""
    report = await answer(TYPO)

    assert report.city == "London"
    assert_tool_calls(agent_trace, [call("geocode", city="Londn"), call("geocode", city="London"), "get_weather"])
    assert agent_trace.tool_calls[0].result["status"] == 404
    assert_no_repeated_tool_calls(agent_trace)


@pytest.mark.agenttrace(
    cassette="cassettes/london.yaml",
    tool_overrides=[ToolOverride(step=1, name="geocode", result=OUTAGE_RESULT)],
)
async def test_an_outage_ends_the_run_with_an_honest_answer(agent_trace, no_sockets):
    """Fault injection on the happy cassette: geocode answers 503, so the agent stops after one model call."""
    report = await answer(LONDON)

    assert (report.temperature_c, report.conditions) == (None, "unknown")
    assert "unavailable" in report.summary
    assert_max_llm_calls(agent_trace, 1)
    assert_tool_calls(agent_trace, ["geocode"])
    assert_output_schema(agent_trace, REPORT_SCHEMA)


@pytest.mark.agenttrace(cassette="converted/cassettes/test_geocode_outage/test_geocode_outage.yaml")
async def test_the_converted_expectations_fail_without_the_fix(agent_trace, no_sockets):
    """The converted incident (converted/) replayed against the agent as it was: it loops again, and the
    expectations edited after conversion catch it."""
    report = await answer(OUTAGE, deps=WeatherDeps(stop_on_outage=False))

    assert report.conditions == "unknown"
    assert_tool_calls(agent_trace, [call("geocode", city="London")] * 3)  # the incident, reproduced
    with pytest.raises(AgentAssertionError, match="expected 1 call"):
        assert_tool_calls(agent_trace, [call("geocode", city="London")])
    with pytest.raises(AgentAssertionError, match="geocode x3"):
        assert_no_repeated_tool_calls(agent_trace)
