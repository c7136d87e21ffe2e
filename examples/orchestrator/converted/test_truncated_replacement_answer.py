"""Regression test converted by `agenttrace convert` from trace d90813c34a79fdb4c6ced54556e3a6c2.

What went wrong in the recording (agenttrace lint):
  [tool-error] tool check_warehouse failed: TimeoutError: warehouse API timed out for sku 'MUG-01' (span
  398a56303632c21b)
  [truncated] LLM call gpt-4.1-nano stopped at the token limit (finish reason 'length', 60 output tokens): its
  output is cut off: ...'t, so I cannot confirm whether SKU MUG-01 is avail' (span de5e0535db8dc8a1)
  [truncated] LLM call gpt-4o-mini stopped at the token limit (finish reason 'length', 120 output tokens): its
  output is cut off: ...'failed with a timeout, so I cannot confirm whether' (span 25a06617915e1fe4)

The expectations below reproduce the recording. To state the correct behaviour:
  - uncomment assert_no_tool_errors / assert_no_llm_errors below if the run must not fail
  - uncomment assert_finish_reasons below (the recording stopped early)
The test then fails until the agent is fixed.

EDITED after conversion (see examples/orchestrator/README.md, "The converted incident"): the expectations marked
"edited" state the correct behaviour; the fix (stops_sub_agent and usable in agent.py) made the test pass. The
cassette's tool error was corrected by hand (its type was lost by the conversion: a product bug, reported).

Personal data: none found in the recording.
"""

import pytest

from examples.orchestrator.agent import run_support_orchestrator
from pytest_agenttrace import (
    assert_cost_within,
    assert_finish_reasons,
    assert_max_llm_calls,
    assert_output_schema,
    assert_tokens_within,
    assert_tool_calls,
    call,
)

RECORDED_INPUT = "Can you send a replacement mug for order A1043? Mine has a crack."

# The recorded tool calls, in order, with their exact arguments.
EXPECTED_TOOL_CALLS = [
    call("classify_ticket", text="Can you send a replacement mug for order A1043? Mine has a crack."),  # [0]
    call("check_warehouse", sku="MUG-01"),  # [1], failed in the recording
]
OUTPUT_SCHEMA = {
    "type": "object",
    "required": ["status", "answer", "agents", "problems"],
    "properties": {
        "status": {"const": "needs_review"},  # edited: a human takes over
        "answer": {"type": "null"},  # edited: no half answer reaches the customer
        "agents": {"type": "array"},
        "problems": {"type": "array", "minItems": 1},  # edited: the failure is reported
    },
}


@pytest.mark.agenttrace(cassette="cassettes/test_truncated_replacement_answer/test_truncated_replacement_answer.yaml")
def test_truncated_replacement_answer(agent_trace, agent_cassette):
    output = run_support_orchestrator(RECORDED_INPUT)
    assert output is not None

    assert_tool_calls(agent_trace, EXPECTED_TOOL_CALLS, order="strict", args="exact")
    # edited (added): the outage is reported by name, instead of a truncated sentence
    assert output["problems"] == [
        "inventory_agent: check_warehouse unavailable (TimeoutError: warehouse API timed out for sku 'MUG-01')"
    ]
    assert_max_llm_calls(agent_trace, 2)  # edited: recorded 4; nobody writes around the outage
    assert_tokens_within(agent_trace, total=1381)  # recorded: 920, +50%
    assert_cost_within(agent_trace, 0.0003096)  # recorded: $0.000206, +50%
    assert_output_schema(agent_trace, OUTPUT_SCHEMA)

    # Stricter expectations the recording breaks: uncomment (and import from pytest_agenttrace)
    # to state the correct behaviour.
    # assert_no_tool_errors(agent_trace)
    # edited: left commented out: the warehouse outage is the scenario (replayed from the recording), not the bug
    assert_finish_reasons(agent_trace, allowed={"stop", "tool_calls"})  # edited: uncommented


# Recorded trajectory:
#   agent orchestrator
#   llm chat gpt-4o-mini (openai) in=176 out=20 finish=tool_calls
#   tool classify_ticket(text='Can you send a replacement mug for order A1043? Mine …) -> {"teams": ["inventory"]}
#   agent inventory_agent
#   llm chat gpt-4.1-nano (openai) in=92 out=12 finish=tool_calls
#   tool check_warehouse(sku='MUG-01') -> ERROR TimeoutError: warehouse API timed out for sku 'MUG-01'
#   llm chat gpt-4.1-nano (openai) in=160 out=60 finish=length
#   llm chat gpt-4o-mini (openai) in=280 out=120 finish=length
