"""The fake LLM server (fixtures/scripts/fake_llm.py) speaks what the real openai and anthropic SDKs parse.

The fixture traces are generated against it, and examples and cassette tests reuse it, so a wire-format slip here
would silently corrupt all of them. Each test drives a real SDK client, JSON and streaming.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "scripts"))

from fake_llm import FakeLLM, FakeLLMError, Reply, ToolCall, Usage

anthropic = pytest.importorskip("anthropic")
openai = pytest.importorskip("openai")

TOOL_REPLY = Reply(
    text=None,
    tool_calls=[
        ToolCall(id="call_1", name="get_order", arguments={"order_id": "A1043"}),
        ToolCall(name="refund_order", arguments={"order_id": "A1043", "amount": 25.0}),
    ],
    usage=Usage(input_tokens=120, output_tokens=30, cache_read_tokens=100, cache_write_tokens=10),
    model="gpt-4o-mini-2024-07-18",
)
TEXT_REPLY = Reply(text="Refunded 25.00 on order A1043.", usage=Usage(input_tokens=7))
CUT_REPLY = Reply(text="Refunded 25.00 on", finish_reason="length")


def _openai(srv: FakeLLM) -> Any:
    return openai.OpenAI(base_url=srv.base_url, api_key="x", max_retries=0)


def _anthropic(srv: FakeLLM) -> Any:
    return anthropic.Anthropic(base_url=srv.url, api_key="x", max_retries=0, open_telemetry=False)


MSGS = [{"role": "user", "content": "refund A1043"}]


def test_chat_completions_json() -> None:
    with FakeLLM([TOOL_REPLY, TEXT_REPLY, CUT_REPLY]) as srv:
        client = _openai(srv)
        first = client.chat.completions.create(model="gpt-4o-mini", messages=MSGS)
        second = client.chat.completions.create(model="gpt-4o-mini", messages=MSGS, temperature=0)
        cut = client.chat.completions.create(model="gpt-4o-mini", messages=MSGS)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert first.model == "gpt-4o-mini-2024-07-18"
    calls = choice.message.tool_calls
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("call_1", "get_order", {"order_id": "A1043"}),
        (calls[1].id, "refund_order", {"order_id": "A1043", "amount": 25.0}),
    ]
    assert first.usage.prompt_tokens == 120 and first.usage.completion_tokens == 30
    assert first.usage.prompt_tokens_details.cached_tokens == 100
    assert second.choices[0].message.content == "Refunded 25.00 on order A1043."
    assert second.choices[0].finish_reason == "stop"
    assert (cut.choices[0].finish_reason, cut.choices[0].message.content) == ("length", "Refunded 25.00 on")
    assert second.model == "gpt-4o-mini"  # echoes the request model when the reply names none
    assert [b["temperature"] for b in srv.bodies if "temperature" in b] == [0]
    assert srv.requests[0].path == "/v1/chat/completions" and srv.unused == 0


def test_chat_completions_stream_with_usage() -> None:
    with FakeLLM([TOOL_REPLY, TEXT_REPLY]) as srv:
        client = _openai(srv)
        chunks = list(
            client.chat.completions.create(
                model="gpt-4o-mini", messages=MSGS, stream=True, stream_options={"include_usage": True}
            )
        )
        with client.chat.completions.stream(model="gpt-4o-mini", messages=MSGS) as stream:
            final = stream.get_final_completion()
    args: dict[int, str] = {}
    for c in chunks:
        for choice in c.choices:
            for tc in choice.delta.tool_calls or []:
                args[tc.index] = args.get(tc.index, "") + (tc.function.arguments or "")
    assert {i: json.loads(a) for i, a in args.items()} == {
        0: {"order_id": "A1043"},
        1: {"order_id": "A1043", "amount": 25.0},
    }
    assert [ch.finish_reason for c in chunks for ch in c.choices if ch.finish_reason] == ["tool_calls"]
    assert chunks[-1].usage.prompt_tokens == 120 and chunks[-1].choices == []
    assert final.choices[0].message.content == "Refunded 25.00 on order A1043."
    assert final.choices[0].finish_reason == "stop"
    assert final.usage is None  # no include_usage: no usage chunk


def test_responses_json_and_stream() -> None:
    with FakeLLM([TOOL_REPLY, TEXT_REPLY, CUT_REPLY]) as srv:
        client = _openai(srv)
        resp = client.responses.create(model="gpt-4o-mini", input="refund A1043")
        with client.responses.stream(model="gpt-4o-mini", input="refund A1043") as stream:
            deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
            final = stream.get_final_response()
        events = list(client.responses.create(model="gpt-4o-mini", input="refund A1043", stream=True))
    calls = [item for item in resp.output if item.type == "function_call"]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("get_order", {"order_id": "A1043"}),
        ("refund_order", {"order_id": "A1043", "amount": 25.0}),
    ]
    assert calls[0].call_id == "call_1"
    assert resp.usage.input_tokens_details.cached_tokens == 100
    assert "".join(deltas) == final.output_text == "Refunded 25.00 on order A1043."
    assert final.status == "completed" and final.usage.input_tokens == 7
    assert events[-1].type == "response.incomplete"  # a `length` reply: what the API sends for max_output_tokens
    assert events[-1].response.incomplete_details.reason == "max_output_tokens"
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_anthropic_json_and_stream() -> None:
    with FakeLLM([TOOL_REPLY, CUT_REPLY, TOOL_REPLY]) as srv:
        client = _anthropic(srv)
        msg = client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=MSGS)
        with client.messages.stream(model="claude-haiku-4-5", max_tokens=100, messages=MSGS) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
        raw = list(client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=MSGS, stream=True))
    assert msg.stop_reason == "tool_use"
    assert [(b.id, b.name, b.input) for b in msg.content] == [
        ("call_1", "get_order", {"order_id": "A1043"}),
        (msg.content[1].id, "refund_order", {"order_id": "A1043", "amount": 25.0}),
    ]
    assert (msg.usage.input_tokens, msg.usage.cache_read_input_tokens, msg.usage.cache_creation_input_tokens) == (
        10,
        100,
        10,
    )
    assert text == final.content[0].text == "Refunded 25.00 on"
    assert final.stop_reason == "max_tokens" and final.usage.output_tokens == 5
    assert [e.type for e in raw][:2] == ["message_start", "content_block_start"]
    assert next(e for e in raw if e.type == "message_delta").delta.stop_reason == "tool_use"
    assert srv.requests[0].path == "/v1/messages"


def test_callable_script_and_errors() -> None:
    def pick(body: dict[str, Any]) -> Reply | str:
        return "short" if body["model"] == "small" else Reply(status=429, error="slow down")

    with FakeLLM(pick) as srv:
        client = _openai(srv)
        assert client.chat.completions.create(model="small", messages=MSGS).choices[0].message.content == "short"
        with pytest.raises(openai.RateLimitError, match="slow down"):
            client.chat.completions.create(model="big", messages=MSGS)
    with (
        pytest.raises(FakeLLMError, match="script callable raised KeyError"),
        FakeLLM(lambda body: body["no_such_key"]) as srv,
        pytest.raises(openai.InternalServerError),
    ):
        _openai(srv).chat.completions.create(model="m", messages=MSGS)
    with (
        pytest.raises(FakeLLMError, match="script exhausted"),
        FakeLLM([]) as srv,
        pytest.raises(openai.InternalServerError),
    ):
        _openai(srv).chat.completions.create(model="m", messages=MSGS)


# ------------------------------------------------------------------------------------- the generated files

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
EXPECTED = sorted(TRACES.glob("*.expected.json"))
HEX = {"traceId": 32, "spanId": 16, "parentSpanId": 16}


def _otlp_spans(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [span for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for span in ss["spans"]]


def test_fixture_set_is_complete() -> None:
    names = {p.name.removesuffix(".expected.json") for p in EXPECTED}
    assert {
        "openai_v2_tools",
        "openai_v2_stream_no_tool_spans",
        "pydantic_ai_weather",
        "langgraph_openinference",
        "multi_agent_propagation",
        "incident_wrong_order_refund",
        "incident_tool_loop",
        "incident_truncated_subagent",
        "clean_refund",
        "anthropic_sdk_tools",
    } <= names


@pytest.mark.parametrize("expected_path", EXPECTED, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_fixture_files_are_consistent_otlp(expected_path: Path) -> None:
    """Each scenario's OTLP/JSON is valid OTLP (hex ids, string int64, numeric enums) and matches its ground truth."""
    json_format = pytest.importorskip("google.protobuf.json_format")
    trace_service = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")
    expected = json.loads(expected_path.read_text())
    name = expected["scenario"]
    doc = json.loads((TRACES / f"{name}.otlp.json").read_text())
    spans = _otlp_spans(doc)
    assert len(spans) == expected["span_count"]
    assert len({s["traceId"] for s in spans}) == expected["trace_count"]
    for span in spans:
        for key, width in HEX.items():
            if key in span:
                assert len(span[key]) == width and int(span[key], 16) >= 0 and span[key] == span[key].lower()
        assert isinstance(span["kind"], int) and span["startTimeUnixNano"].isdigit()
    # Round trip through the real protobuf message (after turning hex ids back into the base64 protobuf wants).
    as_b64 = json.loads(
        json.dumps(doc),
        object_hook=lambda d: {
            k: (base64.b64encode(bytes.fromhex(v)).decode() if k in HEX else v) for k, v in d.items()
        },
    )
    message = json_format.ParseDict(as_b64, trace_service.ExportTraceServiceRequest())
    assert sum(len(ss.spans) for rs in message.resource_spans for ss in rs.scope_spans) == len(spans)
    sdk = TRACES / f"{name}.sdk.jsonl"
    if sdk.exists():
        assert len(sdk.read_text().splitlines()) == expected["span_count"]
    # Ground-truth shape the reader tests rely on.
    assert all(set(c) == {"name", "arguments", "error"} for c in expected["tool_calls"])
    assert all(isinstance(c["error"], bool) for c in expected["tool_calls"])
    assert len(expected["llm_calls"]) == expected["counts"]["llm_calls"]
    assert len(expected["tool_calls"]) == expected["counts"]["tool_calls"]
    assert expected["token_totals"]["input_tokens"] == sum(c["input_tokens"] for c in expected["llm_calls"])
    agent_names = {a["name"] for a in expected["agents"]}
    assert all(a["parent"] is None or a["parent"] in agent_names for a in expected["agents"])
