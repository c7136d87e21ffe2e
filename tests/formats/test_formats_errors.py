"""Bad input is always a TraceFormatError naming the file (and the span when known), never a raw traceback."""

from __future__ import annotations

import contextlib
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_agenttrace import TraceFormatError
from pytest_agenttrace.formats import SUPPORTED_FORMATS, read_records

SPAN_ID = "eee19b7ec3c1b174"


def otlp_span(**over: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": SPAN_ID,
        "name": "chat gpt-4o",
        "startTimeUnixNano": "1544712660000000000",
        "endTimeUnixNano": "1544712661000000000",
        "attributes": [{"key": "k", "value": {"stringValue": "v"}}],
    }
    s.update(over)
    return s


def otlp(*spans: Any) -> dict[str, Any]:
    return {"resourceSpans": [{"scopeSpans": [{"spans": list(spans)}]}]}


def error_for(tmp_path: Path, content: Any, name: str = "trace.json") -> str:
    f = tmp_path / name
    f.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    with pytest.raises(TraceFormatError) as err:
        read_records(f)
    message = str(err.value)
    assert message.startswith(f"{f}: "), message
    return message


def test_truncated_json_says_line_and_column(tmp_path: Path) -> None:
    text = json.dumps(otlp(otlp_span()), indent=2)
    message = error_for(tmp_path, text[:200].encode())
    assert "truncated" in message and "line " in message and "column " in message


def test_invalid_json_says_line_and_column(tmp_path: Path) -> None:
    message = error_for(tmp_path, b'{\n  "resourceSpans": [\n    {oops}\n  ]\n}')
    assert "invalid JSON at line 3 column 6" in message


def test_bad_second_json_line(tmp_path: Path) -> None:
    good = json.dumps(otlp(otlp_span()))
    message = error_for(tmp_path, f"{good}\n{{broken\n".encode())
    assert "line 2" in message and "document 2" in message


def test_empty_file(tmp_path: Path) -> None:
    assert "empty input" in error_for(tmp_path, b"  \n")


def test_binary_input(tmp_path: Path) -> None:
    assert "not UTF-8" in error_for(tmp_path, b"\x0a\x8f\x01\x12\x00\xff\xfe")


def test_corrupt_gzip(tmp_path: Path) -> None:
    data = gzip.compress(json.dumps(otlp(otlp_span())).encode())
    assert "gzip" in error_for(tmp_path, data[: len(data) // 2], name="t.json.gz")


def test_unknown_shape_lists_the_supported_formats(tmp_path: Path) -> None:
    message = error_for(tmp_path, {"hello": "world"})
    assert "not a recognised trace format" in message and "'hello'" in message
    for fmt in SUPPORTED_FORMATS:
        assert fmt in message
    assert "not a recognised" in error_for(tmp_path, [1, 2, 3])
    assert "not a recognised" in error_for(tmp_path, "just a string")


def test_spans_not_a_list(tmp_path: Path) -> None:
    message = error_for(tmp_path, {"resourceSpans": [{"scopeSpans": [{"spans": {"a": 1}}]}]})
    assert "spans must be a list" in message
    message = error_for(tmp_path, {"spans": "nope", "final_output": None})
    assert "'spans' must be a list" in message


def test_span_without_an_id(tmp_path: Path) -> None:
    s = otlp_span()
    del s["spanId"]
    message = error_for(tmp_path, otlp(s))
    assert "span 'chat gpt-4o'" in message and "'spanId'" in message


def test_time_that_is_not_a_number(tmp_path: Path) -> None:
    message = error_for(tmp_path, otlp(otlp_span(startTimeUnixNano="yesterday")))
    assert f"'chat gpt-4o' (id '{SPAN_ID}')" in message
    assert "startTimeUnixNano must be Unix nanoseconds" in message and "'yesterday'" in message


def test_bad_ids(tmp_path: Path) -> None:
    message = error_for(tmp_path, otlp(otlp_span(traceId="xyz")))
    assert SPAN_ID in message and "traceId must be a 16-byte id" in message


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        ("nope", "attributes must be a list"),
        ([{"key": "k", "value": {"stringValue": 5}}], "attribute 'k': stringValue must be a string"),
        ([{"key": "k", "value": {"intValue": "1.5"}}], "attribute 'k': intValue must be an integer"),
        ([{"key": "k", "value": {"boolValue": "yes"}}], "boolValue must be true/false"),
        ([{"key": "k", "value": {"doubleValue": "x"}}], "attribute 'k': doubleValue must be a number"),
        ([{"key": "k", "value": {"weirdValue": 1}}], "unknown AnyValue"),
        ([{"key": "k"}], "each attribute must be {key, value: AnyValue}"),
    ],
)
def test_bad_attributes(tmp_path: Path, attrs: Any, expected: str) -> None:
    message = error_for(tmp_path, otlp(otlp_span(attributes=attrs)))
    assert expected in message and SPAN_ID in message


