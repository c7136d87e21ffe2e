"""Security: trace and cassette files are data only (no object deserialization, nothing evaluated), `convert` writes
only inside `--out` whatever names a trace holds, and the generated test escapes every recorded string.

Extends tests/test_convert.py (one hostile trace, checked by AST) with generated hostile names and values, symlinks
inside `--out`, running the generated test, and the inputs that broke it.
"""

from __future__ import annotations

import builtins
import json
import marshal
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_agenttrace._errors import ConfigError
from pytest_agenttrace._model import Trace
from pytest_agenttrace._records import SpanRecord
from pytest_agenttrace.assertions._matchers import Call
from pytest_agenttrace.cassettes import Cassette, CassetteFormatError, use_cassette
from pytest_agenttrace.convert import convert_trace, render_test
from pytest_agenttrace.formats import load_trace, read_records, save_trace
from pytest_agenttrace.lint import lint_trace

# ----------------------------------------------------------------------------------------------- cassettes

PYTHON_TAGS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/apply:subprocess.check_output [['touch', '{marker}']]",
    "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/object:builtins.object {{}}",
    "!!python/tuple [1, 2]",
    "!!python/bytes aGk=",
    "!<tag:yaml.org,2002:python/object/apply:os.system> ['touch {marker}']",
]


@pytest.mark.parametrize("tag", PYTHON_TAGS)
@pytest.mark.parametrize("where", ["top", "tool-arguments", "interaction-body"])
def test_python_object_tags_are_refused(tmp_path: Path, tag: str, where: str) -> None:
    marker = tmp_path / "pwned"
    value = tag.format(marker=marker)
    text = {
        "top": f"{value}\n",
        "tool-arguments": f"version: 1\ntools:\n- name: t\n  arguments: {value}\n",
        "interaction-body": (
            "version: 1\ninteractions:\n- request:\n    method: GET\n    uri: http://x/\n    headers: {}\n"
            f"    body: {value}\n  response: {{status: {{code: 200}}, body: {{string: ''}}}}\n"
        ),
    }[where]
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(CassetteFormatError, match=r"not valid YAML.*python"):
        Cassette.load(path)
    with pytest.raises(CassetteFormatError), use_cassette(path, mode="none", environ={}):
        pass
    assert not marker.exists()


def test_cassettes_are_parsed_by_the_safe_loader_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening a cassette with HTTP interactions goes through `yaml` with a safe loader, never vcrpy's own
    (full) YAML loader, pickle or marshal."""
    recorded = Cassette(
        tools=[],
        interactions=[
            {
                "request": {
                    "method": "POST",
                    "uri": "https://api.openai.com/v1/chat/completions",
                    "body": "{}",
                    "headers": {},
                },
                "response": {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": "{}"}},
            }
        ],
    )
    path = recorded.save(tmp_path / "c.yaml")
    with use_cassette(path, mode="none", environ={}):  # warm up: vcrpy imports its patch targets (marshal, exec)
        pass
    loaders: list[str] = []
    real_load = yaml.load

    def checked_load(stream: Any, Loader: Any) -> Any:
        loaders.append(Loader.__name__)
        return real_load(stream, Loader=Loader)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an unsafe deserializer was called")

    import vcr.serializers.yamlserializer

    monkeypatch.setattr(yaml, "load", checked_load)
    for name in ("unsafe_load", "full_load", "load_all", "unsafe_load_all", "full_load_all"):
        monkeypatch.setattr(yaml, name, refuse)
    monkeypatch.setattr(vcr.serializers.yamlserializer, "deserialize", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(marshal, "loads", refuse)
    try:
        with use_cassette(path, mode="none", environ={}) as session:
            assert session.http is not None and len(session.http.cassette.data) == 1
    finally:
        monkeypatch.undo()
    assert loaders and set(loaders) <= {"SafeLoader", "CSafeLoader"}


@pytest.mark.parametrize("value", ["&r [*r]", "&m {a: *m}"])
def test_recursive_yaml_aliases_are_refused(tmp_path: Path, value: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"version: 1\ntools:\n- name: t\n  arguments: {value}\n")
    with pytest.raises(CassetteFormatError, match="refers to itself"):
        Cassette.load(path)


def test_yaml_alias_bombs_are_refused(tmp_path: Path) -> None:
    lines = ["version: 1", "bomb:", "- &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"- &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    lines += ["tools:", "- name: t", "  arguments: {v: *a8}"]
    path = tmp_path / "c.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CassetteFormatError, match="aliases"):
        Cassette.load(path)  # loading alone is fast: the bomb goes off in whatever walks the data next


# ---------------------------------------------------------------------------------------------------- traces

CODE = "__import__('os').system('touch {marker}')"


def _code_trace_docs(marker: Path) -> Iterator[bytes]:
    """Documents whose every string is Python code that would leave `marker` behind if it ever ran."""
    code = CODE.format(marker=marker)
    attrs = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": code,
        "gen_ai.tool.call.arguments": json.dumps({"q": code}),
        "gen_ai.tool.call.result": f"{{'a': {code}}}",  # a Python-repr-looking result (PII scans literal_eval these)
        "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": code}]}]),
        code: code,
    }
    span = {
        "trace_id": "1" * 32,
        "span_id": "2" * 16,
        "name": code,
        "attributes": attrs,
        "status": {"code": "ERROR", "message": code},
    }
    yield json.dumps({"format": "agenttrace", "version": 1, "spans": [span]}).encode()
    kv = [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()]
    otlp_span = {"traceId": "1" * 32, "spanId": "2" * 16, "name": code, "attributes": kv}
    yield json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [otlp_span]}]}]}).encode()
    pickle_like = {"gen_ai.operation.name": code, "__reduce__": code, "py/object": "os.system", "!!python/object": code}
    yield json.dumps(pickle_like).encode()  # a bare attribute map with jsonpickle / pickle / YAML tag look-alikes


def test_trace_files_are_never_evaluated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "pwned"

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("trace data reached eval/exec/pickle/marshal")

    def everything(doc: bytes) -> None:
        trace = Trace.from_records(read_records(doc))
        repr(trace)
        trace.to_json()
        lint_trace(trace)
        Cassette.from_trace(trace).to_yaml()
        save_trace(trace, tmp_path / "t.json")

    docs = list(_code_trace_docs(marker))
    for doc in docs:  # warm up: first imports run module code through exec and marshal, legitimately
        everything(doc)
    assert not marker.exists()
    # compile stays: ast.literal_eval (the PII scan of repr-looking values) only parses
    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(marshal, "loads", refuse)
    try:
        for doc in docs:
            everything(doc)
    finally:
        monkeypatch.undo()
    assert not marker.exists()


# --------------------------------------------------------------------------------------------------- convert

#: Names and values that break naive code generation or path building (known-broken classes excluded: see the
#: xfail tests below).
HOSTILE = [
    "../../evil",
    "..",
    "/etc/passwd",
    "C:\\Windows\\system32",
    "a\x00b",
    "line\nbreak",
    "cr\rlf\r\n",
    '"""',
    "'''",
    '"; import os; os.system("x") #',
    "\\",
    "\\N{BULLET}",
    "{0}",
    "%(x)s",
    "\u2028\u2029\x85\x0b\x0c",
    "# comment",
    "class",
    "None",
    "__import__('os')",
    "日本語",
    "",
    " ",
]
#: No lone surrogates (Cs) nor number-like symbols (No: "²"): both are pinned by xfail tests below.
TEXT = st.one_of(
    st.sampled_from(HOSTILE), st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "No"]), max_size=8)
)
ARG_KEYS = st.one_of(st.sampled_from(HOSTILE), st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True))
ARG_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda c: st.lists(c, max_size=2) | st.dictionaries(TEXT, c, max_size=2),
    max_leaves=5,
)


