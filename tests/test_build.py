"""The counting rules and normalizers, on small hand-built span records (one scenario per test)."""

from __future__ import annotations

import json

import pytest

from pytest_agenttrace import SpanEvent, SpanRecord, Trace, TraceStructureWarning
from pytest_agenttrace._build import canonical_finish_reason, canonical_provider

TID = "0af7651916cd43dd8448eb211c80319c"


def span(sid: str, name: str, parent: str | None = None, t: int = 0, *, end: int | None = None, **attrs: object):
    status = attrs.pop("_status", "UNSET")
    message = attrs.pop("_message", "")
    events = attrs.pop("_events", ())
    return SpanRecord(
        trace_id=TID,
        span_id=sid.rjust(16, "0"),
        parent_id=parent.rjust(16, "0") if parent else None,
        name=name,
        start_ns=t,
        end_ns=end if end is not None else t + 10,
        status_code=str(status),
        status_message=str(message),
        attributes=dict(attrs),
        events=tuple(events),  # type: ignore[arg-type]
    )


def ga(**kw: object) -> dict[str, object]:
    """`gen_ai_usage_input_tokens=3` -> `{"gen_ai.usage.input_tokens": 3}`."""
    return {k.replace("__", "@").replace("_", ".").replace("@", "_"): v for k, v in kw.items()}


def parts_msg(role: str, *parts: dict[str, object], finish: str | None = None) -> dict[str, object]:
    m: dict[str, object] = {"role": role, "parts": list(parts)}
    if finish:
        m["finish_reason"] = finish
    return m


def chat(
    sid: str,
    parent: str | None,
    t: int,
    *,
    inputs=(),
    outputs=(),
    model="gpt-4o-mini",
    tin=10,
    tout=5,
    finish=("stop",),
    end: int | None = None,
    **extra: object,
) -> SpanRecord:
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.response.model": model + "-2024-07-18",
        "gen_ai.usage.input_tokens": tin,
        "gen_ai.usage.output_tokens": tout,
        "gen_ai.response.finish_reasons": tuple(finish),
        "gen_ai.input.messages": json.dumps(list(inputs)),
        "gen_ai.output.messages": json.dumps(list(outputs)),
        **extra,
    }
    return span(sid, f"chat {model}", parent, t, end=end, **attrs)


def tool_span(
    sid: str,
    parent: str | None,
    t: int,
    name: str,
    args: object,
    result: object = None,
    call_id: str | None = None,
    **extra: object,
) -> SpanRecord:
    attrs: dict[str, object] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": name,
        "gen_ai.tool.call.arguments": json.dumps(args),
        **extra,
    }
    if result is not None:
        attrs["gen_ai.tool.call.result"] = json.dumps(result)
    if call_id:
        attrs["gen_ai.tool.call.id"] = call_id
    return span(sid, f"execute_tool {name}", parent, t, **attrs)


def agent_span(sid: str, name: str, parent: str | None, t: int, end: int, **extra: object) -> SpanRecord:
    return span(
        sid,
        f"invoke_agent {name}",
        parent,
        t,
        end=end,
        **{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name, **extra},
    )


TC = {"type": "tool_call", "id": "call_1", "name": "get_order", "arguments": {"order_id": "A1043"}}
TR = {"type": "tool_call_response", "id": "call_1", "response": {"order_id": "A1043", "total": 25.0}}


def refund_run(*, with_tool_span: bool, tool_span_id: str | None = "call_1") -> list[SpanRecord]:
    recs = [
        agent_span("a", "refund_agent", None, 0, 1000, **{"gen_ai.usage.input_tokens": 30}),
        chat(
            "c1",
            "a",
            10,
            inputs=[parts_msg("user", {"type": "text", "content": "refund A1043"})],
            outputs=[parts_msg("assistant", TC, finish="tool_calls")],
            finish=("tool_calls",),
        ),
        chat(
            "c2",
            "a",
            200,
            inputs=[
                parts_msg("user", {"type": "text", "content": "refund A1043"}),
                parts_msg("assistant", TC),
                parts_msg("tool", TR),
            ],
            outputs=[parts_msg("assistant", {"type": "text", "content": "Refunded."}, finish="stop")],
        ),
    ]
    if with_tool_span:
        recs.append(
            tool_span(
                "t1",
                "a",
                100,
                "get_order",
                {"order_id": "A1043"},
                {"order_id": "A1043", "total": 25.0},
                call_id=tool_span_id,
            )
        )
    return recs


