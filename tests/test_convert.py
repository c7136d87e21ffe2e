"""`agenttrace convert`: generated tests compile, pass ruff, escape recorded strings, stay inside --out, and
reproduce (then guard) the recorded trajectory."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_agenttrace import SpanRecord, Trace, TraceSelectionError, load_trace
from pytest_agenttrace.cli import main
from pytest_agenttrace.convert import convert_trace, infer_schema, recorded_input, safe_identifier, select_trace

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
INCIDENTS = ["incident_wrong_order_refund", "incident_tool_loop", "incident_truncated_subagent", "clean_refund"]


def _ruff(*paths: Path) -> None:
    """ruff's default rules, run from a project root where the agent's package exists (so it is first-party)."""
    root = paths[0].parent
    for module in ("myapp", "m"):
        (root / module).mkdir(exist_ok=True)
        (root / module / "__init__.py").touch()
        (root / module / "agent.py").write_text("def run(x):\n    return x\n")
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    proc = subprocess.run([ruff, "check", "--isolated", *map(str, paths)], capture_output=True, text=True, cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", INCIDENTS)
def test_converted_files_compile_and_pass_ruff(name: str, tmp_path: Path) -> None:
    trace = load_trace(TRACES / f"{name}.otlp.json")
    with_entry = convert_trace(trace, out=tmp_path / "a", entrypoint="myapp.agent:run", is_async=False)
    without = convert_trace(trace, out=tmp_path / "b")
    for result in (with_entry, without):
        compile(result.test_path.read_text(), str(result.test_path), "exec")
    _ruff(with_entry.test_path, without.test_path)
    assert with_entry.cassette_path is not None and with_entry.cassette_path.is_file()
    assert without.trace_path is not None and without.trace_path.is_file()


def test_the_docstring_says_what_went_wrong_and_what_to_change(tmp_path: Path) -> None:
    trace = load_trace(TRACES / "incident_wrong_order_refund.otlp.json")
    result = convert_trace(trace, out=tmp_path, entrypoint="myapp.agent:run", is_async=False)
    text = result.test_path.read_text()
    assert "[contradicting-argument] refund_order got order_id='A1044'" in text
    assert "EXPECTED_TOOL_CALLS[1]" in text
    assert 'call("refund_order", order_id="A1044", amount=80.0),  # [1]' in text
    assert "RECORDED_INPUT = " in text and "A1043" in text


def test_async_entrypoints_are_awaited(tmp_path: Path) -> None:
    trace = load_trace(TRACES / "clean_refund.otlp.json")
    text = convert_trace(trace, out=tmp_path, entrypoint="myapp.agent:arun", is_async=True).test_path.read_text()
    assert "import asyncio" in text and "output = asyncio.run(arun(RECORDED_INPUT))" in text


def test_converting_twice_gives_the_same_files(tmp_path: Path) -> None:
    trace = load_trace(TRACES / "incident_tool_loop.otlp.json")
    a = convert_trace(trace, out=tmp_path / "a", entrypoint="m:run", is_async=False)
    b = convert_trace(trace, out=tmp_path / "b", entrypoint="m:run", is_async=False)
    assert a.test_path.read_bytes() == b.test_path.read_bytes()
    assert a.cassette_path and b.cassette_path
    assert a.cassette_path.read_bytes() == b.cassette_path.read_bytes()


@pytest.mark.parametrize("name", INCIDENTS)
def test_the_test_without_entrypoint_passes_and_guards(name: str, pt: pytest.Pytester) -> None:
    pytester = pt
    trace = load_trace(TRACES / f"{name}.otlp.json")
    result = convert_trace(trace, out=pytester.path / "tests")
    pytester.runpytest("-p", "no:cacheprovider", str(result.test_path)).assert_outcomes(passed=1)
    # state a different behaviour: the test must fail on the recording
    text = result.test_path.read_text()
    edited = text.replace("EXPECTED_TOOL_CALLS = [", 'EXPECTED_TOOL_CALLS = [\n    call("never_called"),', 1)
    result.test_path.write_text(edited)
    run = pytester.runpytest("-p", "no:cacheprovider", str(result.test_path))
    run.assert_outcomes(failed=1)
    run.stdout.fnmatch_lines(["*never_called*"])


def _hostile_trace() -> Trace:
    evil = 'x"""\nimport os; os.system("echo pwned")\n#'
    attrs = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": evil,
        "gen_ai.tool.call.arguments": json.dumps({"q": evil, "not an identifier": "\\x00\u2028'\"", "class": 1}),
        "gen_ai.tool.call.result": json.dumps(evil),
    }
    agent = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "../../../etc/passwd"}
    return Trace.from_records(
        [
            SpanRecord(
                trace_id="1" * 32, span_id="a" * 16, name="invoke_agent x", start_ns=1, end_ns=9, attributes=agent
            ),
            SpanRecord(
                trace_id="1" * 32,
                span_id="b" * 16,
                parent_id="a" * 16,
                name="t",
                start_ns=2,
                end_ns=3,
                attributes=attrs,
            ),
        ]
    )


