"""The plugin under pytest-xdist: per-test data travels on reports, totals are merged on the controller."""

from __future__ import annotations

import pytest

from pytest_agenttrace.plugin import OPTION_ENABLE, OPTION_SUMMARY

pytest.importorskip("xdist")

TESTS = """
import pytest
from opentelemetry import trace

tracer = trace.get_tracer("xdist")


def chat(n):
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m",
             "gen_ai.usage.input_tokens": n, "gen_ai.usage.output_tokens": 1}
    with tracer.start_as_current_span("chat m", attributes=attrs):
        pass


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_chat(agent_trace, n):
    for _ in range(n):
        chat(10)
    assert len(agent_trace) == n


def test_no_spans(agent_trace):
    assert len(agent_trace) == 0
"""

CONFTEST = """
from opentelemetry import trace

def pytest_sessionstart(session):
    if hasattr(session.config, "workerinput"):  # one unattributed span per worker
        with trace.get_tracer("conftest").start_as_current_span("worker start"):
            pass
"""


@pytest.mark.parametrize("workers", ["0", "2"])
def test_totals_are_merged_on_the_controller(pt: pytest.Pytester, workers: str) -> None:
    pt.makepyfile(test_dist=TESTS)
    pt.makeconftest(CONFTEST)
    result = pt.runpytest_subprocess(OPTION_ENABLE, f"{OPTION_SUMMARY}=all", "-p", "xdist", "-n", workers)
    result.assert_outcomes(passed=7)
    unattributed = 2 if workers == "2" else 0
    result.stdout.fnmatch_lines(
        [
            "*= agenttrace =*",
            "test_dist.py::test_chat[[]6[]] * 6 * 0 * 60 * 6 * 0 * -",
            f"totals: 6 tests with traces, 21 LLM calls, 0 tool calls, 210 input tokens, 21 output tokens, "
            f"0 errors, {unattributed} unattributed spans",
        ]
    )
    out = result.stdout.str()
    assert out.count("= agenttrace =") == 1  # workers print nothing
    assert out.count("test_dist.py::test_") >= 7  # every test listed once in "all" mode (plus progress lines)
    if workers == "2":
        result.stdout.fnmatch_lines(
            ["warning: 2 spans ended outside any test*(first: 'worker start', 'worker start')*"]
        )


def test_worker_crash_is_tolerated(pt: pytest.Pytester) -> None:
    pt.makepyfile(
        test_crash="""
        import os
        from opentelemetry import trace

        def test_ok(agent_trace):
            with trace.get_tracer("x").start_as_current_span("chat m", attributes={"gen_ai.operation.name": "chat"}):
                pass

        def test_crash():
            os._exit(1)
        """
    )
    result = pt.runpytest_subprocess(OPTION_ENABLE, "-p", "xdist", "-n", "1")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["totals: 1 tests with traces, 1 LLM calls, *"])


PRICED = """
import pytest
from opentelemetry import trace


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_priced(agent_trace, n):
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
             "gen_ai.usage.input_tokens": 1000 * n, "gen_ai.usage.output_tokens": 100}
    for _ in range(n):
        with trace.get_tracer("priced").start_as_current_span("chat gpt-4o-mini", attributes=attrs):
            pass
"""

RECORD_IMPORTS = """
import json, os, sys

def pytest_unconfigure(config):
    who = getattr(config, "workerinput", {}).get("workerid", "controller")
    with open(os.path.join(os.environ["IMPORTS_DIR"], who + ".json"), "w") as f:
        json.dump("genai_prices" in sys.modules, f)
"""


@pytest.mark.parametrize("workers", ["0", "2"])
def test_costs_are_priced_once_where_the_summary_is_shown(
    pt: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    """Workers send usage, not prices: they never load genai-prices' table; the controller's cost equals a serial
    run's (4 tests, 1+2+3+4 calls of 1000*n input and 100 output tokens of gpt-4o-mini)."""
    import json

    from pytest_agenttrace import LLMCall, call_cost
    from pytest_agenttrace._summary import _cost as shown

    imports = pt.mkdir("imports")
    monkeypatch.setenv("IMPORTS_DIR", str(imports))
    pt.makepyfile(test_priced=PRICED)
    pt.makeconftest(RECORD_IMPORTS)
    result = pt.runpytest_subprocess(OPTION_ENABLE, "-p", "xdist", "-n", workers)
    result.assert_outcomes(passed=4)
    expected = sum(
        n
        * call_cost(
            LLMCall(
                span_id="0" * 16,
                provider="openai",
                request_model="gpt-4o-mini",
                input_tokens=1000 * n,
                output_tokens=100,
            )
        )
        for n in (1, 2, 3, 4)
    )
    result.stdout.fnmatch_lines([f"totals: 4 tests with traces, 10 LLM calls, *, cost {shown(expected)}"])
    seen = {p.stem: json.loads(p.read_text()) for p in imports.iterdir()}
    if workers == "2":
        assert seen == {"gw0": False, "gw1": False, "controller": True}
    else:
        assert seen == {"controller": True}


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_second_run_prices_from_the_memo_without_genai_prices(
    pt: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    """The first run asks genai-prices and keeps its answers in .pytest_cache; the next run shows the same costs
    without loading genai-prices anywhere. With the cache plugin off, every run asks genai-prices again."""
    import json

    imports = pt.mkdir("imports")
    monkeypatch.setenv("IMPORTS_DIR", str(imports))
    pt.makepyfile(test_priced=PRICED)
    pt.makeconftest(RECORD_IMPORTS)

    def run(*extra: str) -> tuple[str, bool]:
        for p in imports.iterdir():
            p.unlink()
        result = pt.runpytest_subprocess(OPTION_ENABLE, "-p", "xdist", "-n", workers, *extra)
        result.assert_outcomes(passed=4)
        totals = next(line for line in result.outlines if line.startswith("totals:"))
        return totals, json.loads((imports / "controller.json").read_text())

    first, loaded = run()
    assert loaded and "cost $" in first
    memo = pt.path / ".pytest_cache" / "d" / "agenttrace" / "prices.json"
    assert len(json.loads(memo.read_text())["entries"]) == 4  # one per distinct usage
    assert run() == (first, False)
    assert run("-p", "no:cacheprovider") == (first, True)
    assert run("--cache-clear") == (first, True)  # a cleared cache is a cold memo, filled again
    assert run() == (first, False)


def test_a_damaged_or_unwritable_memo_is_named_in_the_summary(pt: pytest.Pytester) -> None:
    """A damaged memo file is a cold memo, rewritten, and the summary says which file and why; a memo that cannot
    be written says so too. Costs are shown either way."""
    pt.makepyfile(test_priced=PRICED)
    memo = pt.path / ".pytest_cache" / "d" / "agenttrace" / "prices.json"
    memo.parent.mkdir(parents=True)
    memo.write_text("{not json")
    result = pt.runpytest_subprocess(OPTION_ENABLE)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        ["totals: 4 tests with traces, 10 LLM calls, *, cost $*", f"note: genai-prices answers are not kept*{memo}*"]
    )
    assert memo.read_text().startswith('{"format":')  # rewritten with this run's answers
    again = pt.runpytest_subprocess(OPTION_ENABLE)
    assert "genai-prices answers are not kept" not in again.stdout.str()

    memo.unlink()
    memo.mkdir()  # a folder where the file belongs: it can be neither read nor written
    blocked = pt.runpytest_subprocess(OPTION_ENABLE)
    blocked.assert_outcomes(passed=4)
    blocked.stdout.fnmatch_lines([f"note: genai-prices answers are not kept*{memo}*"])
