"""Regression test converted by `agenttrace convert` from trace 8307b4cbcf3d5868288cc2f21c0afaf5.

What went wrong in the recording (agenttrace lint):
  [repeated-tool-call] tool search_flights called 3 times with identical arguments {"origin": "BER",
  "destination": "FAO"} (steps 2, 4, 6): the agent is looping (span 81771dce58949c36)

The expectations below reproduce the recording. To state the correct behaviour:
  - replace the repeated calls in EXPECTED_TOOL_CALLS by the one call the agent should make, and uncomment
    assert_no_repeated_tool_calls below
The test then fails until the agent is fixed.

Edited after conversion (see ../README.md): the generated test passed against the agent as it was (it reproduced
the incident). The expectations now state the correct behaviour: one search, one model call, no repeats, and a plan
that says there is no flight. That failed ("expected 1 call, got 3") until the graph stopped on an empty search
(`build_graph(stop_on_empty_search=True)`, node `no_flights`); the cassette is unchanged.

Personal data: none found in the recording.
"""

import pytest

from examples.travel_langgraph.agent import plan_trip
from pytest_agenttrace import (
    assert_cost_within,
    assert_max_llm_calls,
    assert_no_repeated_tool_calls,
    assert_output_schema,
    assert_tokens_within,
    assert_tool_calls,
    call,
)

RECORDED_INPUT = "I need to get from Berlin to Faro tomorrow. What flight can I take, and will it be warm?"

# The recorded tool calls, in order, with their exact arguments.
EXPECTED_TOOL_CALLS = [
    call("search_flights", origin="BER", destination="FAO"),  # [0] no flights: the agent answers (recorded: 3 searches)
]
OUTPUT_SCHEMA = {
    "type": "object",
    "required": ["origin", "destination", "flight", "weather", "summary"],
    "properties": {
        "origin": {"type": "string", "minLength": 1},
        "destination": {"type": "string", "minLength": 1},
        "flight": {},
        "weather": {},
        "summary": {"type": "string", "minLength": 1},
    },
}


@pytest.mark.agenttrace(cassette="cassettes/test_search_loop/test_search_loop.yaml")
def test_search_loop(agent_trace, agent_cassette):
    output = plan_trip(RECORDED_INPUT)
    assert output is not None

    assert_tool_calls(agent_trace, EXPECTED_TOOL_CALLS, order="strict", args="exact")
    assert_max_llm_calls(agent_trace, 1)  # recorded: 4; edited: no model call after an empty search
    assert_tokens_within(agent_trace, total=3577)  # recorded: 2384, +50%
    assert_cost_within(agent_trace, 0.00061605)  # recorded: $0.000411, +50%
    assert_output_schema(agent_trace, OUTPUT_SCHEMA)

    # Stricter expectations the recording breaks (uncommented after conversion).
    assert_no_repeated_tool_calls(agent_trace)
    assert (output.destination, output.flight) == ("FAO", None)  # edited: says there is no flight


# Recorded trajectory:
#   agent travel_agent
#   llm chat gpt-4o-mini-2024-07-18 (openai) in=490 out=22 finish=tool_calls
#   tool search_flights(origin='BER', destination='FAO') -> {"origin": "BER", "destination": "FAO", "flights": []}
#   llm chat gpt-4o-mini-2024-07-18 (openai) in=541 out=22 finish=tool_calls
#   tool search_flights(origin='BER', destination='FAO') -> {"origin": "BER", "destination": "FAO", "flights": []}
#   llm chat gpt-4o-mini-2024-07-18 (openai) in=592 out=22 finish=tool_calls
#   tool search_flights(origin='BER', destination='FAO') -> {"origin": "BER", "destination": "FAO", "flights": []}
#   llm chat gpt-4o-mini-2024-07-18 (openai) in=643 out=52 finish=stop