# ------------------------------------------------------------------------------------------------ tool calls


def test_tool_span_and_its_message_are_one_call() -> None:
    trace = Trace.from_records(refund_run(with_tool_span=True))
    assert trace.tool_names == ["get_order"]
    (tc,) = trace.tool_calls
    assert tc.source == "span+messages"
    assert tc.arguments == {"order_id": "A1043"}
    assert tc.result == {"order_id": "A1043", "total": 25.0}
    assert tc.call_id == "call_1"
    assert tc.agent == "refund_agent"
    assert tc.llm_span_id == "00000000000000c1"


def test_tool_span_without_call_id_merges_with_the_message_by_name_and_arguments() -> None:
    trace = Trace.from_records(refund_run(with_tool_span=True, tool_span_id=None))
    (tc,) = trace.tool_calls
    assert tc.source == "span+messages"
    assert tc.call_id == "call_1"


def test_tool_calls_recovered_from_messages_when_no_tool_spans_exist() -> None:
    trace = Trace.from_records(refund_run(with_tool_span=False))
    (tc,) = trace.tool_calls
    assert tc.source == "messages"
    assert (tc.name, tc.arguments, tc.call_id) == ("get_order", {"order_id": "A1043"}, "call_1")
    assert tc.result == {"order_id": "A1043", "total": 25.0}
    assert tc.status == "ok"
    assert tc.duration_s is None
    # placed between the two model calls
    assert [s.kind for s in trace.steps] == ["agent", "llm", "tool", "llm"]


def test_message_tool_call_without_result_is_status_unknown() -> None:
    recs = [chat("c1", None, 0, outputs=[parts_msg("assistant", TC)], finish=("tool_calls",))]
    (tc,) = Trace.from_records(recs).tool_calls
    assert tc.status == "unknown" and tc.result is None


def test_different_arguments_are_different_calls() -> None:
    recs = refund_run(with_tool_span=False)
    recs.append(tool_span("t9", "a", 300, "get_order", {"order_id": "B2"}))
    trace = Trace.from_records(recs)
    assert [t.arguments for t in trace.tool_calls] == [{"order_id": "A1043"}, {"order_id": "B2"}]


def test_tool_error_from_status_and_exception_event() -> None:
    exc = SpanEvent("exception", 5, {"exception.type": "KeyError", "exception.message": "'A9'"})
    recs = [tool_span("t1", None, 0, "get_order", {"order_id": "A9"}, _status="ERROR", _events=(exc,))]
    (tc,) = Trace.from_records(recs).tool_calls
    assert tc.status == "error"
    assert tc.error == "KeyError: 'A9'"


def test_nested_same_name_tool_spans_are_one_call() -> None:
    recs = [
        span(
            "t1",
            "search.tool",
            None,
            0,
            end=100,
            **{"traceloop.span.kind": "tool", "traceloop.entity.input": '{"q": "x"}'},
        ),
        tool_span("t2", "t1", 10, "search", {"q": "x"}, ["r1"]),
    ]
    (tc,) = Trace.from_records(recs).tool_calls
    assert tc.name == "search"
    assert tc.result == ["r1"]


def test_call_wrapper_arguments_are_unwrapped() -> None:
    recs = [
        span(
            "t1",
            "web_search",
            None,
            0,
            **{
                "openinference.span.kind": "TOOL",
                "tool.name": "web_search",
                "input.value": '{"args": [], "kwargs": {"query": "tokyo"}}',
            },
        )
    ]
    (tc,) = Trace.from_records(recs).tool_calls
    assert tc.arguments == {"query": "tokyo"}


# ------------------------------------------------------------------------------------------------- LLM calls


