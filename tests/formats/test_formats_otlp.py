"""OTLP/JSON variants: hex vs base64 ids, string vs number int64, enum names vs numbers, Longs, AnyValues, layouts."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from pytest_agenttrace import SpanRecord
from pytest_agenttrace.formats import read_records

TRACE = "5b8efff798038103d269b633813fc60c"
SPAN = "eee19b7ec3c1b174"
PARENT = "eee19b7ec3c1b173"


def span(**over: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "traceId": TRACE,
        "spanId": SPAN,
        "parentSpanId": PARENT,
        "name": "chat gpt-4o",
        "kind": "SPAN_KIND_CLIENT",
        "startTimeUnixNano": "1544712660000000000",
        "endTimeUnixNano": "1544712661000000000",
        "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}],
        "status": {"code": "STATUS_CODE_OK"},
    }
    s.update(over)
    return s


def doc(*spans: dict[str, Any], resource: list[Any] | None = None) -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": resource or [{"key": "service.name", "value": {"stringValue": "svc"}}]},
                "scopeSpans": [{"scope": {"name": "my.scope", "version": "1.2"}, "spans": list(spans)}],
            }
        ]
    }


def read_one(d: Any) -> SpanRecord:
    (r,) = read_records(json.dumps(d).encode())
    return r


def test_collector_shape_hex_ids_string_int64() -> None:
    r = read_one(doc(span()))
    assert (r.trace_id, r.span_id, r.parent_id) == (TRACE, SPAN, PARENT)
    assert (r.name, r.kind, r.status_code) == ("chat gpt-4o", "CLIENT", "OK")
    assert (r.start_ns, r.end_ns) == (1544712660000000000, 1544712661000000000)
    assert r.attributes == {"gen_ai.operation.name": "chat"}
    assert r.resource == {"service.name": "svc"}
    assert (r.scope_name, r.scope_version) == ("my.scope", "1.2")


def test_uppercase_hex_ids_are_lowercased() -> None:
    r = read_one(doc(span(traceId=TRACE.upper(), spanId=SPAN.upper(), parentSpanId=PARENT.upper())))
    assert (r.trace_id, r.span_id, r.parent_id) == (TRACE, SPAN, PARENT)


def b64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


def test_base64_ids_protobuf_json_mapping() -> None:
    assert len(b64(TRACE)) == 24 and len(b64(SPAN)) == 12
    r = read_one(doc(span(traceId=b64(TRACE), spanId=b64(SPAN), parentSpanId=b64(PARENT))))
    assert (r.trace_id, r.span_id, r.parent_id) == (TRACE, SPAN, PARENT)


def test_unpadded_and_urlsafe_base64_ids() -> None:
    tid = "fbff" * 8  # bytes whose base64 holds '+' / '/' (url-safe: '-' / '_')
    sid = "fbff" * 4
    urlsafe_t = base64.urlsafe_b64encode(bytes.fromhex(tid)).decode().rstrip("=")
    urlsafe_s = base64.urlsafe_b64encode(bytes.fromhex(sid)).decode().rstrip("=")
    r = read_one(doc(span(traceId=urlsafe_t, spanId=urlsafe_s, parentSpanId="")))
    assert (r.trace_id, r.span_id, r.parent_id) == (tid, sid, None)


def test_buffer_ids_and_long_times() -> None:
    start = 1738144119909093908
    low = start & 0xFFFFFFFF
    low_signed = low - 2**32 if low >= 2**31 else low
    r = read_one(
        doc(
            span(
                traceId={"type": "Buffer", "data": list(bytes.fromhex(TRACE))},
                spanId={"type": "Buffer", "data": list(bytes.fromhex(SPAN))},
                parentSpanId=None,
                startTimeUnixNano={"low": low_signed, "high": start >> 32, "unsigned": True},
                endTimeUnixNano={"low": -1, "high": start >> 32, "unsigned": True},
            )
        )
    )
    assert (r.trace_id, r.span_id, r.parent_id) == (TRACE, SPAN, None)
    assert r.start_ns == start
    assert r.end_ns == ((start >> 32) << 32) | 0xFFFFFFFF


def test_int64_as_numbers() -> None:
    r = read_one(
        doc(
            span(
                startTimeUnixNano=1544712660000000000,
                endTimeUnixNano=1544712661000000000,
                attributes=[{"key": "n", "value": {"intValue": 42}}, {"key": "s", "value": {"intValue": "-7"}}],
            )
        )
    )
    assert (r.start_ns, r.end_ns) == (1544712660000000000, 1544712661000000000)
    assert r.attributes == {"n": 42, "s": -7}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (0, "INTERNAL"),
        (1, "INTERNAL"),
        (2, "SERVER"),
        (3, "CLIENT"),
        (4, "PRODUCER"),
        (5, "CONSUMER"),
        ("SPAN_KIND_UNSPECIFIED", "INTERNAL"),
        ("SPAN_KIND_INTERNAL", "INTERNAL"),
        ("SPAN_KIND_SERVER", "SERVER"),
        ("SPAN_KIND_CONSUMER", "CONSUMER"),
        (None, "INTERNAL"),
    ],
)
def test_kind_enum_names_and_numbers(kind: Any, expected: str) -> None:
    s = span(kind=kind)
    if kind is None:
        del s["kind"]
    assert read_one(doc(s)).kind == expected


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        ({"code": 2, "message": "boom"}, "ERROR", "boom"),
        ({"code": "STATUS_CODE_ERROR", "message": "boom"}, "ERROR", "boom"),
        ({"code": 1}, "OK", ""),
        ({"code": "STATUS_CODE_UNSET"}, "UNSET", ""),
        ({}, "UNSET", ""),
        ({"message": "only a message"}, "UNSET", "only a message"),
    ],
)
def test_status_names_and_numbers(status: dict[str, Any], code: str, message: str) -> None:
    r = read_one(doc(span(status=status)))
    assert (r.status_code, r.status_message) == (code, message)


def test_any_values() -> None:
    attrs = [
        {"key": "s", "value": {"stringValue": "x"}},
        {"key": "i", "value": {"intValue": "9007199254740993"}},  # > 2**53: exact
        {"key": "d", "value": {"doubleValue": 0.5}},
        {"key": "d_int", "value": {"doubleValue": 2}},
        {"key": "nan", "value": {"doubleValue": "NaN"}},
        {"key": "b", "value": {"boolValue": False}},
        {"key": "arr", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}]}}},
        {"key": "empty_arr", "value": {"arrayValue": {}}},
        {
            "key": "kv",
            "value": {
                "kvlistValue": {
                    "values": [
                        {"key": "inner", "value": {"boolValue": True}},
                        {"key": "list", "value": {"arrayValue": {"values": [{"doubleValue": 1.5}]}}},
                    ]
                }
            },
        },
        {"key": "bytes", "value": {"bytesValue": "aGVsbG8="}},
        {"key": "empty", "value": {}},
    ]
    r = read_one(doc(span(attributes=attrs)))
    a = r.attributes
    assert a["s"] == "x" and a["i"] == 9007199254740993 and a["d"] == 0.5
    assert a["d_int"] == 2.0 and isinstance(a["d_int"], float)
    assert a["nan"] != a["nan"]
    assert a["b"] is False
    assert a["arr"] == ("a", 1) and a["empty_arr"] == ()
    assert a["kv"] == {"inner": True, "list": (1.5,)}
    assert a["bytes"] == "aGVsbG8="
    assert a["empty"] is None


def test_events_kept() -> None:
    ev = {
        "timeUnixNano": "1544712660500000000",
        "name": "gen_ai.content.prompt",
        "attributes": [{"key": "gen_ai.prompt", "value": {"stringValue": "hi"}}],
    }
    r = read_one(doc(span(events=[ev])))
    (e,) = r.events
    assert (e.name, e.time_ns, e.attributes) == ("gen_ai.content.prompt", 1544712660500000000, {"gen_ai.prompt": "hi"})


@pytest.mark.parametrize("parent", ["", None, "0000000000000000", "AAAAAAAAAAA="])
def test_empty_or_zero_parent_is_a_root(parent: Any) -> None:
    s = span(parentSpanId=parent)
    if parent is None:
        del s["parentSpanId"]
    assert read_one(doc(s)).parent_id is None


def test_json_lines_one_document_per_line() -> None:
    lines = [json.dumps(doc(span(spanId=f"{i:016x}", parentSpanId=""))) for i in range(1, 4)]
    records = read_records(("\n".join(lines) + "\n").encode())
    assert [r.span_id for r in records] == [f"{i:016x}" for i in range(1, 4)]


def test_list_of_documents_and_bare_resource_spans() -> None:
    d = doc(span())
    assert len(read_records(json.dumps([d, d]).encode())) == 2
    rs = d["resourceSpans"]
    assert len(read_records(json.dumps(rs).encode())) == 1  # a bare list of ResourceSpans
    assert len(read_records(json.dumps(rs[0]).encode())) == 1  # one ResourceSpans (protobufjs payloads)


def test_tempo_legacy_batches() -> None:
    tempo = {
        "batches": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
                "instrumentationLibrarySpans": [
                    {
                        "instrumentationLibrary": {"name": "lib", "version": "0.1"},
                        "spans": [span(kind="SPAN_KIND_SERVER")],
                    }
                ],
            }
        ]
    }
    r = read_one(tempo)
    assert (r.scope_name, r.scope_version, r.kind, r.resource) == ("lib", "0.1", "SERVER", {"service.name": "svc"})
    assert read_one({"trace": doc(span())}).span_id == SPAN  # Tempo v2 API wraps the document


def test_snake_case_proto_field_names() -> None:
    snake = {
        "resource_spans": [
            {
                "scope_spans": [
                    {
                        "scope": {"name": "s"},
                        "spans": [
                            {
                                "trace_id": TRACE,
                                "span_id": SPAN,
                                "name": "x",
                                "start_time_unix_nano": "5",
                                "attributes": [{"key": "k", "value": {"string_value": "v"}}],
                            }
                        ],
                    }
                ]
            }
        ]
    }
    r = read_one(snake)
    assert (r.trace_id, r.start_ns, r.attributes) == (TRACE, 5, {"k": "v"})


def test_real_sdk_spans_encoded_with_the_protobuf_json_mapping() -> None:
    """The official OTLP encoder + protobuf's JSON mapping: base64 ids, string int64s, enum names."""
    json_format = pytest.importorskip("google.protobuf.json_format")
    encoder = pytest.importorskip("opentelemetry.exporter.otlp.proto.common.trace_encoder")
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind, Status, StatusCode

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "agent"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("my.lib", "3.1")
    with tracer.start_as_current_span("invoke_agent a") as root:
        root.set_attribute("gen_ai.agent.name", "a")
        with tracer.start_as_current_span("chat m", kind=SpanKind.CLIENT) as chat:
            chat.set_attribute("gen_ai.usage.input_tokens", 12)
            chat.set_attribute("gen_ai.response.finish_reasons", ["stop"])
            chat.set_attribute("temperature", 0.25)
            chat.add_event("ev", {"k": True})
            chat.set_status(Status(StatusCode.ERROR, "bad"))
    spans = exporter.get_finished_spans()
    body = json_format.MessageToJson(encoder.encode_spans(spans))
    assert '"traceId"' in body and "=" in body  # base64 ids
    records = read_records(body.encode())
    assert len(records) == 2
    by_name = {r.name: r for r in records}
    chat_r, root_r = by_name["chat m"], by_name["invoke_agent a"]
    sdk_chat = next(s for s in spans if s.name == "chat m")
    assert chat_r.trace_id == format(sdk_chat.context.trace_id, "032x")
    assert chat_r.span_id == format(sdk_chat.context.span_id, "016x")
    assert chat_r.parent_id == root_r.span_id and root_r.parent_id is None
    assert chat_r.start_ns == sdk_chat.start_time and chat_r.end_ns == sdk_chat.end_time
    assert chat_r.kind == "CLIENT" and root_r.kind == "INTERNAL"
    assert (chat_r.status_code, chat_r.status_message) == ("ERROR", "bad")
    assert chat_r.attributes == {
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.response.finish_reasons": ("stop",),
        "temperature": 0.25,
    }
    assert chat_r.events[0].name == "ev" and chat_r.events[0].attributes == {"k": True}
    assert chat_r.resource["service.name"] == "agent"
    assert (chat_r.scope_name, chat_r.scope_version) == ("my.lib", "3.1")
