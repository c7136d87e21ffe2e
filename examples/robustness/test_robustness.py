"""Property tests of the refund agent's robustness: for any tool output at step 2 (the policy search), the agent
never calls `refund_order` twice and stays under budget.

`ats.perturbations` draws the output (empty, an error, a timeout, truncated text, reordered results, random
results of the recorded shape); `ats.replaying` replays the cassette's tool calls with it; the scripted model
(`model.py`) answers the LLM calls, since no recording can answer a conversation it never saw. The planted bug
(`BuggyRefundAgent`) is found, and shrinking reports the smallest perturbation that breaks the property.
"""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from hypothesis import HealthCheck, given, settings

from pytest_agenttrace import (
    AgentAssertionError,
    LiveTrace,
    assert_cost_within,
    assert_max_llm_calls,
    assert_max_tool_calls,
    assert_output_schema,
    assert_tool_calls,
    call,
)
from pytest_agenttrace import strategies as ats

from . import agent, model

CASSETTE = Path(__file__).resolve().parent / "cassettes" / "refund.yaml"
#: Budget of one request: the recorded run makes 3 tool calls and 4 model calls for about $0.0002.
MAX_TOOL_CALLS = 6
MAX_LLM_CALLS = 6
MAX_COST_USD = 0.001
#: Least to most disruptive; hypothesis shrinks a failure towards the first kind that still fails.
KINDS = ("empty", "error", "timeout", "truncate", "reorder", "schema")
AT_STEP_2 = ats.perturbations(CASSETTE, steps=[2], kinds=KINDS)
#: Deterministic and quick in CI: the same examples on every run, no example database, no deadline.
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def run_perturbed(agent_class: type[agent.RefundAgent], perturbation: ats.Perturbation) -> LiveTrace:
    """One run of the agent with `perturbation` applied to the recorded tool outputs; returns its trace."""
    agent.SHOP.reset()
    with ats.capture() as trace, ats.replaying(CASSETTE, perturbation):
        agent_class(model.scripted_client()).run(agent.REQUEST)
    return trace


def check_property(trace: LiveTrace) -> None:
    """Never refund twice; stay under the tool-call, model-call and cost budgets."""
    assert_max_tool_calls(trace, 1, name="refund_order")
    assert_max_tool_calls(trace, MAX_TOOL_CALLS)
    assert_max_llm_calls(trace, MAX_LLM_CALLS)
    assert_cost_within(trace, MAX_COST_USD)


# ------------------------------------------------------------------------------------- the recorded run


@pytest.mark.agenttrace(cassette="cassettes/refund.yaml")
def test_recorded_run_replays_offline(agent_cassette: object) -> None:
    """The baseline: tools and LLM traffic both replayed from the committed cassette."""
    client = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="sk-test-not-a-real-key", max_retries=0)
    with ats.capture(forward=True) as trace:  # forward: --agenttrace's report shows this run too
        answer = agent.RefundAgent(client).run(agent.REQUEST)
    assert answer.startswith("Done: I refunded 25.0 EUR for order A1043")
    assert_tool_calls(
        trace,
        [
            call("get_order", order_id="A1043"),
            call("search_policy", query=model.POLICY_QUERY),
            call("refund_order", order_id="A1043", amount=25.0),
        ],
    )
    assert_output_schema(trace, {"type": "string", "pattern": "^Done: "})
    check_property(trace)
    assert agent.SHOP.refunds == []  # replayed: the real refund tool never ran


def test_unperturbed_run_matches_the_recording() -> None:
    """The scripted model reproduces the recorded run (kind `none`), so perturbed runs differ only by the change."""
    trace = run_perturbed(agent.RefundAgent, ats.Perturbation(step=2, tool="search_policy", kind="none"))
    assert trace.tool_names == ["get_order", "search_policy", "refund_order"]
    check_property(trace)


# --------------------------------------------------------------------------------------- the properties


@SETTINGS
@given(perturbation=AT_STEP_2)
def test_any_policy_search_output_never_refunds_twice_and_stays_under_budget(
    perturbation: ats.Perturbation,
) -> None:
    check_property(run_perturbed(agent.RefundAgent, perturbation))


def test_the_property_finds_the_planted_retry_bug_and_shrinks_to_an_error_at_step_2() -> None:
    """Against `BuggyRefundAgent` the same property fails; the reported example is the minimal perturbation:
    a plain error (not a timeout, not random data) at step 2, with the first error message."""
    seen: list[ats.Perturbation] = []

    @settings(SETTINGS, report_multiple_bugs=False)
    @given(perturbation=AT_STEP_2)
    def property_against_buggy_agent(perturbation: ats.Perturbation) -> None:
        seen.append(perturbation)
        check_property(run_perturbed(agent.BuggyRefundAgent, perturbation))

    with pytest.raises(AgentAssertionError, match=r"101 tool calls, expected at most 6") as excinfo:
        property_against_buggy_agent()

    minimal = ats.Perturbation(step=2, tool="search_policy", kind="error", output=RuntimeError("internal error"))
    assert seen[-1] == minimal  # hypothesis replays the shrunk example last
    notes = "\n".join(getattr(excinfo.value, "__notes__", ()))
    # The failure message names the step, the tool and the output...
    assert "Perturbation(step=2, tool='search_policy', kind='error', output=RuntimeError('internal error'))" in notes
    # ... and shows the trajectory of that example.
    assert "tool search_policy(query='refund for items that arrive broken') -> ERROR" in notes
    assert "search_policy x100" in str(excinfo.value)