def test_bad_kind_and_status(tmp_path: Path) -> None:
    assert "kind must be" in error_for(tmp_path, otlp(otlp_span(kind="SIDEWAYS")))
    assert "status.code must be" in error_for(tmp_path, otlp(otlp_span(status={"code": 9})))


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ([{"name": "s", "context": {"trace_id": "0x" + "1" * 32}}], "context must have 'trace_id' and 'span_id'"),
        (
            [{"name": "s", "context": {"trace_id": "0x" + "1" * 32, "span_id": "0x" + "2" * 16}, "start_time": "soon"}],
            "start_time must be an ISO-8601 timestamp",
        ),
        (
            [
                {
                    "name": "s",
                    "context": {"trace_id": "0x" + "1" * 32, "span_id": "0x" + "2" * 16},
                    "kind": "SpanKind.UP",
                }
            ],
            "kind must be a span kind",
        ),
        ([{"trace_id": "1" * 32, "span_id": "2" * 16, "name": "s", "start_time": [1]}], "start_time must be"),
        ([{"trace_id": "1" * 32, "span_id": "2" * 16, "name": "s", "status": {"code": "MEH"}}], "status.code must be"),
        (
            [{"name": "s", "spanContext": {"traceId": "1" * 32, "spanId": "2" * 16}, "startTime": 5}],
            "startTime must be an HrTime",
        ),
        (
            {"data": [{"traceID": "1" * 32, "spans": [{"spanID": "2" * 16, "operationName": "s", "startTime": "x"}]}]},
            "startTime must be a number of microseconds",
        ),
        (
            {"observations": [{"id": "2" * 16, "traceId": "1" * 32, "name": "s", "startTime": "Tuesday"}]},
            "startTime must be an ISO-8601",
        ),
        ({"observations": [{"id": "2" * 16, "traceId": "1" * 32, "name": "s"}]}, "startTime is missing"),
        (
            [
                {
                    "data": [
                        {
                            "object": "trace.span",
                            "id": "span_" + "2" * 24,
                            "trace_id": "trace_" + "1" * 32,
                            "started_at": 5,
                            "span_data": {"type": "agent", "name": "s"},
                        }
                    ]
                }
            ],
            "started_at must be an ISO-8601",
        ),
        (
            [
                {
                    "data": [
                        {
                            "object": "trace.span",
                            "id": "span_" + "2" * 24,
                            "trace_id": "trace_" + "1" * 32,
                            "span_data": {"name": "s"},
                        }
                    ]
                }
            ],
            "span_data.type must be a string",
        ),
        (
            {
                "format": "agenttrace",
                "version": 1,
                "spans": [{"trace_id": "1" * 32, "span_id": "2" * 16, "name": "s", "kind": "SIDEWAYS"}],
            },
            "kind must be one of",
        ),
    ],
    ids=[
        "sdk-no-span-id",
        "sdk-time",
        "sdk-kind",
        "strands-time",
        "strands-status",
        "js-time",
        "jaeger-time",
        "langfuse-time",
        "langfuse-no-start",
        "openai-agents-time",
        "openai-agents-type",
        "native-kind",
    ],
)
def test_bad_spans_in_every_reader_name_the_span(tmp_path: Path, doc: Any, expected: str) -> None:
    message = error_for(tmp_path, doc)
    assert expected in message
    assert "'s'" in message  # the span's name


def test_native_format_newer_version(tmp_path: Path) -> None:
    message = error_for(tmp_path, {"format": "agenttrace", "version": 99, "spans": []})
    assert "upgrade" in message


# ----------------------------------------------------------------------------------------------------- fuzzing