def test_wrapper_model_spans_are_counted_once_and_fill_gaps() -> None:
    # ADK call_llm -> generate_content -> openai.chat, all with the same usage (Tempo fixture shape)
    recs = [
        span(
            "w1",
            "call_llm",
            None,
            0,
            end=100,
            **{
                "gen_ai.system": "gcp.vertex.agent",
                "gen_ai.request.model": "gpt-4.1-mini",
                "gen_ai.usage.input_tokens": 100,
                "gen_ai.usage.output_tokens": 20,
                "gen_ai.response.finish_reasons": '["stop"]',
            },
        ),
        span(
            "w2",
            "generate_content gpt-4.1-mini",
            "w1",
            5,
            end=95,
            **{
                "gen_ai.operation.name": "generate_content",
                "gen_ai.system": "gemini",
                "gen_ai.request.model": "gpt-4.1-mini",
                "gen_ai.usage.input_tokens": 100,
                "gen_ai.usage.output_tokens": 20,
            },
        ),
        span(
            "w3",
            "openai.chat",
            "w2",
            10,
            end=90,
            **{
                "gen_ai.system": "openai",
                "llm.request.type": "chat",
                "gen_ai.request.model": "gpt-4.1-mini",
                "gen_ai.usage.prompt_tokens": 100,
                "gen_ai.usage.completion_tokens": 20,
            },
        ),
    ]
    trace = Trace.from_records(recs)
    (call,) = trace.llm_calls
    assert call.span_id == "00000000000000w3"
    assert (call.input_tokens, call.output_tokens) == (100, 20)
    assert call.provider == "openai"
    assert call.finish_reasons == ("stop",)  # filled from the outer wrapper
    assert trace.totals.input_tokens == 100


def test_agent_span_totals_are_never_counted() -> None:
    trace = Trace.from_records(refund_run(with_tool_span=True))
    assert trace.input_tokens == 20  # two chat calls x 10, not + the agent's 30
    assert trace.output_tokens == 10


def test_same_response_id_is_one_call_when_the_spans_overlap() -> None:
    # two instrumentations of one model call (possibly in two traces)
    recs = [
        chat("c1", None, 0, end=100, **{"gen_ai.response.id": "r1"}),
        chat("c2", None, 10, end=90, **{"gen_ai.response.id": "r1"}),
    ]
    assert len(Trace.from_records(recs).llm_calls) == 1
    # a mock that reuses one canned id for sequential calls: two calls, tokens counted twice
    recs = [chat("c1", None, 0, **{"gen_ai.response.id": "r1"}), chat("c2", None, 50, **{"gen_ai.response.id": "r1"})]
    trace = Trace.from_records(recs)
    assert len(trace.llm_calls) == 2 and trace.input_tokens == 20


def test_deprecated_names_and_indexed_messages() -> None:
    recs = [
        span(
            "c1",
            "openai.chat",
            None,
            0,
            **{
                "gen_ai.system": "OpenAI",
                "llm.request.type": "chat",
                "gen_ai.request.model": "gpt-3.5-turbo",
                "gen_ai.usage.prompt_tokens": 12,
                "gen_ai.usage.completion_tokens": 7,
                "gen_ai.prompt.0.role": "user",
                "gen_ai.prompt.0.content": "What is 2+2?",
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.finish_reason": "tool_call",
                "gen_ai.completion.0.tool_calls.0.id": "c9",
                "gen_ai.completion.0.tool_calls.0.name": "add",
                "gen_ai.completion.0.tool_calls.0.arguments": '{"a": 2, "b": 2}',
            },
        )
    ]
    trace = Trace.from_records(recs)
    (call,) = trace.llm_calls
    assert call.provider == "openai"
    assert (call.input_tokens, call.output_tokens) == (12, 7)
    assert call.input_messages[0].text == "What is 2+2?"
    assert call.finish_reasons == ("tool_calls",)
    assert [(t.name, t.arguments, t.call_id) for t in trace.tool_calls] == [("add", {"a": 2, "b": 2}, "c9")]


def test_message_events_of_older_conventions() -> None:
    events = (
        SpanEvent("gen_ai.user.message", 1, {"content": "hi"}),
        SpanEvent(
            "gen_ai.choice", 2, {"index": 0, "finish_reason": "stop", "message": json.dumps({"content": "hello"})}
        ),
    )
    recs = [
        span("c1", "chat m", None, 0, **{"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"}, _events=events)
    ]
    (call,) = Trace.from_records(recs).llm_calls
    assert call.input_messages[0].text == "hi"
    assert call.output_messages[0].text == "hello"
    assert call.finish_reasons == ("stop",)


