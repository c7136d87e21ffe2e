"""Every third-party trace fixture (../shared/fixtures/traces, see its SOURCES.md) reads with the right shape."""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import pytest

from pytest_agenttrace.formats import load_trace, load_traces, read_records

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "traces"

if not FIXTURES.is_dir():
    pytest.skip("../shared/fixtures not present (third-party fixtures are not shipped)", allow_module_level=True)

# file -> span count stated in SOURCES.md (observations for Langfuse, spans for the rest)
COUNTS = {
    "agentevals/kagent-helm-agent_jaeger-api.json": 96,
    "agentevals/kagent-helm-agent_tempo-otlp-batches.json": 86,
    "any-agent/OPENAI_trace.json": 6,
    "any-agent/GOOGLE_trace.json": 7,
    "langfuse/koog-2025-08-26.langfuse-export.json": 11,
    "langfuse/microsoft-agent-2025-12-17.langfuse-export.json": 4,
    "langfuse/csharp-agent-with-gemini-2026-03-09.langfuse-export.json": 8,
    "langfuse/claude-agent-2025-12-22.langfuse-export.json": 7,
    "langfuse/beeai-2025-08-01.langfuse-export.json": 29,
    "langfuse/google-adk-2025-08-28.langfuse-export.json": 5,
    "langfuse/openlit-1.27.0_openai-chat_otlp-protobufjs-decoded.json": 1,
    "langfuse/openllmetry-openai-0.33.9_openai-chat_otlp-protobufjs-decoded.json": 1,
    "openinference/vercel-ai-sdk-v6_all-spans_readablespan.json": 10,
    "openinference/attrs_otel_genai_client_span_tool_calls.json": 1,
    "openinference/attrs_otel_genai_deprecated_client_span_tool_calls.json": 1,
    "openinference/attrs_openinference_client_span_tool_calls.json": 1,
    "openllmetry/openai-agents-sdk_traces-ingest-payloads_recipe-agents-hierarchy.json": 13,
    "strands-evals/adk_live_spans.json": 7,
    "strands-evals/pydantic_ai_live_spans.json": 4,
    "strands-evals/openai_agents_genai_live_spans.json": 17,
    "strands-evals/openai_agents_openinference_live_spans.json": 19,
    "strands-evals/openai_agents_genai_adot_spans.json": 17,
    "strands-evals/smolagents_live_spans.json": 7,
    "strands-evals/claude_adot_spans.json": 8,
    "strands-evals/autogen_live_spans.json": 3,
}


def read(rel: str):
    return read_records(FIXTURES / rel)


