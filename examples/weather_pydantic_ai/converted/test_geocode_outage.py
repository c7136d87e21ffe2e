"""Regression test converted by `agenttrace convert` from trace 3efdcd6a13a3f323bf894bda9627eaea.

What went wrong in the recording (agenttrace lint):
  [repeated-tool-call] tool geocode called 3 times with identical arguments {"city": "London"} (steps 2, 4, 6):
  the agent is looping (span 7dde05f0dc5462c9)

The expectations below reproduce the recording. To state the correct behaviour:
  - replace the repeated calls in EXPECTED_TOOL_CALLS by the one call the agent should make, and uncomment
    assert_no_repeated_tool_calls below
The test then fails until the agent is fixed.

Edited after conversion (see ../README.md): the generated test passed against the agent as it was (it reproduced
the incident). The expectations now state the correct behaviour: one geocode call, one model call, no repeats, and
an honest "unknown" answer. That failed ("expected 1 call, got 3") until the agent stopped on an outage
(`WeatherDeps.stop_on_outage`, `AnswerWhenServicesAreDown`); the cassette is unchanged.

Personal data: none found in the recording.
"""

import asyncio

import pytest

from examples.weather_pydantic_ai.agent import answer
from pytest_agenttrace import (
    assert_cost_within,
    assert_max_llm_calls,
    assert_no_repeated_tool_calls,
    assert_output_schema,
    assert_tokens_within,
    assert_tool_calls,
    call,
)

RECORDED_INPUT = "Is it sunny in London?"

# The recorded tool calls, in order, with their exact arguments.
EXPECTED_TOOL_CALLS = [
    call("geocode", city="London"),  # [0] the geocoder answers 503: the agent stops here (recorded: 3 calls)
]
OUTPUT_SCHEMA = {
    "type": "object",
    "required": ["city", "temperature_c", "conditions", "summary"],
    "properties": {
        "city": {"type": "string", "minLength": 1},
        "temperature_c": {},
        "conditions": {"type": "string", "minLength": 1},
        "summary": {"type": "string", "minLength": 1},
    },
}


@pytest.mark.agenttrace(cassette="cassettes/test_geocode_outage/test_geocode_outage.yaml")
def test_geocode_outage(agent_trace, agent_cassette):
    output = asyncio.run(answer(RECORDED_INPUT))
    assert output is not None

    assert_tool_calls(agent_trace, EXPECTED_TOOL_CALLS, order="strict", args="exact")
    assert_max_llm_calls(agent_trace, 1)  # recorded: 4; edited: no model call after the outage
    assert_tokens_within(agent_trace, total=2413)  # recorded: 1608, +50%
    assert_cost_within(agent_trace, 0.00041985)  # recorded: $0.000280, +50%
    assert_output_schema(agent_trace, OUTPUT_SCHEMA)

    # Stricter expectations the recording breaks (uncommented after conversion).
    assert_no_repeated_tool_calls(agent_trace)
    assert output.temperature_c is None and output.conditions == "unknown"  # edited: no made-up weather


# Recorded trajectory:
#   agent weather_agent
#   llm chat gpt-4o-mini-2024-07-18 (openai) in=310 out=15 finish=tool_calls
#   tool geocode(city='London') -> {"status": 503, "error": "geocoding service unavailable, tr…
#   llm chat gpt-4o-mini-2024-07-18 (openai) in=357 out=15 finish=tool_calls
#   tool geocode(city='London') -> {"status": 503, "error": "geocoding service unavailable, tr…
#   llm chat gpt-4o-mini-2024-07-18 (openai) in=404 out=15 finish=tool_calls
#   tool geocode(city='London') -> {"status": 503, "error": "geocoding service unavailable, tr…
#   llm chat gpt-4o-mini-2024-07-18 (openai) in=451 out=41 finish=stop
