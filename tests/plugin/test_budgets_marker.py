"""Budgets: `agenttrace(...)` markers, `[tool.agenttrace]` defaults, `--agenttrace-max-cost-usd` (pytester)."""

from __future__ import annotations

import pytest

AGENT = """
import json
from opentelemetry import trace

tracer = trace.get_tracer("test-agent")

def run_agent(calls=2, model="gpt-4o-mini", tool="search", finish="stop"):
    with tracer.start_as_current_span("invoke_agent bot", attributes={
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "bot"}):
        for i in range(calls):
            with tracer.start_as_current_span(f"chat {model}", attributes={
                    "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": model, "gen_ai.usage.input_tokens": 1000,
                    "gen_ai.usage.output_tokens": 100,
                    "gen_ai.response.finish_reasons": (finish,)}):
                pass
            with tracer.start_as_current_span(f"execute_tool {tool}", attributes={
                    "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool,
                    "gen_ai.tool.call.arguments": json.dumps({"q": "x"})}):
                pass
"""


@pytest.fixture
def project(pt: pytest.Pytester) -> pytest.Pytester:
    pt.makepyfile(agent=AGENT)
    return pt


def test_budgets_pass_and_fail_with_the_numbers(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_inner_budget="""
        import pytest
        from agent import run_agent

        @pytest.mark.agenttrace(max_llm_calls=2, max_tokens=5000, forbid_tools=["delete_account"])
        def test_within():
            run_agent(calls=2)

        @pytest.mark.agenttrace(max_llm_calls=3)
        def test_too_many_calls():
            run_agent(calls=5)

        @pytest.mark.agenttrace(max_cost_usd=0.0001)
        def test_too_expensive():
            run_agent(calls=2)

        @pytest.mark.agenttrace(forbid_tools=["search"], finish_reasons=["stop", "tool_calls"])
        def test_forbidden_tool():
            run_agent(calls=1)
        """
    )
    result = project.runpytest("--agenttrace")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(["*agenttrace checks failed*", "*5*LLM calls*3*"])
    text = result.stdout.str()
    assert "max_cost_usd" in text and "0.0001" in text
    assert "search" in text


def test_unknown_marker_argument_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_inner_bad="""
        import pytest

        @pytest.mark.agenttrace(max_llm_cals=3)
        def test_x():
            pass
        """
    )
    result = project.runpytest("--agenttrace")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown argument*max_llm_cals*did you mean*max_llm_calls*valid arguments*"])


def test_pyproject_defaults_apply_to_every_test(project: pytest.Pytester) -> None:
    project.makepyprojecttoml(
        """
        [tool.agenttrace]
        max_llm_calls = 2
        """
    )
    project.makepyfile(
        test_inner_defaults="""
        import pytest
        from agent import run_agent

        def test_within():
            run_agent(calls=2)

        def test_over():
            run_agent(calls=3)

        @pytest.mark.agenttrace(max_llm_calls=10)
        def test_marker_overrides_default():
            run_agent(calls=3)
        """
    )
    result = project.runpytest("--agenttrace")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*test_over*"])


def test_price_overrides_and_unknown_models(project: pytest.Pytester) -> None:
    project.makepyprojecttoml(
        """
        [tool.agenttrace.prices]
        my-finetune = { input_per_mtok = 1000.0, output_per_mtok = 1000.0 }
        """
    )
    project.makepyfile(
        test_inner_prices="""
        import pytest
        from agent import run_agent

        @pytest.mark.agenttrace(max_cost_usd=1.0)
        def test_override_priced():
            run_agent(calls=1, model="my-finetune")  # 1100 tokens at $1000/Mtok = $1.10

        @pytest.mark.agenttrace(max_cost_usd=1.0)
        def test_unknown_model():
            run_agent(calls=1, model="gpt-99-unknown")
        """
    )
    result = project.runpytest("--agenttrace")
    result.assert_outcomes(failed=2)
    text = result.stdout.str()
    assert "1.1" in text
    assert "gpt-99-unknown" in text and "[tool.agenttrace.prices]" in text


def test_run_wide_cost_limit(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_inner_run="""
        from agent import run_agent

        def test_a():
            run_agent(calls=3)

        def test_b():
            run_agent(calls=3)
        """
    )
    ok = project.runpytest("--agenttrace", "--agenttrace-max-cost-usd=10")
    ok.assert_outcomes(passed=2)
    assert ok.ret == 0
    over = project.runpytest("--agenttrace", "--agenttrace-max-cost-usd=0.000001")
    over.assert_outcomes(passed=2)
    assert over.ret == pytest.ExitCode.TESTS_FAILED
    over.stdout.fnmatch_lines(["*FAILED --agenttrace-max-cost-usd*"])


def test_tool_names_comparison_reads_well(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_names_side_by_side="""
        from agent import run_agent

        def test_names(agent_trace):
            run_agent(calls=2)
            assert agent_trace.tool_names == ["search", "refund_order"]
        """
    )
    result = project.runpytest("--agenttrace")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*refund_order*"])