def test_openinference_llm_and_tool() -> None:
    recs = [
        span(
            "c1",
            "ChatOpenAI",
            None,
            0,
            **{
                "openinference.span.kind": "LLM",
                "llm.model_name": "gpt-4o-mini",
                "llm.provider": "openai",
                "llm.invocation_parameters": '{"model": "gpt-4o-mini", "temperature": 0}',
                "llm.token_count.prompt": 40,
                "llm.token_count.completion": 9,
                "llm.token_count.prompt_details.cache_read": 8,
                "llm.input_messages.0.message.role": "user",
                "llm.input_messages.0.message.content": "weather?",
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.tool_calls.0.tool_call.id": "t1",
                "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
                "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"city": "Paris"}',
            },
        ),
        span(
            "t1",
            "get_weather",
            None,
            20,
            **{
                "openinference.span.kind": "TOOL",
                "tool.name": "get_weather",
                "input.value": '{"city": "Paris"}',
                "output.value": "rainy",
            },
        ),
    ]
    trace = Trace.from_records(recs)
    (call,) = trace.llm_calls
    assert (call.request_model, call.response_model, call.temperature) == ("gpt-4o-mini", "gpt-4o-mini", 0.0)
    assert call.cache_read_tokens == 8
    (tc,) = trace.tool_calls
    assert (tc.name, tc.arguments, tc.result, tc.source) == ("get_weather", {"city": "Paris"}, "rainy", "span+messages")


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("stop", "stop"),
        ("end_turn", "stop"),
        ("tool_use", "tool_calls"),
        ("tool_call", "tool_calls"),
        ("MAX_TOKENS", "length"),
        ("max_tokens", "length"),
        ("FINISH_REASON_SAFETY", "content_filter"),
        ("content_filter", "content_filter"),
        ("something_new", "something_new"),
    ],
)
def test_finish_reasons_are_canonical(raw: str, canonical: str) -> None:
    assert canonical_finish_reason(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("OpenAI", "openai"),
        ("openai.responses", "openai"),
        ("gcp.vertex.agent", None),
        ("gemini", "google"),
        ("anthropic", "anthropic"),
        ("aws.bedrock", "aws.bedrock"),
        (None, None),
    ],
)
def test_providers_are_canonical(raw: str | None, canonical: str | None) -> None:
    assert canonical_provider(raw) == canonical


# --------------------------------------------------------------------------------------------------- agents


def test_nested_agents_have_parents_and_depths() -> None:
    recs = [
        agent_span("a", "orchestrator", None, 0, 1000),
        span("x", "some internal span", "a", 5, end=900),
        agent_span("b", "researcher", "x", 10, 500),
        tool_span("t1", "b", 20, "search", {"q": "x"}, ["r"]),
    ]
    trace = Trace.from_records(recs)
    assert [(a.name, a.parent_agent, a.depth) for a in trace.agents] == [
        ("orchestrator", None, 0),
        ("researcher", "orchestrator", 1),
    ]
    assert trace.tool_calls[0].agent == "researcher"
    assert trace.for_agent("researcher") == [trace.tool_calls[0]]


def test_final_output_prefers_the_root_agent_output() -> None:
    recs = refund_run(with_tool_span=True)
    recs[0] = agent_span("a", "refund_agent", None, 0, 1000, final_result='{"refunded": true}')
    assert Trace.from_records(recs).final_output == {"refunded": True}


def test_final_output_falls_back_to_the_last_answer() -> None:
    assert Trace.from_records(refund_run(with_tool_span=True)).final_output == "Refunded."


# ----------------------------------------------------------------------------------------------- structure


def test_orphan_spans_become_roots_with_a_note() -> None:
    recs = [tool_span("t1", "missing", 0, "x", {})]
    trace = Trace.from_records(recs, source="f.json")
    assert len(trace.roots) == 1
    assert trace.warnings and "not in the trace" in trace.warnings[0] and "f.json" in trace.warnings[0]


def test_conflicting_duplicate_span_ids_warn_and_keep_both() -> None:
    recs = [tool_span("t1", None, 0, "a", {}), tool_span("t1", None, 5, "b", {})]
    with pytest.warns(TraceStructureWarning, match="duplicate span id '00000000000000t1'"):
        trace = Trace.from_records(recs)
    assert trace.tool_names == ["a", "b"]


def test_exact_duplicate_spans_are_dropped_silently() -> None:
    rec = tool_span("t1", None, 0, "a", {})
    assert Trace.from_records([rec, rec]).tool_names == ["a"]


def test_parent_cycles_are_broken() -> None:
    recs = [span("p", "a", "q", 0), span("q", "b", "p", 1)]
    with pytest.warns(TraceStructureWarning, match="parent cycle"):
        trace = Trace.from_records(recs)
    assert len(trace.roots) == 1
    assert len(list(trace.iter_spans())) == 2


