"""`agenttrace lint`: each rule on small hand-built traces, the incident fixtures, third-party traces, the CLI."""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from pytest_agenttrace import (
    AgentRun,
    LLMCall,
    Message,
    SpanNode,
    SpanRecord,
    TextPart,
    ToolCall,
    ToolCallPart,
    ToolResultPart,
    Trace,
)
from pytest_agenttrace.lint import (
    RULE_NAMES,
    Finding,
    LintConfig,
    add_lint_parser,
    lint_report,
    lint_trace,
    render_findings,
)

REPO = Path(__file__).resolve().parents[1]
TRACES = REPO / "fixtures" / "traces"
SHARED = REPO / ".." / "shared" / "fixtures" / "traces"
TID = "0af7651916cd43dd8448eb211c80319c"


# ------------------------------------------------------------------------------------------------ builders


def make_trace(
    *,
    agents: list[AgentRun] = (),  # type: ignore[assignment]
    llm: list[LLMCall] = (),  # type: ignore[assignment]
    tools: list[ToolCall] = (),  # type: ignore[assignment]
    parents: dict[str, str | None] | None = None,
    final: Any = None,
) -> Trace:
    """A trace from steps; `parents` (span id -> parent span id) builds the span tree the error rule walks."""
    nodes: dict[str, SpanNode] = {}
    roots: list[SpanNode] = []
    for sid, pid in (parents or {}).items():
        nodes[sid] = SpanNode(SpanRecord(trace_id=TID, span_id=sid, name=f"span {sid}", parent_id=pid))
    for sid, node in nodes.items():
        pid = (parents or {})[sid]
        if pid is None:
            roots.append(node)
        else:
            node.parent = nodes[pid]
            nodes[pid].children.append(node)
    return Trace(
        records=[n.record for n in nodes.values()],
        roots=roots,
        nodes=nodes,
        agents=agents,
        llm_calls=llm,
        tool_calls=tools,
        final_output=final,
    )


def tool(name: str, t: int, args: Any = None, *, result: Any = None, error: str | None = None, **kw: Any) -> ToolCall:
    kw.setdefault("agent_span_id", "a1")
    kw.setdefault("span_id", f"t{t}")
    return ToolCall(
        name=name,
        arguments=args,
        result=result,
        error=error,
        status="error" if error else "ok",
        start_ns=t,
        end_ns=t + 1,
        **kw,
    )


def llm(t: int, *, finish: tuple[str, ...] = ("stop",), text: str | None = None, **kw: Any) -> LLMCall:
    kw.setdefault("agent_span_id", "a1")
    out = kw.pop("output_messages", None)
    if out is None and text is not None:
        out = (Message(role="assistant", parts=(TextPart(content=text),)),)
    return LLMCall(
        span_id=kw.pop("span_id", f"l{t}"),
        request_model="gpt-4o-mini",
        finish_reasons=finish,
        output_messages=out or (),
        start_ns=t,
        end_ns=t + 1,
        **kw,
    )


def user(text: str) -> Message:
    return Message(role="user", parts=(TextPart(content=text),))


