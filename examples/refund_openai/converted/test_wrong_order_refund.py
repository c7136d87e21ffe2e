"""Regression test converted by `agenttrace convert` from trace 15c8649ea5d7d5ea56eb8a967975e686.

What went wrong in the recording (agenttrace lint):
  [contradicting-argument] refund_order got order_id='A1044' but get_order returned order_id='A1043'; 'A1044'
  appears in no earlier tool result or user message (span b81ee2479510c66e)

The expectations below reproduce the recording. To state the correct behaviour:
  - fix the arguments of the call (EXPECTED_TOOL_CALLS[1]) to what the agent should have sent
The test then fails until the agent is fixed.

EDITED after conversion (see examples/refund_openai/README.md, "The converted incident"): the expectations marked
"edited" state the correct behaviour; the agent's fix (refusal_reason in agent.py) made the test pass, and the
fixed agent's new model turn was added to the cassette with `python -m examples.refund_openai.record new-episode`.

Personal data: none found in the recording.
"""

import pytest

from examples.refund_openai.agent import run_refund_agent
from pytest_agenttrace import (
    assert_cost_within,
    assert_max_llm_calls,
    assert_output_schema,
    assert_tokens_within,
    assert_tool_calls,
    call,
)

RECORDED_INPUT = "Please refund my order A1043, the mug arrived broken."

# The recorded tool calls, in order, with their exact arguments.
EXPECTED_TOOL_CALLS = [
    call("get_order", order_id="A1043"),  # [0]
    # [1] edited: the model still asks to refund A1044 (its recorded reply); the agent must refuse, not run it
    call("refund_order", order_id="A1044", amount=80.0),  # [1]
    # [2] edited (added): told why, the model refunds the order the customer asked about
    call("refund_order", order_id="A1043", amount=pytest.approx(25.0)),  # [2]
]
OUTPUT_SCHEMA = {
    "type": "object",
    "required": ["status", "order_id", "refunded"],
    "properties": {
        "status": {"type": "string", "minLength": 1},
        "order_id": {"const": "A1043"},  # edited: the recording answered "A1044"
        "refunded": {"type": "number"},
    },
}


@pytest.mark.agenttrace(cassette="cassettes/test_wrong_order_refund/test_wrong_order_refund.yaml")
def test_wrong_order_refund(agent_trace, agent_cassette):
    output = run_refund_agent(RECORDED_INPUT)
    assert output is not None

    assert_tool_calls(agent_trace, EXPECTED_TOOL_CALLS, order="strict", args="exact")
    # edited: the refused call [1] is known only from the model's messages; only A1043 was refunded for real
    executed = [t.arguments for t in agent_trace.tool_calls if t.name == "refund_order" and t.span_id]
    assert executed == [{"order_id": "A1043", "amount": 25.0}]
    assert output == {"status": "refunded", "order_id": "A1043", "refunded": 25.0}  # edited (added)
    assert_max_llm_calls(agent_trace, 4)  # edited: recorded 3; the refusal costs the model one more turn
    assert_tokens_within(agent_trace, total=2290)  # recorded: 1526, +50%
    assert_cost_within(agent_trace, 0.00038655)  # recorded: $0.000258, +50%
    assert_output_schema(agent_trace, OUTPUT_SCHEMA)


# Recorded trajectory:
#   agent refund_agent
#   llm chat gpt-4o-mini-2024-07-18 (openai) in=412 out=18 finish=tool_calls
#   tool get_order(order_id='A1043') -> {"order_id": "A1043", "status": "delivered", "total": 25.0,…
#   llm chat gpt-4o-mini-2024-07-18 (openai) in=489 out=24 finish=tool_calls
#   tool refund_order(order_id='A1044', amount=80.0) -> {"order_id": "A1044", "refunded": 80.0, "status":
#   "refund_p…
#   llm chat gpt-4o-mini-2024-07-18 (openai) in=561 out=22 finish=stop