def test_recorded_strings_are_escaped_and_paths_stay_inside_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = convert_trace(_hostile_trace(), out=out, entrypoint="m:run", is_async=False, keep_pii=True)
    for written in (result.test_path, result.cassette_path):
        assert written is not None
        assert written.resolve().is_relative_to(out.resolve())
    source = result.test_path.read_text()
    # every call in the generated module is one of ours; recorded text only ever appears as string constants
    import ast

    tree = ast.parse(source)
    allowed = {
        "call",
        "run",
        "agenttrace",
        "assert_tool_calls",
        "assert_max_llm_calls",
        "assert_tokens_within",
        "assert_cost_within",
        "assert_output_schema",
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            assert name in allowed, ast.dump(node)
        if isinstance(node, ast.Import | ast.ImportFrom):
            assert all(alias.name != "os" for alias in node.names)
    assert not any(
        isinstance(n, ast.Constant) and n.value == 'import os; os.system("echo pwned")' for n in ast.walk(tree)
    )
    namespace: dict[str, object] = {"call": __import__("pytest_agenttrace").call}
    consts = source.split("EXPECTED_TOOL_CALLS = [", 1)[1].split("\n]\n", 1)[0]
    exec("EXPECTED = [" + consts + "\n]", namespace)
    (expected,) = namespace["EXPECTED"]  # type: ignore[misc]
    trace = _hostile_trace()
    assert expected.name == trace.tool_calls[0].name
    assert expected.arguments == trace.tool_calls[0].arguments
    _ruff(result.test_path)
    assert safe_identifier("../../../etc/passwd") == "etc_passwd"


def test_keep_pii_warns_in_the_test(tmp_path: Path) -> None:
    result = convert_trace(load_trace(TRACES / "clean_refund.otlp.json"), out=tmp_path, keep_pii=True)
    assert "WARNING: converted with --keep-pii" in result.test_path.read_text()


def test_personal_data_is_pseudonymized_by_default(tmp_path: Path) -> None:
    email = "jane.doe@acme-corp.com"
    attrs = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "send_email",
        "gen_ai.tool.call.arguments": json.dumps({"to": email}),
    }
    trace = Trace.from_records([SpanRecord(trace_id="2" * 32, span_id="c" * 16, name="t", attributes=attrs)])
    result = convert_trace(trace, out=tmp_path, entrypoint="m:run", is_async=False)
    assert result.cassette_path is not None
    for path in (result.test_path, result.cassette_path):
        assert email not in path.read_text()
    assert result.pii_report and "email" in result.pii_report


def test_ambiguous_files_list_the_traces(tmp_path: Path) -> None:
    combined = tmp_path / "two.jsonl"
    combined.write_text(
        (TRACES / "clean_refund.sdk.jsonl").read_text() + (TRACES / "incident_tool_loop.sdk.jsonl").read_text()
    )
    with pytest.raises(TraceSelectionError, match="--trace-id") as info:
        select_trace(str(combined))
    message = str(info.value)
    for name in ("clean_refund", "incident_tool_loop"):
        assert load_trace(TRACES / f"{name}.otlp.json").trace_ids[0] in message
    assert "invoke_agent" in message
    tid = load_trace(TRACES / "clean_refund.otlp.json").trace_ids[0]
    assert select_trace(str(combined), trace_id=tid[:8]).tool_names == ["get_order", "refund_order"]


def test_cli_convert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["convert", str(TRACES / "incident_tool_loop.otlp.json"), "--out", str(tmp_path), "--name", "loop"])
    assert code == 0
    captured = capsys.readouterr()
    assert "wrote" in captured.out and (tmp_path / "test_loop.py").is_file()
    assert "repeated-tool-call" in captured.err


def test_recorded_input_and_schema() -> None:
    trace = load_trace(TRACES / "clean_refund.otlp.json")
    assert isinstance(recorded_input(trace), str) and recorded_input(trace)
    messages = recorded_input(trace, style="messages")
    assert messages and messages[-1]["role"] == "user"
    assert infer_schema({"a": 1, "b": "x"}) == {
        "type": "object",
        "required": ["a", "b"],
        "properties": {"a": {"type": "integer"}, "b": {"type": "string", "minLength": 1}},
    }