VALID_DOCS = [
    json.dumps(otlp(otlp_span(kind=3, status={"code": 2}, events=[{"name": "e", "timeUnixNano": "5"}]))).encode(),
    json.dumps(
        {
            "batches": [
                {
                    "instrumentationLibrarySpans": [
                        {
                            "spans": [
                                otlp_span(
                                    traceId={"type": "Buffer", "data": [1] * 16},
                                    startTimeUnixNano={"low": -1, "high": 3},
                                )
                            ]
                        }
                    ]
                }
            ]
        }
    ).encode(),
    json.dumps(
        [
            {
                "name": "s",
                "context": {"trace_id": "0x" + "1" * 32, "span_id": "0x" + "2" * 16},
                "kind": "SpanKind.CLIENT",
                "parent_id": None,
                "start_time": "2024-01-01T00:00:00.000001Z",
                "status": {"status_code": "OK"},
                "attributes": {"a": [1, 2]},
                "events": [{"name": "e", "timestamp": "2024-01-01T00:00:00Z", "attributes": {}}],
                "resource": {"attributes": {"service.name": "x"}},
            }
        ]
    ).encode(),
    json.dumps(
        {
            "data": [
                {
                    "traceID": "1" * 32,
                    "spans": [
                        {
                            "spanID": "2" * 16,
                            "operationName": "s",
                            "startTime": 5,
                            "duration": 1,
                            "references": [{"refType": "CHILD_OF", "spanID": "3" * 16}],
                            "tags": [{"key": "span.kind", "type": "string", "value": "server"}],
                            "logs": [{"timestamp": 6, "fields": []}],
                            "processID": "p1",
                        }
                    ],
                    "processes": {"p1": {"serviceName": "svc", "tags": []}},
                }
            ]
        }
    ).encode(),
    json.dumps(
        {
            "trace": {"id": "1" * 32},
            "observations": [
                {
                    "id": "2" * 16,
                    "traceId": "1" * 32,
                    "name": "s",
                    "type": "SPAN",
                    "startTime": "2025-01-01T00:00:00.000Z",
                    "metadata": '{"attributes": {"a": "1"}}',
                }
            ],
        }
    ).encode(),
    json.dumps(
        [
            {
                "data": [
                    {
                        "object": "trace.span",
                        "id": "span_" + "2" * 24,
                        "trace_id": "trace_" + "1" * 32,
                        "parent_id": None,
                        "started_at": "2025-08-15T17:56:54.831785+00:00",
                        "span_data": {"type": "function", "name": "f", "input": "{}"},
                        "error": {"message": "x"},
                    }
                ]
            }
        ]
    ).encode(),
    json.dumps(
        {
            "format": "agenttrace",
            "version": 1,
            "spans": [
                {
                    "trace_id": "1" * 32,
                    "span_id": "2" * 16,
                    "name": "s",
                    "attributes": {"a": [1]},
                    "events": [{"name": "e", "time_ns": 1}],
                }
            ],
        }
    ).encode(),
    json.dumps(
        [
            {
                "name": "s",
                "spanContext": {"traceId": "1" * 32, "spanId": "2" * 16},
                "startTime": [1, 2],
                "status": {"code": 1},
            }
        ]
    ).encode(),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    doc=st.sampled_from(VALID_DOCS),
    cut=st.floats(min_value=0, max_value=1),
    flips=st.lists(st.tuples(st.floats(min_value=0, max_value=1), st.integers(0, 255)), max_size=4),
    gz=st.booleans(),
)
def test_corrupted_documents_only_raise_trace_format_error(doc: bytes, cut: float, flips: Any, gz: bool) -> None:
    data = bytearray(doc[: int(len(doc) * cut)] if cut < 1 else doc)
    for where, byte in flips:
        if data:
            data[min(int(where * len(data)), len(data) - 1)] = byte
    payload = bytes(data)
    if gz:
        payload = gzip.compress(payload)
        payload = payload[: max(2, int(len(payload) * (cut if cut < 1 else 1)))] if flips else payload
    try:
        read_records(payload)
    except TraceFormatError as exc:
        assert str(exc).startswith("<bytes>: ")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)
KEYS = [
    "traceId",
    "spanId",
    "parentSpanId",
    "name",
    "kind",
    "startTimeUnixNano",
    "attributes",
    "status",
    "events",
    "context",
    "trace_id",
    "span_id",
    "start_time",
    "spans",
    "data",
    "observations",
    "value",
    "key",
    "stringValue",
    "intValue",
    "arrayValue",
    "values",
    "span_data",
    "type",
    "object",
    "spanContext",
    "low",
    "high",
    "timeUnixNano",
]


def _mutate(obj: Any, paths: list[tuple[int, Any]]) -> Any:
    """Replace values deep inside a valid document with arbitrary JSON (type confusion, not just syntax errors)."""
    for seed, new in paths:
        node = obj
        for _ in range(8):
            if isinstance(node, dict) and node:
                keys = sorted(node)
                key = keys[seed % len(keys)]
                if not isinstance(node[key], (dict, list)) or seed % 3 == 0:
                    node[key] = new
                    break
                node = node[key]
            elif isinstance(node, list) and node:
                i = seed % len(node)
                if not isinstance(node[i], (dict, list)) or seed % 3 == 0:
                    node[i] = new
                    break
                node = node[i]
            else:
                break
            seed //= 2
    return obj


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    doc=st.sampled_from(VALID_DOCS),
    paths=st.lists(st.tuples(st.integers(0, 10**6), JSON_VALUES | st.sampled_from(KEYS)), min_size=1, max_size=3),
)
def test_type_confused_documents_only_raise_trace_format_error(doc: bytes, paths: Any) -> None:
    mutated = _mutate(json.loads(doc), paths)
    with contextlib.suppress(TraceFormatError):  # anything else fails the test
        read_records(json.dumps(mutated).encode())
