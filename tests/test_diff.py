"""`agenttrace diff`: alignment of tool calls, argument changes, totals, rendering, JSON and the CLI."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_agenttrace import AgentRun, LLMCall, ToolCall, Trace
from pytest_agenttrace.diff import add_diff_parser, diff_traces, render_diff

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"


def tool(name: str, args: Any = None, *, result: Any = None, error: str | None = None, agent: str = "a") -> ToolCall:
    return ToolCall(
        name=name, arguments=args, result=result, error=error, status="error" if error else "ok", agent=agent
    )


def llm(model: str = "gpt-4o-mini", *, tin: int = 10, tout: int = 5, finish: str = "stop", **kw: Any) -> LLMCall:
    return LLMCall(
        span_id="l", request_model=model, input_tokens=tin, output_tokens=tout, finish_reasons=(finish,), **kw
    )


def trace(*tools: ToolCall, llms: list[LLMCall] | None = None, final: Any = "ok", agents: Any = ()) -> Trace:
    return Trace(
        records=(),
        roots=(),
        nodes={},
        tool_calls=tools,
        llm_calls=llms if llms is not None else [llm()],
        agents=agents,
        final_output=final,
    )


def ops(d: Any) -> list[tuple[str, str]]:
    return [(t.op, t.name) for t in d.tools]


def test_same_trajectory_is_an_empty_diff() -> None:
    a = trace(tool("get_order", {"order_id": "A1043"}), tool("refund_order", {"order_id": "A1043"}))
    b = trace(tool("get_order", '{"order_id": "A1043"}'), tool("refund_order", {"order_id": "A1043"}))
    d = diff_traces(a, b)
    assert not d and not d.trajectory_changed
    assert d.tool_changes == ()
    assert ops(d) == [("same", "get_order"), ("same", "refund_order")]
    assert render_diff(d) == "no differences"
    assert json.loads(json.dumps(d.to_json()))["different"] is False


def test_added_removed_and_changed_arguments() -> None:
    a = trace(tool("get_order", {"order_id": "A1043"}), tool("refund_order", {"order_id": "A1043", "amount": 25.0}))
    b = trace(
        tool("get_order", {"order_id": "A1043"}),
        tool("check_policy", {"kind": "refund"}),
        tool("refund_order", {"order_id": "A1044", "amount": 25.0, "note": "x"}),
    )
    d = diff_traces(a, b)
    assert ops(d) == [("same", "get_order"), ("added", "check_policy"), ("changed", "refund_order")]
    changed = d.tools[2]
    assert changed.changes == ("arguments note: added 'x'", "arguments order_id: 'A1043' -> 'A1044'")
    assert (changed.a_index, changed.b_index) == (1, 2)
    text = render_diff(d)
    assert "+ " in text and "check_policy(kind='refund')" in text
    assert "~ refund_order(order_id='A1043', amount=25.0)" in text
    assert "      arguments order_id: 'A1043' -> 'A1044'" in text


def test_removed_call() -> None:
    d = diff_traces(trace(tool("a"), tool("b")), trace(tool("a")))
    assert ops(d) == [("same", "a"), ("removed", "b")]
    assert "- b()" in render_diff(d)


def test_reordered_calls_are_reported_as_moved() -> None:
    a = trace(tool("get_order", {"id": 1}), tool("search_kb", {"q": "x"}), tool("refund", {"id": 1}))
    b = trace(tool("search_kb", {"q": "x"}), tool("get_order", {"id": 1}), tool("refund", {"id": 1}))
    d = diff_traces(a, b)
    moved = [t for t in d.tools if t.op == "moved"]
    assert len(moved) == 1 and moved[0].changes == ()
    assert {(t.a_index, t.b_index) for t in moved} <= {(0, 1), (1, 0)}
    assert [t.op for t in d.tools].count("added") == 0 and [t.op for t in d.tools].count("removed") == 0
    assert "> " in render_diff(d) and "(moved from #" in render_diff(d)


def test_lists_and_tuples_are_equal_arguments() -> None:
    d = diff_traces(trace(tool("t", {"ids": (1, 2)})), trace(tool("t", {"ids": [1, 2]})))
    assert not d


def test_result_and_error_changes() -> None:
    a = trace(tool("get_order", {"id": 1}, result={"status": "delivered"}), tool("refund", {"id": 1}, result="ok"))
    b = trace(tool("get_order", {"id": 1}, result={"status": "lost"}), tool("refund", {"id": 1}, error="Timeout"))
    d = diff_traces(a, b)
    assert d.tools[0].changes == ("result status: 'delivered' -> 'lost'",)
    assert d.tools[1].changes == ("now fails: Timeout",)
    assert d.errors_added == ("tool refund: Timeout",) and d.errors_removed == ()
    assert not diff_traces(a, trace(*a.tool_calls), compare_results=False)
    only_results = diff_traces(a, trace(tool("get_order", {"id": 1}, result={"s": 2}), a.tool_calls[1]))
    assert only_results and not diff_traces(
        a, trace(tool("get_order", {"id": 1}, result={"s": 2}), a.tool_calls[1]), compare_results=False
    )


def test_llm_models_finish_reasons_tokens_and_final_output() -> None:
    a = trace(llms=[llm(tin=100, tout=10), llm(tin=120, tout=12)], final="Refunded 25 EUR.")
    b = trace(llms=[llm("gpt-4o", tin=100, tout=10), llm(tin=150, tout=40, finish="length")], final="Refunded 2")
    d = diff_traces(a, b)
    assert d.llm_calls == (2, 2)
    assert d.models == {"gpt-4o": (0, 1), "gpt-4o-mini": (2, 1)}
    assert d.finish_reasons == {"length": (0, 1), "stop": (2, 1)}
    assert d.tokens == {"input": (220, 250), "output": (22, 50), "total": (242, 300)}
    assert d.final_output == ("Refunded 25 EUR.", "Refunded 2")
    text = render_diff(d)
    assert "tokens: input 220 -> 250 (+30), output 22 -> 50 (+28), total 242 -> 300 (+58)" in text
    assert "final output changed:" in text
    assert d.cost_usd[0] is not None and d.cost_usd[1] is not None and d.cost_changed
    data = d.to_json()
    assert data["tokens"]["input"] == {"a": 220, "b": 250, "delta": 30}
    assert data["cost_usd"]["delta"] == pytest.approx(d.cost_usd[1] - d.cost_usd[0])


def test_tokens_only_is_different_but_not_a_trajectory_change() -> None:
    d = diff_traces(trace(llms=[llm(tin=10)]), trace(llms=[llm(tin=11)]))
    assert d and not d.trajectory_changed


def test_unpriced_model_gives_a_note_and_no_cost_delta() -> None:
    a = trace(llms=[llm("my-private-model-x")])
    d = diff_traces(a, a)
    assert d.cost_usd == (None, None) and not d
    assert len(d.notes) == 2 and "my-private-model-x" in d.notes[0]


def test_agents_added_and_removed() -> None:
    a = trace(agents=[AgentRun(name="triage", span_id="1")])
    b = trace(agents=[AgentRun(name="triage", span_id="1"), AgentRun(name="billing", span_id="2")])
    assert diff_traces(a, b).agents == {"billing": (0, 1)}


def test_tool_calls_align_per_agent() -> None:
    a = trace(tool("lookup", {"q": 1}, agent="billing"), tool("lookup", {"q": 1}, agent="shipping"))
    b = trace(tool("lookup", {"q": 1}, agent="shipping"))
    d = diff_traces(a, b)
    assert [(t.op, t.agent) for t in d.tools] == [("removed", "billing"), ("same", "shipping")]
    assert "billing/lookup(q=1)" in render_diff(d)


# ------------------------------------------------------------------------------------------- fixtures, CLI


def fixture(name: str) -> Path:
    path = TRACES / f"{name}.otlp.json"
    if not path.exists():
        pytest.skip(f"{path.name} not generated (run fixtures/scripts to create it)")
    return path


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="agenttrace")
    add_diff_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_clean_run_vs_wrong_order_refund(capsys: pytest.CaptureFixture[str]) -> None:
    clean, wrong = fixture("clean_refund"), fixture("incident_wrong_order_refund")
    assert run_cli(["diff", str(clean), str(clean)]) == 0
    assert capsys.readouterr().out == "no differences\n"
    assert run_cli(["diff", str(clean), str(wrong)]) == 1
    out = capsys.readouterr().out
    assert "~ refund_order(order_id='A1043', amount=25.0)" in out
    assert "arguments order_id: 'A1043' -> 'A1044'" in out
    assert run_cli(["diff", "--json", str(clean), str(wrong)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [t["op"] for t in data["tools"]] == ["same", "changed"]
    assert data["final_output"]["b"] == "Refunded 80.00 EUR for your order."


def test_same_run_in_two_formats_is_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    otlp = fixture("incident_tool_loop")
    jsonl = otlp.with_name("incident_tool_loop.sdk.jsonl")
    assert run_cli(["diff", str(otlp), str(jsonl)]) == 0


def test_trajectory_only_ignores_token_changes(capsys: pytest.CaptureFixture[str]) -> None:
    clean, wrong = fixture("clean_refund"), fixture("incident_wrong_order_refund")
    assert run_cli(["diff", "--trajectory-only", str(clean), str(wrong)]) == 1
    with pytest.raises(SystemExit) as exc:
        run_cli(["diff", str(clean)])
    assert exc.value.code == 2
