"""The cassette file: versioned YAML, safe loading, from_trace, atomic writes, vcrpy-compatible interactions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from cassette_support import TRACES

from pytest_agenttrace import load_trace
from pytest_agenttrace._model import Message, TextPart, ToolCallPart, ToolResultPart
from pytest_agenttrace.cassettes import (
    FORMAT_VERSION,
    Cassette,
    CassetteFormatError,
    LLMInteraction,
    ToolError,
    ToolInteraction,
    cassette_path,
)
from pytest_agenttrace.cassettes._format import dump_yaml, load_yaml, message_from_dict, message_to_dict


def _sample() -> Cassette:
    return Cassette(
        meta={"source": "recording", "plugin_version": "0"},
        tools=[
            ToolInteraction(name="get_order", arguments={"order_id": "A1"}, result={"total": 25.0}, call_id="c1"),
            ToolInteraction(name="check", arguments={}, error=ToolError(message="down", type="TimeoutError")),
        ],
        llm=[
            LLMInteraction(
                provider="openai",
                api="chat",
                model="gpt-4o-mini",
                system="Be brief.",
                input=(Message(role="user", parts=(TextPart(content="hi\nthere"),)),),
                output=(
                    Message(
                        role="assistant",
                        parts=(ToolCallPart(id="c1", name="get_order", arguments={"order_id": "A1"}),),
                        finish_reason="tool_calls",
                    ),
                ),
                finish_reasons=("tool_calls",),
                usage={"input_tokens": 10, "output_tokens": 2},
            )
        ],
        interactions=[
            {
                "request": {"method": "GET", "uri": "http://x/y", "body": None, "headers": {}},
                "response": {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": "ok"}},
            }
        ],
    )


def test_round_trip_through_yaml(tmp_path: Path) -> None:
    original = _sample()
    path = original.save(tmp_path / "sub" / "c.yaml")
    text = path.read_text()
    assert text.startswith(f"version: {FORMAT_VERSION}\nmeta:")
    # Sections in a fixed, readable order; multi-line strings as literal blocks.
    assert [line.split(":")[0] for line in text.splitlines() if line and not line[0].isspace() and line[0] != "-"] == [
        "version",
        "meta",
        "tools",
        "llm",
        "interactions",
    ]
    assert "content: |-\n" in text
    loaded = Cassette.load(path)
    assert loaded.to_dict() == original.to_dict()
    assert loaded.tools[1].error == ToolError(message="down", type="TimeoutError")
    assert loaded.path == path


def test_tool_steps_are_written_in_order(tmp_path: Path) -> None:
    data = yaml.safe_load(_sample().to_yaml())
    assert [(t["step"], t["name"]) for t in data["tools"]] == [(1, "get_order"), (2, "check")]
    assert "result" not in data["tools"][1] and data["tools"][1]["error"] == {"type": "TimeoutError", "message": "down"}


def test_message_round_trip() -> None:
    m = Message(
        role="tool",
        parts=(ToolResultPart(id="c1", result={"a": [1, 2]}), TextPart(content="x")),
        name="get_order",
    )
    assert message_from_dict(message_to_dict(m)) == Message(
        role="tool", parts=(ToolResultPart(id="c1", result={"a": [1, 2]}), TextPart(content="x")), name="get_order"
    )


def test_loading_rejects_python_object_tags(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("version: 1\ntools: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(CassetteFormatError, match="not valid YAML") as info:
        Cassette.load(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 2\n", "unsupported cassette version 2"),
        ("- a\n", "expected a cassette mapping"),
        ("version: 1\ntools: {}\n", "'tools' must be a list"),
        ("version: 1\ntools: [{arguments: {}}]\n", r"tools\[0\]: expected a mapping with a non-empty 'name'"),
        ("version: 1\ninteractions: [{response: {}}]\n", r"interactions\[0\] must be a mapping with 'request'"),
        ("version: 1\nllm: [{request: {input: 3}}]\n", r"llm\[0\]: 'request.input' must be a list of messages"),
    ],
)
def test_format_errors_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(CassetteFormatError, match=message):
        Cassette.load(path)


def test_missing_file_error_says_how_to_record(tmp_path: Path) -> None:
    with pytest.raises(CassetteFormatError, match="record it"):
        Cassette.load(tmp_path / "nope.yaml")


def test_the_file_is_a_plain_vcrpy_cassette(tmp_path: Path) -> None:
    from vcr.serialize import deserialize
    from vcr.serializers import yamlserializer

    path = _sample().save(tmp_path / "c.yaml")
    requests, responses = deserialize(path.read_text(), yamlserializer)
    assert [r.uri for r in requests] == ["http://x/y"]
    assert responses[0]["body"]["string"] == b"ok"


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    _sample().save(path)
    _sample().save(path)
    assert sorted(os.listdir(tmp_path)) == ["c.yaml"]


def test_save_without_a_path_says_so() -> None:
    with pytest.raises(CassetteFormatError, match=r"needs a path"):
        Cassette().save()


def test_scrub_patterns_apply_to_every_string(tmp_path: Path) -> None:
    c = _sample()
    c.tools[0].arguments = {"order_id": "A1", "note": "card 4111-1111-1111-1111, key sk-proj-abcdefghijklmnopqrstuvwx"}
    text = c.save(tmp_path / "c.yaml", scrub=[r"\d{4}-\d{4}-\d{4}-\d{4}"]).read_text()
    assert "4111" not in text and "sk-proj-abc" not in text
    assert text.count("[SCRUBBED]") == 2


def test_literal_blocks_survive_awkward_strings() -> None:
    data = {"sse": 'data: {"a": 1}       }\n\nevent: ping\n', "trailing": "x \ny", "tab": "a\tb\nc", "empty": ""}
    assert load_yaml(dump_yaml(data)) == data


# ------------------------------------------------------------------------------------------- from_trace


def test_from_trace_openai_v2_tools() -> None:
    trace = load_trace(TRACES / "openai_v2_tools.otlp.json")
    c = Cassette.from_trace(trace)
    assert c.meta["source"] == "trace"
    assert c.meta["source_trace_id"] == trace.trace_ids[0]
    assert c.meta["recorded_at"].endswith("Z") and c.meta["plugin_version"]
    assert [(t.name, t.arguments, t.call_id) for t in c.tools] == [
        ("get_order", {"order_id": "A1043"}, "call_get_1"),
        ("refund_order", {"order_id": "A1043", "amount": 25.0}, "call_refund_1"),
    ]
    assert c.tools[0].result["item"] == "mug"
    assert [x.api for x in c.llm] == ["chat", "chat", "chat"]
    first, second, last = c.llm
    assert first.system == "You are a refund assistant. Look the order up before refunding."
    # Only the messages new in each call are kept; the history is implied by the earlier entries.
    assert [m.role for m in first.input] == ["user"]
    assert [m.role for m in second.input] == ["tool"]
    assert second.input[0].tool_results[0].result["order_id"] == "A1043"
    assert first.output[0].tool_calls[0].name == "get_order"
    assert last.output[0].text.startswith("I have refunded 25.00 EUR")
    assert first.usage == {"input_tokens": 152, "output_tokens": 18}
    assert first.response_model == "gpt-4o-mini-2024-07-18" and first.model == "gpt-4o-mini"


def test_from_trace_anthropic_infers_the_messages_api() -> None:
    c = Cassette.from_trace(load_trace(TRACES / "anthropic_sdk_tools.otlp.json"))
    assert {x.api for x in c.llm} == {"messages"}
    assert {x.provider for x in c.llm} == {"anthropic"}
    assert c.llm[0].usage["cache_write_tokens"] == 2048


def test_from_trace_transform_rewrites_every_string() -> None:
    trace = load_trace(TRACES / "openai_v2_tools.otlp.json")
    c = Cassette.from_trace(trace, transform=lambda s: s.replace("A1043", "ORDER-1"))
    text = c.to_yaml()
    assert "A1043" not in text and "ORDER-1" in text
    assert c.meta["source_trace_id"] == trace.trace_ids[0]  # meta is not transformed


def test_from_trace_round_trips_through_the_file(tmp_path: Path) -> None:
    c = Cassette.from_trace(load_trace(TRACES / "pydantic_ai_weather.otlp.json"))
    loaded = Cassette.load(c.save(tmp_path / "c.yaml"))
    assert loaded.to_dict() == c.to_dict()
    assert loaded.tool_names == ["geocode", "geocode", "get_weather"]


def test_cassette_path_follows_pytest_recording() -> None:
    assert cassette_path("/repo/tests/test_agent.py", "test_refund[gpt-4o]") == (
        "/repo/tests/cassettes/test_agent/test_refund[gpt-4o].yaml"
    )
