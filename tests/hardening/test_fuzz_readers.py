"""Fuzzing, short run: every reader and the cassette loader, valid and corrupted documents, only the documented
error comes out (`TraceFormatError` / `CassetteFormatError`) and readers keep the `SpanRecord` contract.

The strategies and the runner are `bench/fuzz.py` (the long run: `python bench/fuzz.py`, 10,000 examples per
target); here each target gets a derandomized run. The bugs the fuzzer found are pinned one by one below with the
smallest input that shows them (`xfail(strict=True)` until fixed; the fixes are in the hardening report).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from pytest_agenttrace._errors import TraceFormatError
from pytest_agenttrace._model import Trace
from pytest_agenttrace._records import SpanRecord
from pytest_agenttrace.cassettes import Cassette, CassetteFormatError, use_cassette
from pytest_agenttrace.formats import read_records

EXAMPLES = 200


def _load_fuzz() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "fuzz.py"
    if not path.is_file():
        pytest.skip("bench/fuzz.py not present", allow_module_level=True)
    spec = importlib.util.spec_from_file_location("agenttrace_bench_fuzz", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


FUZZ = _load_fuzz()

#: Escapes already pinned by an xfail test below (regexes matched against the signature `bench/fuzz.py` prints:
#: "<stage>: <exception> at <file>:<line>"). Anything else fails the run. Delete an entry together with its
#: xfail test's marker once the fix is in.
KNOWN: dict[str, tuple[str, ...]] = {}  # escapes still tolerated: none (every fix is applied)


@pytest.mark.parametrize("name", sorted(FUZZ.TARGETS))
def test_only_the_documented_error_escapes(name: str) -> None:
    target = FUZZ.TARGETS[name]
    known = [re.compile(k) for k in KNOWN.get(name, ())]

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(target.strategy)
    def check(case: Any) -> None:
        try:
            target.run(case.data)
        except FUZZ.Escape as esc:
            if not any(k.match(esc.signature) for k in known):
                # ASCII only: a report holding a lone surrogate cannot cross to the xdist controller
                raise AssertionError(ascii(f"{esc} (input: {case!r})")) from esc.exc

    check()


def test_the_bench_run_counts_escapes_instead_of_stopping() -> None:
    stats = FUZZ.fuzz(FUZZ.TARGETS["arbitrary-json"], examples=20, derandomize=True)
    assert stats.examples == 20 and stats.escapes == 0
    assert sum(stats.outcomes.values()) == 20


def test_record_contract_check_catches_a_bad_record() -> None:
    from pytest_agenttrace._records import SpanRecord

    FUZZ.check_record(SpanRecord(trace_id="1" * 32, span_id="2" * 16, name="ok", attributes={"a": (1, 2)}))
    with pytest.raises(FUZZ.RecordInvariantError, match=r"key 1\.5"):
        FUZZ.check_record(SpanRecord(trace_id="1" * 32, span_id="2" * 16, name="x", attributes={1.5: "v"}))
    with pytest.raises(FUZZ.RecordInvariantError, match="list"):
        FUZZ.check_record(SpanRecord(trace_id="1" * 32, span_id="2" * 16, name="x", attributes={"a": [1]}))


# ------------------------------------------------------------------------------- what the fuzzer found: traces


def _otlp(span: dict[str, Any]) -> bytes:
    base = {"traceId": "1" * 32, "spanId": "2" * 16, "name": "s"}
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{**base, **span}]}]}]}).encode()


def _read_clean(data: bytes) -> None:
    """Either a TraceFormatError, or records that keep the SpanRecord contract."""
    try:
        records = read_records(data)
    except TraceFormatError:
        return
    for r in records:
        FUZZ.check_record(r)


@pytest.mark.parametrize(
    "attribute",
    [{"key": 1.5, "value": {"stringValue": "x"}}, {"key": "a", "value": {"stringValue": [1]}}],
    ids=["number-key", "list-string-value"],
)
def test_otlp_attribute_key_and_string_value_types(attribute: dict[str, Any]) -> None:
    with pytest.raises(TraceFormatError, match="string"):
        read_records(_otlp({"attributes": [attribute]}))


def test_otlp_status_message_type() -> None:
    with pytest.raises(TraceFormatError, match=r"status\.message"):
        read_records(_otlp({"status": {"code": 2, "message": {"a": 1}}}))


def test_jaeger_service_name_type() -> None:
    doc = {
        "data": [
            {
                "traceID": "1" * 32,
                "spans": [{"traceID": "1" * 32, "spanID": "2" * 16, "operationName": "s", "processID": "p1"}],
                "processes": {"p1": {"serviceName": [], "tags": []}},
            }
        ]
    }
    with pytest.raises(TraceFormatError, match="serviceName"):
        read_records(json.dumps(doc).encode())


@pytest.mark.parametrize("field", ["type", "level", "statusMessage"])
def test_langfuse_type_level_and_status_message_types(field: str) -> None:
    obs = {"id": "2" * 16, "traceId": "1" * 32, "name": "s", "startTime": "2025-01-01T00:00:00Z", field: ["x"]}
    with pytest.raises(TraceFormatError, match=field):
        read_records(json.dumps({"trace": {"id": "1" * 32}, "observations": [obs]}).encode())


@pytest.mark.parametrize(
    "span_data",
    [
        {"type": "agent", "name": ["a"]},
        {"type": "function", "name": {"a": 1}},
        {"type": "response", "response_id": [1]},
        {"type": "handoff", "from_agent": [], "to_agent": "b"},
        {"type": "guardrail", "name": "g", "triggered": [True]},
    ],
    ids=["agent-name", "tool-name", "response-id", "handoff", "triggered"],
)
def test_openai_agents_scalar_fields(span_data: dict[str, Any]) -> None:
    item = {"object": "trace.span", "id": "span_" + "2" * 24, "trace_id": "trace_" + "1" * 32, "span_data": span_data}
    with pytest.raises(TraceFormatError, match="span_data"):
        read_records(json.dumps([{"data": [item]}]).encode())


@pytest.mark.parametrize("tokens", ['"1e400"', "1e400", "NaN"])
def test_token_counts_that_are_not_finite(tokens: str) -> None:
    text = (
        '{"format": "agenttrace", "version": 1, "spans": [{"trace_id": "'
        + "1" * 32
        + '", "span_id": "'
        + "2" * 16
        + '", "name": "chat m", "attributes": {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", '
        + '"gen_ai.usage.input_tokens": '
        + tokens
        + "}}]}"
    )
    trace = Trace.from_records(read_records(text.encode()))
    assert trace.llm_calls[0].input_tokens is None  # not a count: dropped, not a crash


@pytest.mark.parametrize(
    "attributes",
    [
        {"gen_ai.output.messages": '[{"role": "assistant", "content": "hi", "tool_calls": NaN}]'},
        {"gen_ai.output.messages": '[{"role": "assistant", "content": "hi", "tool_calls": {"id": "c1"}}]'},
        {"model_request_parameters": '{"output_tools": NaN}'},
        {"model_request_parameters": '{"output_tools": "final_result"}'},
    ],
    ids=["tool-calls-nan", "tool-calls-mapping", "output-tools-nan", "output-tools-string"],
)
def test_message_fields_of_the_wrong_type_are_ignored(attributes: dict[str, Any]) -> None:
    """Found by `bench/fuzz.py` (openai-agents, NaN corruption): a `tool_calls` or `output_tools` that is not a list
    is not a list of calls; the build keeps going instead of raising TypeError."""
    record = SpanRecord("1" * 32, "2" * 16, "chat m", attributes={"gen_ai.operation.name": "chat", **attributes})
    trace = Trace.from_records([record])
    assert len(trace.llm_calls) == 1 and not trace.tool_calls


def test_every_reader_keeps_the_record_contract_on_these() -> None:
    """Inputs close to the bugs above that are already handled (so the xfails stay specific)."""
    _read_clean(_otlp({"attributes": [{"key": "a", "value": {"stringValue": "x"}}]}))
    _read_clean(_otlp({"attributes": [{"key": "a", "value": {"arrayValue": {"values": [{"intValue": "1"}]}}}]}))
    records = read_records(_otlp({"status": {"code": 2, "message": "boom"}}))
    assert records[0].status_message == "boom"


# ----------------------------------------------------------------------------- what the fuzzer found: cassettes


def _cassette(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "c.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def _open(path: Path) -> None:
    Cassette.load(path)
    with use_cassette(path, mode="none", environ={}):
        pass


def test_cassette_that_is_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(CassetteFormatError, match="UTF-8"):
        Cassette.load(_cassette(tmp_path, "version: 1\ntools: []\n".encode("utf-16")))


@pytest.mark.parametrize("value", ["!!int 'x'", "!!float 'x'", "!!timestamp '2001-13-45'", "9" * 5000])
def test_cassette_yaml_value_its_tag_rejects(tmp_path: Path, value: str) -> None:
    with pytest.raises(CassetteFormatError):
        Cassette.load(_cassette(tmp_path, f"version: 1\ntools: [{{name: t, arguments: {{x: {value}}}}}]\n"))


def test_cassette_integer_too_long_to_print(tmp_path: Path) -> None:
    path = _cassette(tmp_path, "version: 1\ntools: [{name: t, arguments: {x: 0x" + "f" * 5000 + "}}]\n")
    with pytest.raises(CassetteFormatError, match="too long"):
        _open(path)


@pytest.mark.parametrize(
    "response",
    ["{usage: 5}", "{usage: {a: .nan}}", "{finish_reasons: 5}", "{output: [{role: user, parts: 5}]}"],
)
def test_cassette_llm_entry_of_the_wrong_shape(tmp_path: Path, response: str) -> None:
    with pytest.raises(CassetteFormatError, match=r"llm\[0\]"):
        Cassette.load(_cassette(tmp_path, f"version: 1\nllm: [{{request: {{}}, response: {response}}}]\n"))


@pytest.mark.parametrize(
    "interaction",
    [
        "{request: {}, response: {}}",
        "{request: {method: GET, uri: 'http://x/', body: null, headers: 5}, response: {}}",
        "{request: {method: GET, uri: 'http://x/', body: null, headers: {}}, response: {status: x}}",
        "{request: {method: GET, uri: 'http://x/', body: null, headers: {}}, response: {status: {code: x}}}",
        "{request: {method: null, uri: 'http://x/', body: null, headers: {}}, response: {}}",
        "{request: {method: GET, uri: 'http://x/', body: null, headers: {a: []}}, response: {}}",
    ],
    ids=[
        "no-method",
        "headers-not-a-map",
        "status-not-a-map",
        "status-code-not-a-number",
        "method-null",
        "empty-header",
    ],
)
def test_cassette_http_interaction_of_the_wrong_shape(tmp_path: Path, interaction: str) -> None:
    with pytest.raises(CassetteFormatError, match=r"interactions\[0\]"):
        _open(_cassette(tmp_path, f"version: 1\ninteractions: [{interaction}]\n"))


def test_cassette_errors_already_named(tmp_path: Path) -> None:
    """Neighbours of the bugs above that already give a CassetteFormatError."""
    with pytest.raises(CassetteFormatError, match="not valid YAML"):
        Cassette.load(_cassette(tmp_path, "version: 1\ntools: [\n"))
    with pytest.raises(CassetteFormatError, match="'tools' must be a list"):
        Cassette.load(_cassette(tmp_path, "version: 1\ntools: 5\n"))
    with pytest.raises(CassetteFormatError, match=r"tools\[0\]"):
        Cassette.load(_cassette(tmp_path, "version: 1\ntools: [{arguments: {}}]\n"))
