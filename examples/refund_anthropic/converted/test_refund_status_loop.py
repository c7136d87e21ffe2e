"""Regression test converted by `agenttrace convert` from trace fdf13b755a57f228af451af50e7ffd40.

What went wrong in the recording (agenttrace lint):
  [repeated-tool-call] tool search_kb called 4 times with identical arguments {"query": "refund status A1043"}
  (steps 2, 4, 6, 8): the agent is looping (span 011953b2cc4986e2)

The expectations below reproduce the recording. To state the correct behaviour:
  - replace the repeated calls in EXPECTED_TOOL_CALLS by the one call the agent should make, and uncomment
    assert_no_repeated_tool_calls below
The test then fails until the agent is fixed.

EDITED after conversion (see examples/refund_anthropic/README.md, "The converted incident"): the expectations
marked "edited" state the correct behaviour; the agent's fix (the repeat cap in agent.py) made the test pass.

Personal data: none found in the recording.
"""

import pytest

from examples.refund_anthropic.agent import run_refund_agent
from pytest_agenttrace import (
    assert_cost_within,
    assert_max_llm_calls,
    assert_output_schema,
    assert_tokens_within,
    assert_tool_calls,
    call,
)

RECORDED_INPUT = "What is the status of my refund for order A1043?"

# The recorded tool calls, in order, with their exact arguments.
EXPECTED_TOOL_CALLS = [
    call("search_kb", query="refund status A1043"),  # [0]
    # [1] edited: the model asks the same again (its recorded reply): the agent must stop there, not run it
    call("search_kb", query="refund status A1043"),  # [1]
    # edited: [2] and [3] removed
]
OUTPUT_SCHEMA = {
    "type": "object",
    "required": ["status", "order_id", "refunded"],
    "properties": {
        "status": {"const": "needs_review"},  # edited: a human takes over
        "order_id": {"type": ["string", "null"]},  # edited: the agent stops before an answer
        "refunded": {"type": "number"},
    },
}


@pytest.mark.agenttrace(cassette="cassettes/test_refund_status_loop/test_refund_status_loop.yaml")
def test_refund_status_loop(agent_trace, agent_cassette):
    output = run_refund_agent(RECORDED_INPUT)
    assert output is not None

    assert_tool_calls(agent_trace, EXPECTED_TOOL_CALLS, order="strict", args="exact")
    # edited (added): only the first search ran; [1] is known from the model's messages only
    assert [t.arguments for t in agent_trace.tool_calls if t.span_id] == [{"query": "refund status A1043"}]
    assert_max_llm_calls(agent_trace, 2)  # edited: recorded 5
    assert_tokens_within(agent_trace, total=15365)  # recorded: 10243, +50%
    assert_cost_within(agent_trace, 0.0061545)  # recorded: $0.004103, +50%
    assert_output_schema(agent_trace, OUTPUT_SCHEMA)

    # Stricter expectations the recording breaks: uncomment (and import from pytest_agenttrace)
    # to state the correct behaviour.
    # assert_no_repeated_tool_calls(agent_trace)
    # edited: left commented out: it counts the model's repeated REQUEST [1] as a call although the agent never
    # ran it, and replay always repeats the recorded request; the executed-calls check above states the rule.


# Recorded trajectory:
#   agent refund_agent
#   llm chat claude-haiku-4-5-20251001 (anthropic) in=1850 out=40 cache_read=1536 finish=tool_calls
#   tool search_kb(query='refund status A1043') -> {"query": "refund status A1043", "hits": []}
#   llm chat claude-haiku-4-5-20251001 (anthropic) in=1930 out=40 cache_read=1536 finish=tool_calls
#   tool search_kb(query='refund status A1043') -> {"query": "refund status A1043", "hits": []}
#   llm chat claude-haiku-4-5-20251001 (anthropic) in=2010 out=40 cache_read=1536 finish=tool_calls
#   tool search_kb(query='refund status A1043') -> {"query": "refund status A1043", "hits": []}
#   llm chat claude-haiku-4-5-20251001 (anthropic) in=2090 out=40 cache_read=1536 finish=tool_calls
#   tool search_kb(query='refund status A1043') -> {"query": "refund status A1043", "hits": []}
#   llm chat claude-haiku-4-5-20251001 (anthropic) in=2170 out=33 cache_read=1536 finish=stop