def rules(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


# ---------------------------------------------------------------------------------------------- clean runs


def test_clean_run_has_no_findings_and_renders_no_findings() -> None:
    trace = make_trace(
        llm=[llm(1, finish=("tool_calls",), input_messages=(user("refund order A1043"),)), llm(5, text="done")],
        tools=[
            tool("get_order", 2, {"order_id": "A1043"}, result={"order_id": "A1043"}),
            tool("refund_order", 3, {"order_id": "A1043"}, result={"order_id": "A1043"}),
        ],
    )
    report = lint_report(trace)
    assert report.findings == ()
    assert not report
    assert render_findings(trace, report) == "no findings"


def test_empty_trace_has_no_findings() -> None:
    assert lint_trace(Trace.empty()) == []


# ---------------------------------------------------------------------------------------------- error rules


def test_tool_error_points_at_the_tool_span_and_step() -> None:
    trace = make_trace(tools=[tool("check_warehouse", 2, {"sku": "M"}, error="ToolFailure: timed out")])
    [f] = lint_trace(trace)
    assert (f.rule, f.severity, f.span_id, f.step_index) == ("tool-error", "error", "t2", 0)
    assert "check_warehouse failed: ToolFailure: timed out" in f.message


def test_tool_error_the_agent_recovered_from_is_a_warning() -> None:
    trace = make_trace(
        tools=[
            tool("geocode", 2, {"city": "Londn"}, error="unknown city"),
            tool("geocode", 4, {"city": "London"}, result={"lat": 51.5}),
        ]
    )
    [f] = lint_trace(trace)
    assert (f.rule, f.severity) == ("tool-error", "warning")
    assert "recovered" in f.message and "step 1" in f.message


def test_a_success_in_another_agent_run_is_not_a_recovery() -> None:
    trace = make_trace(
        tools=[
            tool("geocode", 2, {"city": "Londn"}, error="unknown city"),
            tool("geocode", 4, {"city": "London"}, result={"lat": 51.5}, agent_span_id="a2"),
        ]
    )
    [f] = lint_trace(trace)
    assert f.severity == "error"


def test_a_propagated_failure_is_reported_once_at_the_innermost_span() -> None:
    # root agent a1 -> tool t2 (agent-as-tool, failed) -> agent a2 (failed) -> tool t3 (failed)
    parents = {"a1": None, "t2": "a1", "a2": "t2", "t3": "a2"}
    trace = make_trace(
        parents=parents,
        agents=[
            AgentRun(name="lead", span_id="a1", start_ns=0),
            AgentRun(name="inventory", span_id="a2", parent_span_id="a1", start_ns=2, error="ToolFailure: down"),
        ],
        tools=[
            tool("ask_inventory", 1, {"q": "?"}, error="ToolFailure: down", span_id="t2"),
            tool("check_warehouse", 3, {"sku": "M"}, error="ToolFailure: down", span_id="t3", agent_span_id="a2"),
        ],
    )
    [f] = lint_trace(trace)
    assert (f.rule, f.span_id) == ("tool-error", "t3")
    assert "propagated to agent inventory, tool ask_inventory" in f.message


def test_llm_error_and_agent_error() -> None:
    trace = make_trace(
        parents={"a1": None, "l1": None},
        agents=[AgentRun(name="solo", span_id="a1", error="RuntimeError: boom")],
        llm=[llm(1, error="RateLimitError: 429", span_id="l1")],
    )
    found = lint_trace(trace)
    assert sorted(rules(found)) == ["agent-error", "llm-error"]


# ------------------------------------------------------------------------------------- finish-reason rules


def test_truncated_final_answer() -> None:
    trace = make_trace(llm=[llm(1, finish=("length",), text="The refund of 25 EUR was iss", output_tokens=32)])
    trace = make_trace(llm=list(trace.llm_calls), final="The refund of 25 EUR was iss")
    [f] = lint_trace(trace)
    assert (f.rule, f.span_id) == ("truncated", "l1")
    assert "the final answer is cut off" in f.message and "32 output tokens" in f.message


def test_truncated_text_passed_on_as_a_tool_result_is_named() -> None:
    cut = "Stock unknown because the warehouse ti"
    trace = make_trace(
        llm=[llm(3, finish=("length",), text=cut, agent_span_id="a2")],
        tools=[tool("ask_inventory", 1, {"q": "stock?"}, result=cut)],
    )
    [f] = lint_trace(trace)
    assert f.rule == "truncated" and "result of tool ask_inventory" in f.message


def test_content_filter() -> None:
    [f] = lint_trace(make_trace(llm=[llm(1, finish=("content_filter",))]))
    assert f.rule == "content-filter"


def test_normal_finish_reasons_are_quiet() -> None:
    trace = make_trace(llm=[llm(1, finish=("tool_calls",)), llm(2, finish=("stop",)), llm(3, finish=())])
    assert lint_trace(trace) == []


# ------------------------------------------------------------------------------------------ repeated calls


def test_three_identical_calls_are_a_loop() -> None:
    calls = [tool("search_kb", t, {"query": "refund status"}, result={"hits": []}) for t in (2, 4, 6, 8)]
    [f] = lint_trace(make_trace(tools=calls))
    assert (f.rule, f.severity) == ("repeated-tool-call", "error")
    assert "4 times" in f.message and "steps 0, 1, 2, 3" in f.message
    assert f.span_id == "t6"  # the call that reached the limit


def test_arguments_compare_as_canonical_json() -> None:
    calls = [
        tool("search", 1, {"q": "x", "n": 1}),
        tool("search", 2, '{"n": 1, "q": "x"}'),
        tool("search", 3, {"n": 1, "q": "x"}),
    ]
    assert rules(lint_trace(make_trace(tools=calls))) == ["repeated-tool-call"]


def test_a_retry_after_an_error_is_not_a_loop() -> None:
    calls = [tool("get_order", 1, {"id": "A"}, error="Timeout"), tool("get_order", 2, {"id": "A"}, result={"x": 1})]
    assert "repeated-tool-call" not in rules(lint_trace(make_trace(tools=calls)))


def test_two_identical_successful_calls_in_a_row_with_the_same_result_are_a_warning() -> None:
    calls = [tool("get_order", 1, {"id": "A"}, result={"x": 1}), tool("get_order", 2, {"id": "A"}, result={"x": 1})]
    [f] = lint_trace(make_trace(tools=calls))
    assert (f.rule, f.severity, f.span_id) == ("repeated-tool-call", "warning", "t2")


def test_two_identical_calls_with_different_results_or_apart_are_fine() -> None:
    changed = [tool("now", 1, {}, result="10:00"), tool("now", 2, {}, result="10:01")]
    apart = [
        tool("list_files", 1, {}, result=["a"]),
        tool("write_file", 2, {"name": "b"}, result="ok"),
        tool("list_files", 3, {}, result=["a"]),
    ]
    assert lint_trace(make_trace(tools=changed)) == []
    assert lint_trace(make_trace(tools=apart)) == []


def test_identical_calls_in_different_agent_runs_are_not_a_loop() -> None:
    calls = [tool("get_order", t, {"id": "A"}, result={"x": 1}, agent_span_id=f"a{t}") for t in (1, 2, 3)]
    assert lint_trace(make_trace(tools=calls)) == []


def test_the_loop_threshold_is_configurable() -> None:
    calls = [tool("s", t, {"q": "x"}, error="boom") for t in (1, 2, 3)]
    cfg = LintConfig(max_identical_tool_calls=4, ignore=frozenset({"tool-error"}))
    assert lint_trace(make_trace(tools=calls), config=cfg) == []
    cfg = LintConfig(max_identical_tool_calls=3, ignore=frozenset({"tool-error"}))
    assert rules(lint_trace(make_trace(tools=calls), config=cfg)) == ["repeated-tool-call"]


# ------------------------------------------------------------------------------------------ delegation


def agents_chain(*names: str) -> list[AgentRun]:
    out = []
    for i, name in enumerate(names):
        out.append(AgentRun(name=name, span_id=f"g{i}", parent_span_id=f"g{i - 1}" if i else None, start_ns=i))
    return out


def test_delegation_cycle_is_found_once() -> None:
    found = lint_trace(make_trace(agents=agents_chain("triage", "billing", "triage", "billing")))
    assert rules(found).count("delegation-cycle") == 2  # triage->billing->triage and billing->triage->billing
    assert any("triage -> billing -> triage" in f.message for f in found)


def test_self_nesting_and_plain_delegation_are_not_cycles() -> None:
    assert lint_trace(make_trace(agents=agents_chain("triage", "triage"))) == []
    assert lint_trace(make_trace(agents=agents_chain("triage", "billing", "refunds"))) == []


# ------------------------------------------------------------------------------- hallucinated tool results


def result_msg(call_id: str, result: Any = "ok") -> Message:
    return Message(role="tool", parts=(ToolResultPart(id=call_id, result=result),))


def request_msg(*ids: str) -> tuple[Message, ...]:
    return (Message(role="assistant", parts=tuple(ToolCallPart(id=i, name="get_order", arguments={}) for i in ids)),)


def test_a_tool_result_no_call_produced_is_hallucinated() -> None:
    first = llm(1, finish=("tool_calls",), input_messages=(user("hi"),), output_messages=request_msg("call_1"))
    second = llm(5, input_messages=(user("hi"), *request_msg("call_1"), result_msg("call_1"), result_msg("call_9")))
    [f] = lint_trace(make_trace(llm=[first, second]))
    assert (f.rule, f.span_id, f.step_index) == ("hallucinated-tool-result", "l5", 1)
    assert "'call_9'" in f.message


def test_results_of_requested_or_executed_calls_are_fine() -> None:
    first = llm(1, finish=("tool_calls",), output_messages=request_msg("call_1"))
    second = llm(5, input_messages=(result_msg("call_1"), result_msg("call_2")))
    executed = tool("get_order", 2, {}, call_id="call_2")
    assert lint_trace(make_trace(llm=[first, second], tools=[executed])) == []


def test_history_given_to_the_first_call_is_not_checked() -> None:
    first = llm(1, input_messages=(result_msg("old_1"),), output_messages=request_msg("call_1"))
    second = llm(5, input_messages=(result_msg("old_1"), result_msg("call_1")))
    assert lint_trace(make_trace(llm=[first, second])) == []


def test_no_check_when_the_previous_call_recorded_no_output() -> None:
    first = llm(1, output_messages=request_msg("call_1"))
    blind = llm(3)  # no output messages recorded
    third = llm(5, input_messages=(result_msg("call_7"),))
    assert lint_trace(make_trace(llm=[first, blind, third])) == []


def test_no_check_when_the_trace_records_no_requests_with_ids() -> None:
    first = llm(1, text="calling a tool")  # output recorded, but no tool-call parts anywhere in the trace
    second = llm(5, input_messages=(result_msg("call_7"),))
    assert lint_trace(make_trace(llm=[first, second])) == []


# ------------------------------------------------------------------------------- contradicting arguments


def refund_trace(user_text: str, refund_id: str, *, listing: Any = None) -> Trace:
    return make_trace(
        llm=[llm(1, finish=("tool_calls",), input_messages=(user(user_text),)), llm(9, text="done")],
        tools=[
            tool("get_order", 2, {"order_id": "A1043"}, result=listing or {"order_id": "A1043", "total": 25.0}),
            tool("refund_order", 4, {"order_id": refund_id, "amount": 25.0}, result={"status": "ok"}),
        ],
    )


def test_an_id_contradicting_an_earlier_result_is_found() -> None:
    [f] = lint_trace(refund_trace("Please refund my order A1043", "A1044"))
    assert (f.rule, f.span_id, f.step_index) == ("contradicting-argument", "t4", 2)
    assert f.message.startswith("refund_order got order_id='A1044' but get_order returned order_id='A1043'")


def test_an_id_the_user_mentioned_is_not_a_contradiction() -> None:
    assert lint_trace(refund_trace("I have orders A1043 and A1044; refund the lamp", "A1044")) == []


def test_an_id_that_matches_an_earlier_result_is_fine() -> None:
    assert lint_trace(refund_trace("refund my mug", "A1043")) == []
    listing = {"orders": [{"order_id": "A1043"}, {"order_id": "A1044"}]}
    assert lint_trace(refund_trace("refund my lamp", "A1044", listing=listing)) == []


def test_the_mention_check_is_whole_word() -> None:
    # "A10445" in the user text does not ground "A1044"
    assert rules(lint_trace(refund_trace("order A10445 please", "A1044"))) == ["contradicting-argument"]


def test_no_check_without_recorded_user_text() -> None:
    trace = refund_trace("refund A1043", "A1044")
    blind = make_trace(llm=[llm(1), llm(9)], tools=list(trace.tool_calls))  # no input messages recorded
    assert lint_trace(blind) == []
    with_agent_input = make_trace(
        agents=[AgentRun(name="refunds", span_id="a1", input="refund my order A1043")], tools=list(trace.tool_calls)
    )
    assert rules(lint_trace(with_agent_input)) == ["contradicting-argument"]


def test_ids_without_an_earlier_result_for_that_key_are_not_checked() -> None:
    trace = make_trace(tools=[tool("get_customer", 1, {"customer_id": "C9"}, result={"name": "Ann"})])
    assert lint_trace(trace) == []


# ---------------------------------------------------------------------------------------------- budget


def test_budget_counts_and_tokens() -> None:
    trace = make_trace(
        llm=[llm(t, input_tokens=100, output_tokens=10) for t in (1, 3, 5)],
        tools=[tool("a", 2, {"i": 1}), tool("b", 4, {"i": 2})],
    )
    assert lint_trace(trace) == []  # no thresholds by default
    cfg = LintConfig(max_llm_calls=2, max_tool_calls=1, max_total_tokens=300)
    found = lint_trace(trace, config=cfg)
    assert rules(found) == ["budget", "budget", "budget"]
    assert [f.span_id for f in found[:2]] == ["t4", "l5"]  # the first call over each limit, in step order
    assert "330 tokens" in found[2].message


def test_budget_cost_uses_recorded_costs() -> None:
    trace = make_trace(llm=[llm(1, recorded_cost_usd=0.02), llm(2, recorded_cost_usd=0.05)])
    [f] = lint_trace(trace, config=LintConfig(max_cost_usd=0.05))
    assert f.rule == "budget" and "$0.070000" in f.message
    assert lint_trace(trace, config=LintConfig(max_cost_usd=0.10)) == []


def test_budget_cost_of_an_unpriced_model_is_a_note_not_a_finding() -> None:
    call = LLMCall(span_id="l1", request_model="my-private-model-x", input_tokens=10, output_tokens=5)
    report = lint_report(make_trace(llm=[call]), config=LintConfig(max_cost_usd=0.0))
    assert report.findings == ()
    assert len(report.notes) == 1 and "cost not checked" in report.notes[0]
    assert "my-private-model-x" in report.notes[0]


# ---------------------------------------------------------------------------------------------- config


def test_ignore_turns_rules_off_and_rejects_unknown_names() -> None:
    trace = make_trace(llm=[llm(1, finish=("length",))], tools=[tool("t", 2, {}, error="x")])
    assert sorted(rules(lint_trace(trace))) == ["tool-error", "truncated"]
    assert rules(lint_trace(trace, config=LintConfig(ignore=frozenset({"truncated"})))) == ["tool-error"]
    with pytest.raises(ValueError, match="unknown lint rule"):
        LintConfig(ignore=frozenset({"truncation"}))
    with pytest.raises(ValueError, match="at least 2"):
        LintConfig(max_identical_tool_calls=1)


def test_findings_are_json_and_render_with_span_and_step() -> None:
    trace = make_trace(parents={"t2": None}, tools=[tool("check_warehouse", 2, {"sku": "M"}, error="timeout")])
    report = lint_report(trace)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["findings"][0] == {
        "rule": "tool-error",
        "severity": "error",
        "message": "tool check_warehouse failed: timeout",
        "span_id": "t2",
        "step_index": 0,
    }
    text = render_findings(trace, report)
    assert "error[tool-error] tool check_warehouse failed: timeout" in text
    assert "at span t2 'span t2'" in text
    assert "step 0: tool check_warehouse(sku='M') -> ERROR timeout" in text


def test_rule_names_are_unique() -> None:
    assert len(RULE_NAMES) == len(set(RULE_NAMES)) == 10


# ------------------------------------------------------------------------------------- fixture incidents


def load(path: Path) -> Trace:
    from pytest_agenttrace.formats import load_trace

    if not path.exists():
        pytest.skip(f"{path.name} not generated (run fixtures/scripts to create it)")
    return load_trace(path)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("incident_wrong_order_refund", [("contradicting-argument", "execute_tool refund_order")]),
        ("incident_tool_loop", [("repeated-tool-call", "execute_tool search_kb")]),
        (
            "incident_truncated_subagent",
            [("tool-error", "execute_tool check_warehouse"), ("truncated", "chat gpt-4o-mini")],
        ),
        ("clean_refund", []),
    ],
)
def test_incident_fixtures_are_named_and_the_clean_run_is_quiet(fixture: str, expected: list[Any]) -> None:
    trace = load(TRACES / f"{fixture}.otlp.json")
    found = lint_trace(trace)
    assert [(f.rule, trace.span(f.span_id).name) for f in found if f.span_id] == expected
    assert all(f.severity == "error" for f in found)