def _hostile_records(agent: str, tools: list[tuple[str, dict[str, Any]]], model: str) -> list[SpanRecord]:
    tid = "1" * 32
    out = [
        SpanRecord(
            trace_id=tid,
            span_id=f"{1:016x}",
            name=f"invoke_agent {agent}",
            start_ns=1,
            end_ns=1_000,
            attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent, "gen_ai.agent.id": agent},
        ),
        SpanRecord(
            trace_id=tid,
            span_id=f"{2:016x}",
            parent_id=f"{1:016x}",
            name=f"chat {model}",
            kind="CLIENT",
            start_ns=2,
            end_ns=3,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": model,
                "gen_ai.usage.input_tokens": 10,
                "gen_ai.usage.output_tokens": 5,
                "gen_ai.output.messages": json.dumps(
                    [{"role": "assistant", "parts": [{"type": "text", "content": model}]}]
                ),
            },
        ),
    ]
    for i, (name, args) in enumerate(tools):
        out.append(
            SpanRecord(
                trace_id=tid,
                span_id=f"{i + 3:016x}",
                parent_id=f"{1:016x}",
                name=f"execute_tool {name}",
                start_ns=10 + 2 * i,
                end_ns=11 + 2 * i,
                status_code="ERROR" if i == 1 else "UNSET",
                status_message=name if i == 1 else "",
                attributes={
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": name,
                    "gen_ai.tool.call.id": name,
                    "gen_ai.tool.call.arguments": json.dumps(args),
                    "gen_ai.tool.call.result": json.dumps(args),
                },
            )
        )
    return out


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def _check_conversion(root: Path, trace: Trace, *, entrypoint: str | None) -> Path:
    """Convert into `root/out`; nothing is written elsewhere, the module compiles and its constants are the
    recorded calls (as the trace file or cassette written next to it holds them)."""
    out = root / "out"
    before = _files(root)
    result = convert_trace(trace, out=out, entrypoint=entrypoint, is_async=False if entrypoint else None)
    written = _files(root) - before
    assert written and all(p.resolve().is_relative_to(out.resolve()) for p in written), written
    assert written == {p for p in (result.test_path, result.cassette_path, result.trace_path) if p is not None}
    source = result.test_path.read_text(encoding="utf-8")
    code = compile(source, str(result.test_path), "exec")
    namespace: dict[str, Any] = {"__file__": str(result.test_path), "__name__": "generated"}
    if entrypoint:
        sys.modules.setdefault("hostile_agent", type(sys)("hostile_agent"))
        sys.modules["hostile_agent"].run = lambda x: x  # type: ignore[attr-defined]
    exec(code, namespace)
    if result.trace_path is not None:
        saved = load_trace(result.trace_path)
        assert namespace["EXPECTED_TOOL_CALLS"] == [Call.from_tool_call(t) for t in saved.tool_calls]
    else:
        assert result.cassette_path is not None
        cassette = Cassette.load(result.cassette_path)
        assert [(c.name, dict(c.arguments)) for c in namespace["EXPECTED_TOOL_CALLS"]] == [
            (t.name, t.arguments) for t in cassette.tools
        ]
    return result.test_path


