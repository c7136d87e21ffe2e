"""Non-OTLP readers on synthetic input: SDK to_json (by the real SDK), Jaeger, Langfuse, OpenAI Agents, JS, strands."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_agenttrace import SpanRecord
from pytest_agenttrace.formats import read_records


def read(obj: Any) -> list[SpanRecord]:
    return read_records(json.dumps(obj).encode())


# --------------------------------------------------------------------------------------------------- SDK to_json


@pytest.fixture
def sdk_spans() -> Any:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind, Status, StatusCode

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "agent"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("lib")
    with tracer.start_as_current_span("invoke_agent a") as root:
        root.set_attribute("gen_ai.agent.name", "a")
        with tracer.start_as_current_span("chat m", kind=SpanKind.CLIENT) as chat:
            chat.set_attribute("gen_ai.response.finish_reasons", ["stop", "length"])
            chat.set_attribute("gen_ai.usage.input_tokens", 3)
            chat.add_event("gen_ai.choice", {"index": 0})
            chat.set_status(Status(StatusCode.ERROR, "boom"))
    provider.shutdown()
    return exporter.get_finished_spans()


def check_sdk_records(records: list[SpanRecord], spans: Any) -> None:
    by_name = {r.name: r for r in records}
    assert set(by_name) == {"invoke_agent a", "chat m"}
    chat, root = by_name["chat m"], by_name["invoke_agent a"]
    sdk_chat = next(s for s in spans if s.name == "chat m")
    assert chat.trace_id == format(sdk_chat.context.trace_id, "032x")
    assert chat.span_id == format(sdk_chat.context.span_id, "016x")
    assert chat.parent_id == root.span_id and root.parent_id is None
    assert chat.kind == "CLIENT" and root.kind == "INTERNAL"
    assert (chat.status_code, chat.status_message) == ("ERROR", "boom")
    # to_json keeps (float-rounded) microseconds only
    assert abs(chat.start_ns - sdk_chat.start_time) <= 1000
    assert chat.attributes == {"gen_ai.response.finish_reasons": ("stop", "length"), "gen_ai.usage.input_tokens": 3}
    (ev,) = chat.events
    assert ev.name == "gen_ai.choice" and ev.attributes == {"index": 0}
    assert abs(ev.time_ns - sdk_chat.events[0].timestamp) <= 1000
    assert chat.resource["service.name"] == "agent"


def test_sdk_to_json_pretty_objects_concatenated(sdk_spans: Any) -> None:
    text = "".join(s.to_json() for s in sdk_spans)  # how ConsoleSpanExporter writes them (no separator)
    check_sdk_records(read_records(text.encode()), sdk_spans)


def test_sdk_to_json_one_per_line(sdk_spans: Any) -> None:
    text = "\n".join(s.to_json(indent=None) for s in sdk_spans)
    check_sdk_records(read_records(text.encode()), sdk_spans)


def test_sdk_to_json_as_a_list(sdk_spans: Any) -> None:
    text = "[" + ",".join(s.to_json() for s in sdk_spans) + "]"
    check_sdk_records(read_records(text.encode()), sdk_spans)


def test_sdk_single_span_document(sdk_spans: Any) -> None:
    (r,) = read_records(sdk_spans[0].to_json().encode())
    assert r.name == sdk_spans[0].name


# -------------------------------------------------------------------------------------------------------- Jaeger


def jaeger(**span_over: Any) -> dict[str, Any]:
    span: dict[str, Any] = {
        "traceID": "3e289017fe03ffd7",  # 64-bit Jaeger id: left-padded
        "spanID": "1f9762ca1e03e2d2",
        "operationName": "chat",
        "references": [{"refType": "CHILD_OF", "traceID": "3e289017fe03ffd7", "spanID": "00000000000000aa"}],
        "startTime": 1771237536588288,
        "duration": 1500,
        "tags": [
            {"key": "span.kind", "type": "string", "value": "client"},
            {"key": "otel.scope.name", "type": "string", "value": "lib"},
            {"key": "otel.scope.version", "type": "string", "value": "1"},
            {"key": "otel.status_code", "type": "string", "value": "ERROR"},
            {"key": "otel.status_description", "type": "string", "value": "bad"},
            {"key": "error", "type": "bool", "value": True},
            {"key": "n", "type": "int64", "value": "12"},
            {"key": "f", "type": "float64", "value": 0.5},
            {"key": "finish", "type": "string", "value": '["stop"]'},
        ],
        "logs": [
            {
                "timestamp": 1771237536588300,
                "fields": [
                    {"key": "event", "type": "string", "value": "e1"},
                    {"key": "x", "type": "string", "value": "y"},
                ],
            }
        ],
        "processID": "p1",
    }
    span.update(span_over)
    return {
        "data": [
            {
                "traceID": "3e289017fe03ffd7",
                "spans": [span],
                "processes": {"p1": {"serviceName": "svc", "tags": [{"key": "host", "type": "string", "value": "h"}]}},
            }
        ]
    }


def test_jaeger_translated_tags() -> None:
    (r,) = read(jaeger())
    assert r.trace_id == "00000000000000003e289017fe03ffd7"
    assert r.parent_id == "00000000000000aa"
    assert (r.kind, r.status_code, r.status_message) == ("CLIENT", "ERROR", "bad")
    assert (r.scope_name, r.scope_version) == ("lib", "1")
    assert r.start_ns == 1771237536588288000 and r.end_ns == r.start_ns + 1_500_000
    assert r.attributes == {"n": 12, "f": 0.5, "finish": '["stop"]'}
    assert r.resource == {"service.name": "svc", "host": "h"}
    (e,) = r.events
    assert (e.name, e.time_ns, e.attributes) == ("e1", 1771237536588300000, {"x": "y"})


def test_jaeger_error_tag_without_otel_status() -> None:
    (r,) = read(jaeger(tags=[{"key": "error", "type": "bool", "value": True}], references=[]))
    assert r.status_code == "ERROR" and r.parent_id is None and "error" not in r.attributes


# ------------------------------------------------------------------------------------------------------ Langfuse


def observation(**over: Any) -> dict[str, Any]:
    o: dict[str, Any] = {
        "id": "e44e72cf2d221781",
        "traceId": "dff173a675b759ce1b70e522b27d6846",
        "parentObservationId": None,
        "type": "GENERATION",
        "name": "chat",
        "startTime": "2025-08-26T19:41:03.041Z",
        "endTime": "2025-08-26T19:41:04.983Z",
        "level": "DEFAULT",
        "statusMessage": None,
        "model": "gpt-4o",
        "usageDetails": {"input": 10, "output": 5, "total": 15},
        "input": [{"role": "user", "content": "hi"}],
        "output": "hello",
        "metadata": json.dumps(
            {
                "attributes": {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": "11"},
                "resourceAttributes": {"service.name": "svc"},
                "scope": {"name": "lib", "version": "2"},
            }
        ),
    }
    o.update(over)
    return o


def test_langfuse_observation() -> None:
    (r,) = read(
        {"trace": {"id": "dff173a675b759ce1b70e522b27d6846", "observations": []}, "observations": [observation()]}
    )
    a = r.attributes
    assert (r.trace_id, r.span_id, r.parent_id) == ("dff173a675b759ce1b70e522b27d6846", "e44e72cf2d221781", None)
    assert (r.start_ns, r.end_ns) == (1756237263041000000, 1756237264983000000)
    assert a["gen_ai.usage.input_tokens"] == 11  # the span's own value wins, as an int
    assert a["gen_ai.usage.output_tokens"] == 5  # from usageDetails
    assert a["gen_ai.request.model"] == "gpt-4o"
    assert json.loads(a["input.value"]) == [{"role": "user", "content": "hi"}]
    assert a["output.value"] == "hello"
    assert a["langfuse.observation.type"] == "GENERATION"
    assert r.resource == {"service.name": "svc"} and (r.scope_name, r.scope_version) == ("lib", "2")


def test_langfuse_error_level_and_uuid_ids() -> None:
    uuid = "c2b6d4e2-1c3a-4b5e-9f00-1234567890ab"
    (r,) = read(
        {
            "observations": [
                observation(id=uuid, traceId="my-trace", level="ERROR", statusMessage="failed", metadata=None)
            ]
        }
    )
    assert (r.status_code, r.status_message) == ("ERROR", "failed")
    assert r.span_id == "c2b6d4e21c3a4b5e"  # a UUID's hex
    assert len(r.trace_id) == 32 and int(r.trace_id, 16) >= 0  # a stable hash of a non-hex id
    assert r.attributes["langfuse.observation.id"] == uuid
    (again,) = read({"observations": [observation(id=uuid, traceId="my-trace", metadata=None)]})
    assert again.trace_id == r.trace_id


# -------------------------------------------------------------------------------------------------- OpenAI Agents


def item(span_data: dict[str, Any], **over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "object": "trace.span",
        "id": "span_d18241ae18b44256ac4aceca",
        "trace_id": "trace_db0186bb863d426e9e4486699cb8418a",
        "parent_id": None,
        "started_at": "2025-08-15T17:56:54.831785+00:00",
        "ended_at": "2025-08-15T17:56:56.325777+00:00",
        "span_data": span_data,
        "error": None,
    }
    d.update(over)
    return d


def test_openai_agents_generation_and_error() -> None:
    gen = item(
        {
            "type": "generation",
            "model": "gpt-4o-mini",
            "input": [{"role": "user", "content": "hi"}],
            "output": [{"role": "assistant", "content": "yo"}],
            "model_config": {"temperature": 0.1},
            "usage": {"input_tokens": 7, "output_tokens": 2},
        },
        error={"message": "Rate limited", "data": {"code": 429}},
    )
    trace_obj = {
        "object": "trace",
        "id": "trace_db0186bb863d426e9e4486699cb8418a",
        "workflow_name": "wf",
        "group_id": "g1",
        "metadata": None,
    }
    (r,) = read([{"data": [trace_obj, gen]}])
    a = r.attributes
    assert r.name == "chat gpt-4o-mini" and r.kind == "CLIENT"
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.request.model"] == "gpt-4o-mini"
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (7, 2)
    assert json.loads(a["gen_ai.input.messages"]) == [{"role": "user", "content": "hi"}]
    assert a["gen_ai.request.temperature"] == 0.1
    assert (r.status_code, r.status_message) == ("ERROR", "Rate limited")
    assert json.loads(a["openai_agents.error.data"]) == {"code": 429}
    assert a["openai_agents.trace.workflow_name"] == "wf" and a["openai_agents.trace.group_id"] == "g1"
    assert r.trace_id == "db0186bb863d426e9e4486699cb8418a" and r.span_id == "d18241ae18b44256"
    assert r.start_ns == 1755280614831785000


def test_openai_agents_other_span_types() -> None:
    records = read(
        {
            "data": [
                item({"type": "guardrail", "name": "no_pii", "triggered": True}),
                item({"type": "custom", "name": "my_step", "data": {"k": 1}}),
                item({"type": "speech", "model": "tts-1", "output": {"data": "..."}}),
            ]
        }
    )
    assert [r.name for r in records] == ["guardrail no_pii", "my_step", "speech"]
    assert records[0].attributes["openai_agents.guardrail.triggered"] is True
    assert json.loads(records[1].attributes["openai_agents.custom.data"]) == {"k": 1}
    assert records[2].attributes["openai_agents.speech.model"] == "tts-1"


# ----------------------------------------------------------------------------------------------- JS and strands


def test_js_span_with_kind_parent_resource_scope() -> None:
    span = {
        "name": "ai.generateText",
        "kind": 2,  # JS SpanKind.CLIENT (the JS enum has no UNSPECIFIED)
        "spanContext": {"traceId": "B3E700AF9EAB81E19F72F964D62A35AF", "spanId": "39d6e9b3ddec9996"},
        "parentSpanContext": {"spanId": "39d6e9b3ddec9990"},
        "attributes": {"ai.usage.promptTokens": 5, "tags": ["a", "b"]},
        "status": {"code": 2, "message": "nope"},
        "startTime": [1770131994, 23000000],
        "endTime": [1770131995, 0],
        "events": [],
        "resource": {"attributes": {"service.name": "web"}},
        "instrumentationScope": {"name": "ai", "version": "6"},
    }
    (r,) = read([span])
    assert (r.trace_id, r.parent_id, r.kind) == ("b3e700af9eab81e19f72f964d62a35af", "39d6e9b3ddec9990", "CLIENT")
    assert (r.status_code, r.status_message) == ("ERROR", "nope")
    assert r.attributes == {"ai.usage.promptTokens": 5, "tags": ("a", "b")}
    assert r.resource == {"service.name": "web"} and (r.scope_name, r.scope_version) == ("ai", "6")


def test_strands_session_wrapper_and_events() -> None:
    span = {
        "trace_id": "97847cb33dff13e46483685930f4e236",
        "span_id": "771ce4dcbd861745",
        "parent_span_id": None,
        "name": "invoke_agent x",
        "start_time": 1,
        "end_time": 2,
        "attributes": {"l": [1, 2]},
        "scope": {"name": "s", "version": "v"},
        "status": {"code": "ERROR", "message": "m"},
        "span_events": [{"name": "exception", "timestamp": 5, "attributes": {"exception.type": "E"}}],
    }
    (r,) = read({"session_id": "s1", "span_count": 1, "spans": [span]})
    assert (r.parent_id, r.status_code, r.status_message) == (None, "ERROR", "m")
    assert r.attributes == {"l": (1, 2)}
    assert r.events[0].name == "exception" and r.events[0].time_ns == 5