def test_wrong_order_refund_message_names_both_ids() -> None:
    [f] = lint_trace(load(TRACES / "incident_wrong_order_refund.otlp.json"))
    assert "order_id='A1044'" in f.message and "order_id='A1043'" in f.message


def shared_files() -> list[Path]:
    if not SHARED.is_dir():
        return []
    return sorted(p for p in SHARED.glob("*/*.json"))


#: Third-party traces on which lint found nothing when these rules were written (false-positive pins).
QUIET_THIRD_PARTY = {
    "kagent-helm-agent_jaeger-api.json",
    "kagent-helm-agent_tempo-otlp-batches.json",
    "GOOGLE_trace.json",
    "OPENAI_trace.json",
    "beeai-2025-08-01.langfuse-export.json",
    "claude-agent-2025-12-22.langfuse-export.json",
    "csharp-agent-with-gemini-2026-03-09.langfuse-export.json",
    "google-adk-2025-08-28.langfuse-export.json",
    "koog-2025-08-26.langfuse-export.json",
    "microsoft-agent-2025-12-17.langfuse-export.json",
    "openlit-1.27.0_openai-chat_otlp-protobufjs-decoded.json",
    "openllmetry-openai-0.33.9_openai-chat_otlp-protobufjs-decoded.json",
    "attrs_openinference_client_span_tool_calls.json",
    "attrs_otel_genai_client_span_tool_calls.json",
    "attrs_otel_genai_deprecated_client_span_tool_calls.json",
    "vercel-ai-sdk-v6_all-spans_readablespan.json",
    "openai-agents-sdk_traces-ingest-payloads_recipe-agents-hierarchy.json",
    "adk_live_spans.json",
    "autogen_live_spans.json",
    "claude_adot_spans.json",
    "openai_agents_genai_adot_spans.json",
    "openai_agents_genai_live_spans.json",
    "openai_agents_openinference_live_spans.json",
    "pydantic_ai_live_spans.json",
    "smolagents_live_spans.json",
}


