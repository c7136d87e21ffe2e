"""The readers against ground truth: fixtures/traces/*.otlp.json and *.sdk.jsonl were made by real instrumentation
(fixtures/scripts/make_*.py); each *.expected.json holds what the script knows independently of any reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_agenttrace import load_trace

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
EXPECTED = sorted(TRACES.glob("*.expected.json"))
CASES = [(e, e.name.replace(".expected.json", ext)) for e in EXPECTED for ext in (".otlp.json", ".sdk.jsonl")]


def test_fixtures_exist() -> None:
    assert len(EXPECTED) >= 10, f"expected the project's generated fixtures in {TRACES}"


def _llm_view(call: Any, keys: list[str]) -> dict[str, Any]:
    return {k: (list(getattr(call, k)) if k == "finish_reasons" else getattr(call, k)) for k in keys}


@pytest.mark.parametrize(("expected_path", "name"), CASES, ids=[c[1] for c in CASES])
def test_reader_recovers_the_ground_truth(expected_path: Path, name: str) -> None:
    truth = json.loads(expected_path.read_text())
    trace = load_trace(TRACES / name)

    assert len(trace.records) == truth["span_count"]
    # every tool call, in order, with its exact arguments and whether it failed
    got_tools = [{"name": t.name, "arguments": t.arguments, "error": bool(t.error)} for t in trace.tool_calls]
    assert got_tools == truth["tool_calls"]
    # every LLM call with its models, tokens and finish reasons (fields the producer did not record are null)
    assert len(trace.llm_calls) == len(truth["llm_calls"])
    for got, want in zip(trace.llm_calls, truth["llm_calls"], strict=True):
        keys = [k for k, v in want.items() if v is not None and k != "finish_reasons_recorded"]
        assert _llm_view(got, keys) == {k: want[k] for k in keys}
    # agents and their parents
    assert [{"name": a.name, "parent": a.parent_agent} for a in trace.agents] == truth["agents"]
    # token totals without double counting
    assert trace.totals.input_tokens == truth["token_totals"]["input_tokens"]
    assert trace.totals.output_tokens == truth["token_totals"]["output_tokens"]


@pytest.mark.parametrize("expected_path", EXPECTED, ids=[e.name for e in EXPECTED])
def test_tool_calls_per_agent(expected_path: Path) -> None:
    truth = json.loads(expected_path.read_text())
    trace = load_trace(TRACES / expected_path.name.replace(".expected.json", ".otlp.json"))
    for agent, want in truth.get("by_agent", {}).items():
        got = [
            {"name": t.name, "arguments": t.arguments, "error": bool(t.error)}
            for t in trace.tool_calls
            if t.agent == agent
        ]
        assert got == want["tool_calls"], agent
        assert sum(1 for c in trace.llm_calls if c.agent == agent) == want["llm_calls"], agent


def test_show_json_matches_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_agenttrace.cli import main

    path = TRACES / "multi_agent_propagation.otlp.json"
    assert main(["show", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    trace = load_trace(path)
    assert [t["name"] for t in data["tool_calls"]] == trace.tool_names
    assert data["totals"]["llm_calls"] == len(trace.llm_calls)
    assert {a["name"]: a["parent"] for a in data["agents"]}["shipping_agent"] == "orchestrator"