def test_every_fixture_file_is_covered() -> None:
    on_disk = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/*.json")}
    assert on_disk == set(COUNTS)
    assert len(on_disk) == 25


@pytest.mark.parametrize("rel", sorted(COUNTS))
def test_fixture_reads_with_stated_span_count(rel: str) -> None:
    records = read(rel)
    assert len(records) == COUNTS[rel]
    for r in records:
        assert len(r.trace_id) == 32 and int(r.trace_id, 16) >= 0 and r.trace_id == r.trace_id.lower()
        assert len(r.span_id) == 16 and int(r.span_id, 16) >= 0 and r.span_id == r.span_id.lower()
        assert r.parent_id is None or (len(r.parent_id) == 16 and r.parent_id != r.span_id)
        assert r.kind in ("INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")
        assert r.status_code in ("UNSET", "OK", "ERROR")
        assert all(not isinstance(v, list) for v in r.attributes.values())


@pytest.mark.parametrize("rel", sorted(COUNTS))
def test_fixture_loads_as_a_trace(rel: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the builder may warn about orphans; that is its business
        trace = load_trace(FIXTURES / rel)
        traces = load_traces(FIXTURES / rel)
    assert len(trace) == COUNTS[rel]
    assert sum(len(t) for t in traces) == COUNTS[rel]
    starts = [min(r.start_ns for r in t.records) for t in traces]
    assert starts == sorted(starts)


def test_jaeger_tree_kind_scope_status_resource() -> None:
    records = read("agentevals/kagent-helm-agent_jaeger-api.json")
    roots = [r for r in records if r.parent_id is None]
    assert [r.name for r in roots] == ["POST /"]
    ids = {r.span_id for r in records}
    assert all(r.parent_id in ids for r in records if r.parent_id)  # complete tree
    chat = [r for r in records if r.name == "openai.chat"]
    assert len(chat) == 2
    assert chat[0].kind == "CLIENT"
    assert (chat[0].scope_name, chat[0].scope_version) == ("opentelemetry.instrumentation.openai.v1", "0.47.3")
    assert chat[0].resource == {"service.name": "helm_agent", "service.namespace": "kagent"}
    assert chat[0].attributes["gen_ai.usage.prompt_tokens"] == 1820  # int64 tag -> int
    assert "span.kind" not in chat[0].attributes and "otel.scope.name" not in chat[0].attributes
    # arrays Jaeger stored as JSON text stay text (the normalizers parse them)
    assert isinstance(
        next(r for r in records if "gen_ai.response.finish_reasons" in r.attributes).attributes[
            "gen_ai.response.finish_reasons"
        ],
        str,
    )
    root = roots[0]
    assert root.end_ns - root.start_ns > 0 and root.start_ns % 1000 == 0  # us -> ns
    assert Counter(r.status_code for r in records)["OK"] > 0
    with_logs = [r for r in records if r.events]
    assert with_logs and with_logs[0].events[0].name == "exception"
    assert "exception.stacktrace" in with_logs[0].events[0].attributes


def test_tempo_batches_numbers_and_missing_parents() -> None:
    records = read("agentevals/kagent-helm-agent_tempo-otlp-batches.json")
    roots = [r for r in records if r.parent_id is None]
    assert [r.name for r in roots] == ["POST /api/a2a/kagent/helm-agent/"]
    ids = {r.span_id for r in records}
    orphans = [r for r in records if r.parent_id and r.parent_id not in ids]
    assert orphans  # callers that were not exported
    first = records[0]
    assert first.trace_id == "dd547580319ab0312cee07f1def50dad"
    assert first.start_ns == 1777555053780274700  # a JSON number, not a string
    assert first.scope_name == "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
    assert first.attributes["server.port"] == 8083
    assert first.resource["service.namespace"] == "kagent"
    assert Counter(r.name for r in records)["openai.chat"] == 2
    assert {r.kind for r in records} >= {"SERVER", "CLIENT", "INTERNAL"}


def test_protobufjs_long_and_buffer_values() -> None:
    (r,) = read("langfuse/openllmetry-openai-0.33.9_openai-chat_otlp-protobufjs-decoded.json")
    # traceId {"type":"Buffer","data":[228,239,69,2,...]}; startTimeUnixNano {"low":865964564,"high":404693214}
    assert r.trace_id == "e4ef45025c9b40924bff175e2b125b5b"
    assert r.span_id == "aabf16e416ae4952"
    assert r.start_ns == 404693214 * 2**32 + 865964564 == 1738144119909093908
    # endTimeUnixNano has a negative low half: -1984808674 is 2310158622 as unsigned 32 bits
    assert r.end_ns == 404693214 * 2**32 + 2310158622
    assert r.kind == "CLIENT"  # kind 3
    assert r.status_code == "UNSET"  # status {}
    assert r.parent_id is None
    assert r.attributes["gen_ai.system"] == "OpenAI"
    assert r.attributes["llm.is_streaming"] is False


def test_openlit_long_minus_one_events_and_arrays() -> None:
    (r,) = read("langfuse/openlit-1.27.0_openai-chat_otlp-protobufjs-decoded.json")
    assert r.attributes["gen_ai.request.max_tokens"] == -1  # {"low": -1, "high": -1, "unsigned": false}
    assert r.attributes["gen_ai.usage.input_tokens"] == 14
    assert r.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert [e.name for e in r.events] == ["gen_ai.content.prompt", "gen_ai.content.completion"]
    assert r.events[0].attributes == {"gen_ai.prompt": "user: What is LLM Observability?"}
    assert r.status_code == "OK"
    assert r.scope_name == "openlit.otel.tracing"
    assert r.resource["telemetry.sdk.name"] == "openlit"


def test_any_agent_decimal_ids() -> None:
    records = read("any-agent/OPENAI_trace.json")
    root = records[-1]
    assert root.name == "invoke_agent [any_agent]" and root.parent_id is None
    assert root.trace_id == format(100927429609276267646756448943279827607, "032x")
    assert root.span_id == format(12324293800750531911, "016x") == "ab08afea3548c547"
    assert all(r.parent_id == root.span_id for r in records[:-1])
    assert {r.name for r in records if r.parent_id} >= {"execute_tool get_current_time", "execute_tool write_file"}
    assert root.status_code == "UNSET" and records[0].status_code == "OK"
    assert root.resource["telemetry.sdk.version"] == "1.36.0"
    assert records[0].start_ns > 1_700_000_000 * 10**9


def test_any_agent_google_is_a_forest_of_orphans() -> None:
    records = read("any-agent/GOOGLE_trace.json")
    ids = {r.span_id for r in records}
    assert sum(r.parent_id is None for r in records) == 1
    assert sum(1 for r in records if r.parent_id and r.parent_id not in ids) == 6


def test_langfuse_koog_observations() -> None:
    records = read("langfuse/koog-2025-08-26.langfuse-export.json")
    types = Counter(r.attributes["langfuse.observation.type"] for r in records)
    assert types == {"AGENT": 2, "GENERATION": 2, "SPAN": 7}
    gen = next(r for r in records if r.span_id == "e44e72cf2d221781")
    assert gen.name == "llm.chat" and gen.parent_id == "6021df46275ad2d8"
    assert gen.trace_id == "dff173a675b759ce1b70e522b27d6846"
    assert gen.start_ns == 1756237263041000000  # 2025-08-26T19:41:03.041Z
    assert gen.attributes["gen_ai.request.model"] == "gpt-4o"
    assert gen.attributes["gen_ai.usage.input_tokens"] == 168
    assert gen.attributes["gen_ai.usage.output_tokens"] == 19
    assert gen.attributes["output.value"].startswith('[{"content":"Hello my darling Bob!')
    assert gen.attributes["gen_ai.prompt.0.role"] == "system"  # original attributes from metadata
    assert gen.resource["service.name"] == "ai.koog"
    assert (gen.scope_name, gen.scope_version) == ("ai.koog", "0.3.0")
    node = next(
        r
        for r in records
        if r.name.startswith("node.") and "langfuse.observation.metadata.langgraph_node" in r.attributes
    )
    assert node.attributes["langfuse.observation.metadata.langgraph_node"]
    assert sum(r.parent_id is None for r in records) == 1


def test_langfuse_token_strings_become_ints() -> None:
    records = read("langfuse/microsoft-agent-2025-12-17.langfuse-export.json")
    chats = [r for r in records if r.name.startswith("chat ")]
    assert len(chats) == 2
    assert all(isinstance(r.attributes["gen_ai.usage.input_tokens"], int) for r in chats)
    assert {r.attributes["gen_ai.usage.input_tokens"] for r in chats} == {77, 216}


def test_vercel_hrtime_and_separate_trace_ids() -> None:
    records = read("openinference/vercel-ai-sdk-v6_all-spans_readablespan.json")
    assert len({r.trace_id for r in records}) == 10
    assert all(r.parent_id is None and r.resource == {} and r.scope_name == "" for r in records)
    outer = next(r for r in records if r.span_id == "d3661934fbcf93fd")
    assert outer.name == "ai.generateText"
    assert outer.start_ns == 1770131994 * 10**9 + 23000000
    assert outer.end_ns == 1770131997 * 10**9 + 57733667
    stream = next(r for r in records if r.name == "ai.streamText.doStream")
    assert [e.name for e in stream.events] == ["ai.stream.firstChunk", "ai.stream.finish"]
    assert stream.events[0].time_ns == 1770132001 * 10**9 + 25056459
    assert any(isinstance(v, tuple) for r in records for v in r.attributes.values())


def test_bare_attribute_map_is_one_synthetic_span() -> None:
    (r,) = read("openinference/attrs_openinference_client_span_tool_calls.json")
    assert (r.trace_id, r.span_id, r.parent_id) == ("0" * 31 + "1", "0" * 15 + "1", None)
    assert r.name == "LLM"
    assert r.attributes["llm.model_name"] == "gpt-4-0613"
    (g,) = read("openinference/attrs_otel_genai_deprecated_client_span_tool_calls.json")
    assert g.name == "chat"
    assert g.attributes["gen_ai.usage.input_tokens"] == 97


def test_openai_agents_ingest_payloads() -> None:
    records = read("openllmetry/openai-agents-sdk_traces-ingest-payloads_recipe-agents-hierarchy.json")
    by_type = Counter(r.attributes["openai_agents.span.type"] for r in records)
    assert by_type == {"response": 6, "agent": 3, "function": 3, "handoff": 1}
    main = [r for r in records if r.trace_id == "5255973c326149e282cf9f7ced1589f2"]
    agents = {r.attributes["gen_ai.agent.name"] for r in main if "gen_ai.agent.name" in r.attributes}
    assert agents == {"Main Chat Agent", "Recipe Editor Agent"}
    assert sum(r.attributes["openai_agents.span.type"] == "response" for r in main) == 4
    handoff = next(r for r in records if r.name == "handoff")
    assert handoff.attributes["openai_agents.handoff.from"] == "Main Chat Agent"
    assert handoff.attributes["openai_agents.handoff.to"] == "Recipe Editor Agent"
    tool = next(r for r in main if r.attributes.get("gen_ai.tool.name") == "search_recipes")
    assert tool.name == "execute_tool search_recipes"
    assert tool.attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool.attributes["gen_ai.tool.call.arguments"] == '{"query":"carbonara"}'
    assert tool.attributes["gen_ai.tool.call.result"].startswith("status='success'")
    assert tool.span_id == "68dc61b2b0334710"  # span_68dc61b2b03347109899c420 -> first 16 hex
    assert tool.attributes["openai_agents.span.id"] == "span_68dc61b2b03347109899c420"
    assert tool.parent_id == "8a6aa83c06f74fe9"
    response = next(r for r in main if r.attributes["openai_agents.span.type"] == "response")
    assert response.kind == "CLIENT" and response.attributes["gen_ai.operation.name"] == "chat"
    assert response.attributes["gen_ai.response.id"].startswith("resp_")
    root = next(r for r in main if r.name == "invoke_agent Main Chat Agent")
    assert root.parent_id is None
    assert root.attributes["openai_agents.trace.workflow_name"] == "Agent workflow"
    assert response.start_ns == 1755280616332204000  # 2025-08-15T17:56:56.332204+00:00


def test_strands_flat_spans() -> None:
    records = read("strands-evals/pydantic_ai_live_spans.json")
    root = next(r for r in records if r.parent_id is None)
    assert root.name == "invoke_agent agent"
    assert all(r.parent_id == root.span_id for r in records if r is not root)
    assert all((r.scope_name, r.scope_version) == ("pydantic-ai", "2.9.1") for r in records)
    assert records[0].start_ns == 1784744268114742538
    adot = read("strands-evals/openai_agents_genai_adot_spans.json")
    errors = [r for r in adot if r.status_code == "ERROR"]
    assert [r.name for r in errors] == ["agent_handoff OpenAI Agent"]
    autogen = read("strands-evals/autogen_live_spans.json")
    assert len({r.trace_id for r in autogen}) == 2