# ----------------------------------------------------------------------------------------------- queries


def test_query_api() -> None:
    trace = Trace.from_records(refund_run(with_tool_span=True))
    assert trace.find(kind="tool") == list(trace.tool_calls)
    assert trace.first({"kind": "llm", "finish_reason": "tool_calls"}) is trace.llm_calls[0]
    assert trace.any(kind="tool", arguments={"order_id": "A1043"})
    assert not trace.any(kind="tool", arguments={"order_id": "nope"})
    assert trace.first(lambda s: s.kind == "agent").name == "refund_agent"  # type: ignore[union-attr]
    assert trace.find({"kind": "llm", "not_": {"finish_reason": "stop"}}) == [trace.llm_calls[0]]
    assert trace.find({"or_": [{"kind": "tool"}, {"kind": "agent"}]}) == [trace.agents[0], trace.tool_calls[0]]
    with pytest.raises(TypeError, match="unknown query key"):
        trace.find({"nme": "x"})  # type: ignore[typeddict-unknown-key]


def test_repr_shows_the_trajectory() -> None:
    text = repr(Trace.from_records(refund_run(with_tool_span=True)))
    assert "agent refund_agent" in text
    assert "tool get_order(order_id='A1043')" in text
    assert "finish=tool_calls" in text
    assert "totals: 2 LLM calls, 1 tool calls" in text


def test_to_json_schema() -> None:
    data = Trace.from_records(refund_run(with_tool_span=True)).to_json()
    assert data["tool_calls"][0] | {} == data["tool_calls"][0]
    assert {"name", "call_id", "arguments", "result", "error", "agent"} <= set(data["tool_calls"][0])
    assert {
        "request_model",
        "response_model",
        "input_tokens",
        "output_tokens",
        "finish_reasons",
        "agent",
        "error",
    } <= set(data["llm_calls"][0])
    assert data["totals"]["llm_calls"] == 2 and data["totals"]["tool_calls"] == 1
    assert {"input_tokens", "output_tokens", "errors"} <= set(data["totals"])
    json.dumps(data)


def test_pydantic_ai_output_tools_are_not_tool_calls() -> None:
    final = {"type": "tool_call", "id": "c9", "name": "final_result", "arguments": {"answer": "ok"}}
    recs = [
        chat(
            "c1",
            None,
            0,
            outputs=[parts_msg("assistant", final)],
            finish=("tool_call",),
            model_request_parameters=json.dumps({"output_tools": [{"name": "final_result"}], "function_tools": []}),
        ),
    ]
    assert Trace.from_records(recs).tool_calls == ()


def test_system_instructions_become_a_leading_system_message() -> None:
    recs = [
        chat(
            "c1",
            None,
            0,
            inputs=[parts_msg("user", {"type": "text", "content": "hi"})],
            **{"gen_ai.system_instructions": json.dumps([{"type": "text", "content": "Be brief."}])},
        )
    ]
    (call,) = Trace.from_records(recs).llm_calls
    assert [(m.role, m.text) for m in call.input_messages] == [("system", "Be brief."), ("user", "hi")]


def test_twin_tool_spans_in_two_traces_are_one_call() -> None:
    # OpenInference's TOOL span is never made current: a @tool span inside it starts its own trace
    outer = span(
        "t1",
        "get_weather",
        "a",
        10,
        end=50,
        **{"openinference.span.kind": "TOOL", "tool.name": "get_weather", "input.value": "Paris"},
    )
    inner = SpanRecord(
        trace_id="f" * 32,
        span_id="00000000000000t2",
        name="execute_tool get_weather",
        start_ns=20,
        end_ns=40,
        attributes={
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.call.arguments": '{"city": "Paris"}',
            "gen_ai.tool.call.result": '"sunny"',
        },
    )
    trace = Trace.from_records([agent_span("a", "travel", None, 0, 100), outer, inner])
    (tc,) = trace.tool_calls
    assert (tc.agent, tc.result) == ("travel", "sunny")
    # two separate executions (not nested in time) stay two calls
    later = SpanRecord(
        trace_id="f" * 32,
        span_id="00000000000000t3",
        name="execute_tool get_weather",
        start_ns=60,
        end_ns=70,
        attributes=dict(inner.attributes),
    )
    assert len(Trace.from_records([agent_span("a", "travel", None, 0, 100), outer, inner, later]).tool_calls) == 2