@pytest.mark.parametrize("path", shared_files() or [None], ids=lambda p: p.name if p else "absent")
def test_lint_runs_on_third_party_traces(path: Path | None) -> None:
    if path is None:
        pytest.skip("../shared/fixtures not present (third-party fixtures are not shipped)")
    from pytest_agenttrace.formats import load_trace

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # structure warnings of odd third-party files are the reader's business
        trace = load_trace(path)
    report = lint_report(trace, config=LintConfig(max_llm_calls=1000, max_tool_calls=1000))
    json.dumps(report.to_dict())
    render_findings(trace, report)
    if path.name in QUIET_THIRD_PARTY:
        assert report.findings == ()


# ------------------------------------------------------------------------------------------------ CLI


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="agenttrace")
    add_lint_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_exit_codes_and_output(capsys: pytest.CaptureFixture[str]) -> None:
    clean, loop = TRACES / "clean_refund.otlp.json", TRACES / "incident_tool_loop.otlp.json"
    if not (clean.exists() and loop.exists()):
        pytest.skip("incident fixtures not generated")
    assert run_cli(["lint", str(clean)]) == 0
    assert capsys.readouterr().out == "no findings\n"
    assert run_cli(["lint", str(loop)]) == 1
    out = capsys.readouterr().out
    assert "error[repeated-tool-call] tool search_kb called 4 times" in out
    assert "at span " in out and "'execute_tool search_kb'" in out
    assert run_cli(["lint", "--json", str(clean), str(loop)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["findings"] == 1
    assert [len(t["findings"]) for t in data["traces"]] == [0, 1]
    assert run_cli(["lint", "--ignore", "repeated-tool-call", str(loop)]) == 0
    capsys.readouterr()
    assert run_cli(["lint", "--max-llm-calls", "4", str(loop)]) == 1
    assert "5 LLM calls, over the limit of 4" in capsys.readouterr().out


def test_cli_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["lint", "--ignore", "nope", "x.json"], ["lint", "--max-repeats", "1", "x.json"], ["lint"]):
        with pytest.raises(SystemExit) as exc:
            run_cli(argv)
        assert exc.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err