@settings(max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    agent=TEXT,
    tools=st.lists(st.tuples(TEXT, st.dictionaries(ARG_KEYS, ARG_VALUES, max_size=3)), min_size=1, max_size=3),
    model=TEXT,
    entrypoint=st.sampled_from([None, "hostile_agent:run"]),
)
def test_convert_of_hostile_names_stays_inside_out_and_escapes_everything(
    agent: str, tools: list[tuple[str, dict[str, Any]]], model: str, entrypoint: str | None
) -> None:
    trace = Trace.from_records(_hostile_records(agent, tools, model))
    with tempfile.TemporaryDirectory() as tmp:
        _check_conversion(Path(tmp), trace, entrypoint=entrypoint)


def test_generated_test_of_a_hostile_trace_passes(tmp_path: Path) -> None:
    """Run the converted test itself: it reproduces its own recording (constants equal the recorded data)."""
    tools = [(name, {"q": name, "n": i}) for i, name in enumerate(HOSTILE[:8])]
    trace = Trace.from_records(_hostile_records('../../"""agent\n', tools, "/abs/model\x00"))
    test_path = _check_conversion(tmp_path, trace, entrypoint=None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(test_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


@pytest.mark.parametrize("target", ["test", "traces"])
def test_symlinks_inside_out_cannot_send_a_write_outside(tmp_path: Path, target: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    trace = Trace.from_records(_hostile_records("agent", [("t", {"a": 1})], "m"))
    if target == "test":
        (out / "test_agent.py").symlink_to(outside / "stolen.py")
    else:
        (out / "traces").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ConfigError, match="outside --out"):
        convert_trace(trace, out=out)
    assert list(outside.iterdir()) == []


# ------------------------------------------------------------------------------ what broke the code generator


def _convert_one(tmp_path: Path, *, agent: str = "agent", name: str = "t", args: str = "{}") -> Any:
    records = _hostile_records(agent, [], "m")
    records.append(
        SpanRecord(
            trace_id="1" * 32,
            span_id="f" * 16,
            parent_id=f"{1:016x}",
            name="execute_tool",
            start_ns=5,
            end_ns=6,
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": name,
                "gen_ai.tool.call.arguments": args,
            },
        )
    )
    return _check_conversion(tmp_path, Trace.from_records(records), entrypoint=None)


@pytest.mark.parametrize("agent", ["agent²", "a\u00b9b", "\u00bd"])
def test_agent_names_that_are_word_characters_but_not_identifiers(tmp_path: Path, agent: str) -> None:
    _convert_one(tmp_path, agent=agent)


def test_argument_names_python_would_normalize(tmp_path: Path) -> None:
    _convert_one(tmp_path, args=json.dumps({"\ufb01le": 1, "\u210c": 2}))  # ligature fi, black-letter H


def test_infinite_argument_values(tmp_path: Path) -> None:
    _convert_one(tmp_path, args='{"x": 1e400, "y": -1e400}')


@pytest.mark.parametrize("writer", ["save_trace", "cassette", "convert"])
def test_lone_surrogates_from_json_escapes(tmp_path: Path, writer: str) -> None:
    doc = {
        "format": "agenttrace",
        "version": 1,
        "spans": [
            {
                "trace_id": "1" * 32,
                "span_id": "2" * 16,
                "name": "execute_tool",
                "attributes": {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": "t\ud800",
                    "gen_ai.tool.call.arguments": '{"x": "\\udfff"}',
                },
            }
        ],
    }
    text = json.dumps(doc)  # ensure_ascii: the file holds the escapes \ud800, \\udfff
    trace = load_trace(text.encode())
    assert trace.tool_calls[0].name == "t\ud800"
    try:
        if writer == "save_trace":
            save_trace(trace, tmp_path / "t.json")
            ok = load_trace(tmp_path / "t.json").tool_calls[0].name == "t\ud800"
        elif writer == "cassette":
            Cassette.from_trace(trace).save(tmp_path / "c.yaml")
            ok = Cassette.load(tmp_path / "c.yaml").tools[0].name.startswith("t")
        else:
            source = render_test(trace, name="x", entrypoint=None, cassette_rel=None, trace_rel="t.json", findings=[])
            source.encode("utf-8")
            ok = True
    except UnicodeEncodeError as exc:
        # an ASCII message: a report holding a lone surrogate cannot cross to the xdist controller
        pytest.fail(ascii(exc), pytrace=False)
    assert ok
