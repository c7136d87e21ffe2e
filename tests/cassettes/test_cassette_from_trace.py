"""A production trace replays fully offline: tools from the trace, LLM answers synthesized for the real SDKs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import cassette_agents as agents
import openai
import pytest
from cassette_support import TRACES

from pytest_agenttrace import load_trace
from pytest_agenttrace._model import Message, TextPart, ToolCallPart
from pytest_agenttrace.cassettes import Cassette, CassetteMismatchError, LLMInteraction, synthesize_http, use_cassette

OFFLINE = "http://127.0.0.1:9"
OPENAI_PROMPT = "Please refund my order A1043, the mug arrived broken."
OPENAI_ANSWER = "I have refunded 25.00 EUR for order A1043; you will see it within 5 days."
_CLIENTS: list[Any] = []


@pytest.fixture(autouse=True)
def _offline(no_network: list[Any]) -> Iterator[None]:
    agents.REAL_CALLS.clear()
    yield
    assert no_network == []  # nothing even tried to connect
    assert agents.REAL_CALLS == []  # no real tool ran
    while _CLIENTS:
        _CLIENTS.pop().close()


def _openai() -> openai.OpenAI:
    client = openai.OpenAI(base_url=OFFLINE + "/v1", api_key="x", max_retries=0)
    _CLIENTS.append(client)
    return client


def _anthropic() -> anthropic.Anthropic:
    client = anthropic.Anthropic(base_url=OFFLINE, api_key="x", max_retries=0)
    _CLIENTS.append(client)
    return client


@pytest.fixture
def openai_trace_cassette(tmp_path: Path) -> Path:
    return Cassette.from_trace(load_trace(TRACES / "openai_v2_tools.otlp.json")).save(tmp_path / "c.yaml")


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_openai_trace_replays_through_chat_completions(openai_trace_cassette: Path, stream: bool) -> None:
    with use_cassette(openai_trace_cassette) as session:
        names, text = agents.chat_agent(_openai(), OPENAI_PROMPT, stream=stream)
    assert names == ["get_order", "refund_order"] and text == OPENAI_ANSWER
    assert [c.source for c in session.calls] == ["replayed", "replayed"]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_openai_trace_replays_through_async_client(openai_trace_cassette: Path, stream: bool) -> None:
    async def main() -> Any:
        async with openai.AsyncOpenAI(base_url=OFFLINE + "/v1", api_key="x", max_retries=0) as client:
            return await agents.async_chat_agent(client, OPENAI_PROMPT, stream=stream)

    with use_cassette(openai_trace_cassette):
        assert asyncio.run(main()) == (["get_order", "refund_order"], OPENAI_ANSWER)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_the_wire_format_follows_the_request_responses_api(openai_trace_cassette: Path, stream: bool) -> None:
    """The trace came from Chat Completions; an agent moved to the Responses API still replays it."""
    with use_cassette(openai_trace_cassette):
        assert agents.responses_agent(_openai(), OPENAI_PROMPT, stream=stream) == (
            ["get_order", "refund_order"],
            OPENAI_ANSWER,
        )


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_anthropic_trace_replays_through_messages(tmp_path: Path, stream: bool) -> None:
    path = Cassette.from_trace(load_trace(TRACES / "anthropic_sdk_tools.otlp.json")).save(tmp_path / "c.yaml")
    with use_cassette(path):
        names, text = agents.anthropic_agent(
            _anthropic(),
            "Please refund order A1043, the mug broke.",
            stream=stream,
            system="You are a refund assistant.",
        )
    assert names == ["get_order", "refund_order"]
    assert text == "Done: 25.00 EUR refunded for order A1043."


def test_anthropic_answers_are_not_served_to_openai_requests(tmp_path: Path) -> None:
    path = Cassette.from_trace(load_trace(TRACES / "anthropic_sdk_tools.otlp.json")).save(tmp_path / "c.yaml")
    with (
        pytest.raises(
            CassetteMismatchError,
            match="3 recorded LLM answers come from anthropic and cannot answer a /v1/chat/completions request",
        ),
        use_cassette(path),
    ):
        agents.chat_agent(_openai(), "Please refund order A1043, the mug broke.")


def test_changed_prompt_against_a_trace_fails_with_a_diff(openai_trace_cassette: Path) -> None:
    with pytest.raises(CassetteMismatchError) as info, use_cassette(openai_trace_cassette):
        agents.chat_agent(_openai(), OPENAI_PROMPT.replace("A1043", "A1044"))
    message = str(info.value)
    assert "next recorded LLM answer (from a trace): llm[0]; differences:" in message
    assert (
        "input[0].user: recorded 'Please refund my order A1043, the mug arrived broken.', "
        "sent 'Please refund my order A1044, the mug arrived broken.'"
    ) in message


def test_changed_system_prompt_and_model_are_reported(openai_trace_cassette: Path) -> None:
    with pytest.raises(CassetteMismatchError) as info, use_cassette(openai_trace_cassette):
        agents.chat_agent(_openai(), OPENAI_PROMPT, model="gpt-4o", system="You are terse.")
    message = str(info.value)
    assert "model: recorded 'gpt-4o-mini', sent 'gpt-4o'" in message
    assert "system: recorded 'You are a refund assistant. Look the order up before refunding.', sent" in message


def test_a_changed_tool_result_is_caught_at_the_next_llm_call(tmp_path: Path) -> None:
    cassette = Cassette.from_trace(load_trace(TRACES / "openai_v2_tools.otlp.json"))
    cassette.tools[0].result = {**cassette.tools[0].result, "total": 99.0}  # the tool now answers differently
    path = cassette.save(tmp_path / "c.yaml")
    with (
        pytest.raises(CassetteMismatchError, match=r"input\[0\]\.tool_result\.total: recorded 25, sent 99"),
        use_cassette(path),
    ):
        agents.chat_agent(_openai(), OPENAI_PROMPT)


def test_multi_agent_trace_calls_are_told_apart_by_their_check(tmp_path: Path) -> None:
    """Interleaved calls of several agents: each request takes the first unused answer that agrees with it."""
    c = Cassette.from_trace(load_trace(TRACES / "multi_agent_propagation.otlp.json"))
    assert [x.agent for x in c.llm][:2] == ["orchestrator", "billing_agent"]
    path = c.save(tmp_path / "c.yaml")
    with use_cassette(path):
        client = _openai()
        # The billing sub-agent's first call, sent before the orchestrator's: answered by the billing entry.
        billing = client.chat.completions.create(
            model="gpt-4.1-nano",
            messages=[
                {"role": "system", "content": "You are a specialist sub-agent. Be terse."},
                {"role": "user", "content": "Check payment of A1043."},
            ],
        )
        assert billing.choices[0].message.tool_calls[0].function.name == "get_order"
        first = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "system", "content": "You orchestrate support sub-agents."},
                {"role": "user", "content": "My mug (order A1043) arrived broken. Where is my refund?"},
            ],
        )
    assert first.choices[0].message.tool_calls[0].function.name == "classify_ticket"


def test_recorded_llm_errors_are_answered_as_api_errors(tmp_path: Path) -> None:
    path = Cassette(llm=[LLMInteraction(provider="openai", model="m", error="context length exceeded")]).save(
        tmp_path / "c.yaml"
    )
    with use_cassette(path), pytest.raises(openai.BadRequestError, match="context length exceeded"):
        _openai().chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])


def test_usage_and_cache_tokens_are_rendered(tmp_path: Path) -> None:
    entry = LLMInteraction(
        provider="anthropic",
        model="claude",
        output=(Message(role="assistant", parts=(TextPart(content="hi"),)),),
        usage={"input_tokens": 100, "output_tokens": 7, "cache_read_tokens": 60, "cache_write_tokens": 30},
    )
    path = Cassette(llm=[entry]).save(tmp_path / "c.yaml")
    with use_cassette(path):
        message = _anthropic().messages.create(
            model="claude", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    # Anthropic's input_tokens excludes cached tokens; the trace's (GenAI convention) includes them.
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens) == (10, 60)
    assert (message.usage.cache_creation_input_tokens, message.usage.output_tokens) == (30, 7)


def test_synthesize_http_writes_plain_vcrpy_interactions(tmp_path: Path) -> None:
    """Exported interactions replay with plain vcrpy (default method+URI matching, in order)."""
    import vcr

    entry = LLMInteraction(
        provider="openai",
        api="chat",
        model="gpt-4o-mini",
        output=(Message(role="assistant", parts=(ToolCallPart(id="c1", name="get_order", arguments={"a": 1}),)),),
    )
    interactions = synthesize_http(Cassette(llm=[entry]), stream=True)
    assert interactions[0]["request"]["uri"] == "https://api.openai.com/v1/chat/completions"
    assert interactions[0]["response"]["body"]["string"].endswith("data: [DONE]\n\n")
    path = Cassette(interactions=interactions).save(tmp_path / "plain.yaml")
    with vcr.use_cassette(str(path), record_mode="none"):
        client = openai.OpenAI(api_key="x", max_retries=0)
        _CLIENTS.append(client)
        with client.chat.completions.stream(model="gpt-4o-mini", messages=[]) as s:
            msg = s.get_final_completion().choices[0].message
    assert msg.tool_calls[0].function.name == "get_order" and msg.tool_calls[0].function.arguments == '{"a": 1}'


def test_synthesize_http_per_api(tmp_path: Path) -> None:
    trace = load_trace(TRACES / "anthropic_sdk_tools.otlp.json")
    by_api = {api: synthesize_http(trace, api=api) for api in ("chat", "responses", "messages")}
    assert by_api["messages"][0]["request"]["uri"] == "https://api.anthropic.com/v1/messages"
    assert '"stop_reason": "tool_use"' in by_api["messages"][0]["response"]["body"]["string"]
    assert '"finish_reason": "tool_calls"' in by_api["chat"][0]["response"]["body"]["string"]
    assert '"type": "function_call"' in by_api["responses"][0]["response"]["body"]["string"]
    with pytest.raises(ValueError, match="api 'gemini' is not one of"):
        synthesize_http(trace, api="gemini")


def test_tool_error_type_is_kept_apart_from_the_message() -> None:
    from pytest_agenttrace import SpanEvent, SpanRecord, Trace
    from pytest_agenttrace.cassettes import Cassette

    exc = SpanEvent("exception", 1, {"exception.type": "TimeoutError", "exception.message": "warehouse timed out"})
    rec = SpanRecord(
        trace_id="1" * 32,
        span_id="2" * 16,
        name="execute_tool check",
        status_code="ERROR",
        events=(exc,),
        attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "check"},
    )
    (tool,) = Cassette.from_trace(Trace.from_records([rec])).tools
    assert tool.error is not None
    assert (tool.error.type, tool.error.message) == ("TimeoutError", "warehouse timed out")
