"""Golden trajectories through pytester: assert_matches_baseline, marker baseline=, --agenttrace-update, unused."""

from __future__ import annotations

import json

import pytest

AGENT = """
import json
from opentelemetry import trace

tracer = trace.get_tracer("baseline-agent")

def run_agent(order_id="A1043", stamp="2026-01-01T00:00:00"):
    with tracer.start_as_current_span("invoke_agent refunds", attributes={
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "refunds"}):
        for name, args in (("get_order", {"order_id": order_id}),
                           ("refund_order", {"order_id": order_id, "at": stamp})):
            with tracer.start_as_current_span(f"execute_tool {name}", attributes={
                    "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name,
                    "gen_ai.tool.call.arguments": json.dumps(args)}):
                pass
"""

TESTS = """
import os
import pytest
from baseline_agent import run_agent

def test_refund(agent_trace):
    run_agent(order_id=os.environ.get("ORDER", "A1043"), stamp=os.environ.get("STAMP", "t0"))
    agent_trace.assert_matches_baseline(volatile=["at"])

@pytest.mark.agenttrace(baseline=True)
def test_marker():
    run_agent(order_id=os.environ.get("ORDER", "A1043"))
"""


@pytest.fixture
def project(pt: pytest.Pytester) -> pytest.Pytester:
    pt.makepyfile(baseline_agent=AGENT, test_golden=TESTS)
    return pt


def test_missing_baseline_fails_with_the_accept_command(project: pytest.Pytester) -> None:
    result = project.runpytest("--agenttrace")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*no baseline for this test yet*", "*pytest --agenttrace --agenttrace-update*"])


def test_update_writes_then_checks_and_tolerates_volatile(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = project.runpytest("--agenttrace", "--agenttrace-update")
    written.assert_outcomes(passed=2)
    written.stdout.fnmatch_lines(["*2 baseline(s) written*"])
    path = project.path / "baselines" / "test_golden" / "test_refund.json"
    data = json.loads(path.read_text())
    assert "A1043" in json.dumps(data) and "span_id" not in json.dumps(data)
    monkeypatch.setenv("STAMP", "t1")  # declared volatile: still matches
    project.runpytest("--agenttrace").assert_outcomes(passed=2)
    monkeypatch.setenv("ORDER", "A1044")  # a real change: both fail with a diff
    changed = project.runpytest("--agenttrace")
    changed.assert_outcomes(failed=2)
    changed.stdout.fnmatch_lines(["*does not match its baseline*", '*tool get_order {"order_id": "A1044"}*'])
    project.runpytest("--agenttrace", "--agenttrace-update").stdout.fnmatch_lines(["*2 baseline(s) updated*"])
    project.runpytest("--agenttrace").assert_outcomes(passed=2)


def test_unused_baselines_are_reported(project: pytest.Pytester) -> None:
    project.runpytest("--agenttrace", "--agenttrace-update").assert_outcomes(passed=2)
    stale = project.path / "baselines" / "test_golden" / "test_deleted.json"
    stale.write_text("{}")
    result = project.runpytest("--agenttrace", str(project.path))
    result.stdout.fnmatch_lines(["*1 unused baseline(s)*test_deleted.json*"])
    # a node-id selection does not know about the others: nothing reported
    only = project.runpytest("--agenttrace", "test_golden.py::test_refund")
    assert "unused baseline" not in only.stdout.str()


def test_baselines_under_xdist(project: pytest.Pytester) -> None:
    project.runpytest("--agenttrace", "--agenttrace-update", "-p", "xdist", "-n", "2").assert_outcomes(passed=2)
    assert len(list((project.path / "baselines" / "test_golden").glob("*.json"))) == 2
    project.runpytest("--agenttrace", "-p", "xdist", "-n", "2").assert_outcomes(passed=2)


def test_bad_baseline_marker_argument(pt: pytest.Pytester) -> None:
    pt.makepyfile(test_bad="import pytest\n\n@pytest.mark.agenttrace(baseline=3)\ndef test_x():\n    pass\n")
    result = pt.runpytest("--agenttrace")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*baseline=*got 3*"])
