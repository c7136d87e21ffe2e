"""`agenttrace convert`: a recorded (production) trace -> a cassette and a readable pytest file.

The generated test calls the agent's entry point with the recorded input, replays tools and the LLM from the
cassette, and asserts the recorded trajectory (tool sequence with arguments, LLM call count, token and cost budgets
with headroom, the final output's schema). A comment block at the top says what `agenttrace lint` found wrong in the
recording and which expectation to edit to state the correct behaviour. Everything recorded is written as Python
literals (`repr`), never pasted as code; every path written stays inside `--out`.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import keyword
import math
import os
import re
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import ConfigError, TraceSelectionError

if TYPE_CHECKING:
    from ._model import Trace
    from .lint import Finding

#: Budgets get this much room over what the recording used (cost and tokens vary with model versions).
HEADROOM = 1.5
INPUT_STYLES = ("string", "messages")


@dataclass
class ConvertResult:
    """What `convert_trace` wrote and what it found."""

    test_path: Path
    cassette_path: Path | None
    trace_path: Path | None
    findings: list[Finding] = field(default_factory=list)
    pii_report: str | None = None
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------- selection


def select_trace(source: str, *, trace_id: str | None = None, all_traces: bool = False) -> Trace:
    """The run to convert: with `trace_id` that trace; else the file's spans when they form one run; else an
    error listing the candidate traces (root names and start times) and how to pick one."""
    from ._model import Trace as TraceCls
    from .formats import load_trace, load_traces, read_records

    if trace_id is not None:
        return load_trace(source, trace_id=trace_id)
    traces = load_traces(source)
    if all_traces or len(traces) <= 1:
        return TraceCls.from_records(read_records(source), source=str(source)) if traces else load_trace(source)
    with_agents = [t for t in traces if any(a.depth == 0 for a in t.agents)]
    runs = with_agents or [t for t in traces if t.llm_calls or t.tool_calls]
    if len(runs) == 1:
        # one agent run, plus spans of the same run exported as separate traces (an instrumentation that never
        # makes its span current): keep them all
        return TraceCls.from_records(read_records(source), source=str(source))
    raise TraceSelectionError(
        f"{source}: holds {len(runs)} agent runs in {len(traces)} traces; pick one with --trace-id "
        f"(or --all-traces to treat every span as one run):\n" + describe_traces(runs)
    )


def describe_traces(traces: Sequence[Trace]) -> str:
    """One line per trace: id, root span name, span count, start time (ISO)."""
    from datetime import UTC, datetime

    lines = []
    for t in traces:
        root = t.roots[0].record if t.roots else None
        start = min((r.start_ns for r in t.records), default=0)
        when = datetime.fromtimestamp(start / 1e9, tz=UTC).isoformat(timespec="seconds") if start else "?"
        name = root.name if root else "?"
        lines.append(f"  {t.trace_ids[0] if t.trace_ids else '?'}  {name!r}  {len(t.records)} spans  {when}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- recorded input


def recorded_input(trace: Trace, *, style: str = "string") -> Any:
    """The input the run started from: the root agent's input, else the first model call's user message(s)."""
    from ._model import Message, TextPart

    first_msgs: tuple[Message, ...] = trace.llm_calls[0].input_messages if trace.llm_calls else ()
    if style == "messages":
        out = []
        for m in first_msgs:
            if m.role == "assistant" or m.tool_results:
                break
            out.append({"role": m.role, "content": m.text})
        return out
    roots = [a for a in trace.agents if a.depth == 0]
    if roots and roots[0].input is not None:
        value = roots[0].input
        if isinstance(value, str):
            return value
        from .conventions._messages import parse_messages

        users = [m.text for m in parse_messages(value) if m.role == "user" and m.text]
        if users:
            return users[0]
    for m in first_msgs:
        if m.role == "user" and any(isinstance(p, TextPart) for p in m.parts):
            return m.text
    return None


# ------------------------------------------------------------------------------------------------ codegen


def safe_identifier(name: str) -> str:
    """A valid, lowercase Python identifier from any string (never a keyword, never empty)."""
    ident = re.sub(r"[^0-9a-z_]+", "_", name.strip().lower()).strip("_") or "recorded_run"  # ASCII: "²" is \w
    if ident[0].isdigit():
        ident = "run_" + ident
    if keyword.iskeyword(ident):
        ident += "_"
    return ident[:80]


def _comment(text: str, prefix: str = "# ") -> list[str]:
    """Comment lines for arbitrary (recorded) text: newlines can never end the comment early."""
    lines = []
    for raw in str(text).splitlines() or [""]:
        clean = _utf8(raw.replace("\r", " ").replace("\x00", ""))
        lines.extend(textwrap.wrap(clean, 110) or [""])
    return [f"{prefix}{line}".rstrip() for line in lines]


def _literal(value: Any, indent: int = 0) -> str:
    """A Python literal for JSON-like data, double-quoted like ruff/black write it; every string is escaped, so
    recorded text can never become code. Long values are split one item per line."""
    flat = _py(value)
    if len(flat) + indent <= 100 or not isinstance(value, (dict, list, tuple)) or not value:
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = [f"{pad}{_py(k)}: {_literal(v, indent + 4)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{_literal(v, indent + 4)}," for v in value]
    return "[\n" + "\n".join(items) + "\n" + " " * indent + "]"


def _utf8(text: str) -> str:
    """Text that can be written as UTF-8: a lone surrogate (valid in JSON, not in UTF-8) becomes its escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _py(value: Any) -> str:
    if isinstance(value, str):
        return _utf8(json.dumps(value, ensure_ascii=False))  # JSON string escapes are valid Python escapes
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'  # repr gives inf / nan: names, not literals
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py(k)}: {_py(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_py(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _call_expr(name: str, arguments: Any) -> str:
    if isinstance(arguments, dict) and all(
        isinstance(k, str) and k.isascii() and k.isidentifier() and not keyword.iskeyword(k) for k in arguments
    ):
        args = "".join(f", {k}={_literal(v, 8)}" for k, v in arguments.items())
        return f"call({_py(name)}{args})"
    if arguments is None or arguments == {}:
        return f"call({_py(name)})"
    return f"call({_py(name)}, **{_literal(arguments, 8)})"


def infer_schema(value: Any) -> dict[str, Any]:
    """A permissive JSON schema of a recorded final output: its type, and for objects the keys it had."""
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string", "minLength": 1}
    if isinstance(value, list):
        return {"type": "array"}
    if isinstance(value, dict):
        return {
            "type": "object",
            "required": list(value),
            "properties": {k: infer_schema(v) for k, v in value.items()},
        }
    return {}


def _hints(findings: Sequence[Finding], trace: Trace) -> list[str]:
    """Per finding, which expectation to change to state the correct behaviour."""
    out = []
    index = {t.span_id: i for i, t in enumerate(trace.tool_calls) if t.span_id}
    for f in findings:
        where = f" (EXPECTED_TOOL_CALLS[{index[f.span_id]}])" if f.span_id in index else ""
        if f.rule == "contradicting-argument":
            out.append(f"- fix the arguments of the call{where} to what the agent should have sent")
        elif f.rule == "repeated-tool-call":
            out.append(
                "- replace the repeated calls in EXPECTED_TOOL_CALLS by the one call the agent should make,"
                " and uncomment assert_no_repeated_tool_calls below"
            )
        elif f.rule in ("truncated", "content-filter"):
            out.append("- uncomment assert_finish_reasons below (the recording stopped early)")
        elif f.rule in ("tool-error", "llm-error"):
            out.append("- uncomment assert_no_tool_errors / assert_no_llm_errors below if the run must not fail")
        elif f.rule == "hallucinated-tool-result":
            out.append("- uncomment assert_no_hallucinated_tool_results below")
        else:
            out.append(f"- review the expectation behind {f.rule}")
    return list(dict.fromkeys(out))


def render_test(
    trace: Trace,
    *,
    name: str,
    entrypoint: str | None,
    cassette_rel: str | None,
    trace_rel: str | None,
    findings: Sequence[Finding],
    is_async: bool = False,
    input_style: str = "string",
    tools_module: str | None = None,
    keep_pii: bool = False,
    pii_report: str | None = None,
) -> str:
    """The source of the generated test module."""
    from ._render import step_line

    ids = ", ".join(trace.trace_ids[:3]) or "?"
    head = [f'"""Regression test converted by `agenttrace convert` from trace {ids}.', ""]
    if findings:
        head.append("What went wrong in the recording (agenttrace lint):")
        for f in findings:
            head.extend(_comment(f"[{f.rule}] {f.message} (span {f.span_id})", prefix="  "))
        head.append("")
        head.append("The expectations below reproduce the recording. To state the correct behaviour:")
        for hint in _hints(findings, trace):
            head.extend(_comment(hint, prefix="  "))
        head.append("The test then fails until the agent is fixed.")
    else:
        head.append("agenttrace lint found nothing wrong in the recording: the expectations below pin it.")
    if pii_report:
        head.append("")
        if pii_report.startswith("pseudonymized nothing"):
            head.append("Personal data: none found in the recording.")
        else:
            head.append(f"Personal data: {pii_report}; placeholders are consistent everywhere.")
    head.append('"""')
    # the docstring must not be closable by recorded text: only our own text and repr'd values go in it
    head = [
        line.replace('"""', "'''").replace("\\", "/") if 0 < i < len(head) - 1 else line for i, line in enumerate(head)
    ]

    lines: list[str] = [*head, ""]
    if keep_pii:
        lines += [
            "# WARNING: converted with --keep-pii: this file and its cassette may hold personal data from",
            "# production. Do not commit them unless your data policy allows it.",
            "",
        ]
    stdlib = ["import asyncio"] if (is_async and entrypoint) else []
    if not entrypoint:
        stdlib.append("from pathlib import Path")
    names = ["assert_max_llm_calls", "assert_tool_calls", "call"]
    if trace.totals.total_tokens:
        names.append("assert_tokens_within")
    cost = _cost(trace)
    if cost is not None:
        names.append("assert_cost_within")
    schema = infer_schema(trace.final_output) if trace.final_output is not None else None
    if schema:
        names.append("assert_output_schema")
    if not entrypoint:
        names.append("load_trace")
    if stdlib:
        lines += [*stdlib, ""]
    if entrypoint:
        lines.append("import pytest")
    lines.append("from pytest_agenttrace import (")
    lines += [f"    {n}," for n in sorted(set(names))]
    lines.append(")")
    fn_name = None
    if entrypoint:
        module, fn_name = entrypoint.split(":", 1)
        lines += ["", f"from {module} import {fn_name}"]
    lines.append("")

    if entrypoint:
        value = recorded_input(trace, style=input_style)
        lines.append(f"RECORDED_INPUT = {_literal(value, 17)}")
        lines.append("")
    lines.append("# The recorded tool calls, in order, with their exact arguments.")
    lines.append("EXPECTED_TOOL_CALLS = [")
    for i, t in enumerate(trace.tool_calls):
        note = ", failed in the recording" if t.error else ""
        lines.append(f"    {_call_expr(t.name, t.arguments)},  # [{i}]{note}")
    lines.append("]")
    if schema:
        lines.append(f"OUTPUT_SCHEMA = {_literal(schema)}")

    totals = trace.totals
    budget_tokens = int(totals.total_tokens * HEADROOM) + 1 if totals.total_tokens else None

    body: list[str] = []
    if entrypoint:
        marker_args = [f"cassette={_py(cassette_rel)}"]
        if tools_module:
            mapping = {t: f"{tools_module}.{t}" for t in dict.fromkeys(trace.tool_names)}
            marker_args.append(f"tools={_literal(mapping, 4)}")
        lines.append("")
        lines.append("")
        lines.append(f"@pytest.mark.agenttrace({', '.join(marker_args)})")
        lines.append(f"def test_{name}(agent_trace, agent_cassette):")
        call_expr = f"{fn_name}(RECORDED_INPUT)"
        body.append(f"output = asyncio.run({call_expr})" if is_async else f"output = {call_expr}")
        body.append("assert output is not None")
        target = "agent_trace"
    else:
        lines.append(f"TRACE_FILE = Path(__file__).parent / {_py(trace_rel)}")
        lines.append("")
        lines.append("")
        lines.append(f"def test_{name}():")
        body.append("# TODO: this test checks the recorded trace itself. Re-run the conversion with")
        body.append("# `--entrypoint module:function` to replay your agent against the recording instead.")
        body.append("trace = load_trace(TRACE_FILE)")
        target = "trace"
    body.append("")
    body.append(f'assert_tool_calls({target}, EXPECTED_TOOL_CALLS, order="strict", args="exact")')
    body.append(f"assert_max_llm_calls({target}, {len(trace.llm_calls)})  # recorded: {len(trace.llm_calls)}")
    if budget_tokens:
        body.append(
            f"assert_tokens_within({target}, total={budget_tokens})  "
            f"# recorded: {totals.total_tokens}, +{int((HEADROOM - 1) * 100)}%"
        )
    if cost is not None:
        body.append(
            f"assert_cost_within({target}, {round(cost * HEADROOM, 8) or 1e-6!r})  "
            f"# recorded: ${cost:.6f}, +{int((HEADROOM - 1) * 100)}%"
        )
    if schema:
        body.append(f"assert_output_schema({target}, OUTPUT_SCHEMA)")
    stricter = _stricter(findings, target)
    if stricter:
        body.append("")
        body.append("# Stricter expectations the recording breaks: uncomment (and import from pytest_agenttrace)")
        body.append("# to state the correct behaviour.")
        body += stricter
    lines += ["    " + b if b else "" for b in body]
    lines.append("")
    lines.append("")
    lines.append("# Recorded trajectory:")
    for step in trace.steps[:200]:
        lines.extend(_comment(step_line(step, max_value=60), prefix="#   "))
    return "\n".join(lines).rstrip() + "\n"


_STRICTER = {
    "tool-error": "assert_no_tool_errors({t})",
    "llm-error": "assert_no_llm_errors({t})",
    "repeated-tool-call": "assert_no_repeated_tool_calls({t})",
    "truncated": "assert_finish_reasons({t}, allowed={{'stop', 'tool_calls'}})",
    "content-filter": "assert_finish_reasons({t}, allowed={{'stop', 'tool_calls'}})",
    "hallucinated-tool-result": "assert_no_hallucinated_tool_results({t})",
}


def _stricter(findings: Sequence[Finding], target: str) -> list[str]:
    lines = [f"# {_STRICTER[f.rule].format(t=target)}" for f in findings if f.rule in _STRICTER]
    return list(dict.fromkeys(lines))


def _cost(trace: Trace) -> float | None:
    from .cost import UnknownPriceError

    try:
        return trace.cost_usd if trace.llm_calls else None
    except UnknownPriceError:
        return None


# --------------------------------------------------------------------------------------------------- convert


def _inside(base: Path, target: Path) -> Path:
    resolved = target.resolve()
    if not resolved.is_relative_to(base.resolve()):
        raise ConfigError(f"refusing to write {target} outside --out {base}")
    return target


def entrypoint_is_async(entrypoint: str) -> bool:
    """Import `module:function` and say whether it is a coroutine function (error names the fix)."""
    module, _, attr = entrypoint.partition(":")
    if not module or not attr:
        raise ConfigError(f"--entrypoint {entrypoint!r}: expected 'package.module:function'")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # the console script's path lacks the project root, pytest's does not
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"--entrypoint {entrypoint!r} cannot be imported ({exc}); run from your project's root (so the module is "
            f"importable) or say --sync / --async"
        ) from None
    return inspect.iscoroutinefunction(fn)


def convert_trace(
    trace: Trace,
    *,
    out: str | Path,
    name: str | None = None,
    entrypoint: str | None = None,
    is_async: bool | None = None,
    input_style: str = "string",
    tools_module: str | None = None,
    keep_pii: bool = False,
    pii_start: str | Path = ".",
    mapping_file: str | Path | None = None,
    force_mapping_file: bool = False,
) -> ConvertResult:
    """Write `test_<name>.py` and its cassette (or a trace copy, without an entry point) under `out`."""
    from ._atomic import atomic_write_text
    from .lint import lint_trace

    if input_style not in INPUT_STYLES:
        raise ConfigError(f"--input-style {input_style!r}: use one of {', '.join(INPUT_STYLES)}")
    base = Path(out)
    test_name = safe_identifier(name or (trace.agents[0].name if trace.agents else "recorded_run"))
    notes: list[str] = []
    pii_report = None
    if not keep_pii:
        from .pii import format_report, load_pii_settings, resolve_salt

        settings = load_pii_settings(pii_start)
        _, warning = resolve_salt(settings.salt)
        if warning:
            notes.append(warning)
        p = settings.pseudonymizer()
        trace = p.transform_trace(trace)
        pii_report = format_report(p)
        if mapping_file is not None:
            from .pii import write_mapping_file

            write_mapping_file(p, mapping_file, force=force_mapping_file)
    findings = lint_trace(trace)
    if entrypoint and is_async is None:
        is_async = entrypoint_is_async(entrypoint)

    module_stem = f"test_{test_name}"
    test_path = _inside(base, base / f"{module_stem}.py")
    cassette_path = trace_path = None
    cassette_rel = trace_rel = None
    base.mkdir(parents=True, exist_ok=True)
    if entrypoint:
        from .cassettes import Cassette

        cassette_rel = f"cassettes/{module_stem}/test_{test_name}.yaml"
        cassette_path = _inside(base, base / cassette_rel)
        cassette = Cassette.from_trace(trace)
        cassette.meta.pop("converted_at", None)  # converting twice gives the same files
        cassette.save(cassette_path)
    else:
        from .formats import save_trace

        trace_rel = f"traces/{test_name}.json"
        trace_path = _inside(base, base / trace_rel)
        trace_path.parent.mkdir(parents=True, exist_ok=True)
        save_trace(trace, trace_path)
    source = render_test(
        trace,
        name=test_name,
        entrypoint=entrypoint,
        cassette_rel=cassette_rel,
        trace_rel=trace_rel,
        findings=findings,
        is_async=bool(is_async),
        input_style=input_style,
        tools_module=tools_module,
        keep_pii=keep_pii,
        pii_report=pii_report,
    )
    compile(source, str(test_path), "exec")  # never write a file that is not valid Python
    atomic_write_text(test_path, source)
    return ConvertResult(test_path, cassette_path, trace_path, list(findings), pii_report, notes)


# ------------------------------------------------------------------------------------------------------- CLI


def _cmd_convert(args: argparse.Namespace) -> int:
    trace = select_trace(args.trace, trace_id=args.trace_id, all_traces=args.all_traces)
    is_async = True if args.is_async else (False if args.sync else None)
    if args.mapping_file and args.keep_pii:
        raise ConfigError("--mapping-file makes no sense with --keep-pii (nothing is replaced)")
    result = convert_trace(
        trace,
        out=args.out,
        name=args.name,
        entrypoint=args.entrypoint,
        is_async=is_async,
        input_style=args.input_style,
        tools_module=args.tools_module,
        keep_pii=args.keep_pii,
        mapping_file=args.mapping_file,
        force_mapping_file=args.force_mapping_file,
    )
    err = sys.stderr
    for note in result.notes:
        err.write(f"warning: {note}\n")
    if result.pii_report:
        err.write(f"{result.pii_report}\n")
    elif args.keep_pii:
        err.write("warning: --keep-pii: the files may hold personal data from production\n")
    for f in result.findings:
        err.write(f"lint: [{f.rule}] {f.message}\n")
    sys.stdout.write(f"wrote {result.test_path}\n")
    for extra in (result.cassette_path, result.trace_path):
        if extra is not None:
            sys.stdout.write(f"wrote {extra}\n")
    return 0


def add_convert_parser(sub: Any) -> None:
    """Register `agenttrace convert`."""
    p = sub.add_parser("convert", help="turn a recorded trace into a cassette and a runnable pytest file")
    p.add_argument("trace", help="trace file (any supported format), a directory, or - for stdin")
    p.add_argument("--entrypoint", help="your agent, as package.module:function (sync or async; takes the input)")
    p.add_argument("--out", default="tests/agenttrace", help="folder for the test and its cassette")
    p.add_argument("--name", help="test name (default: the root agent's name)")
    p.add_argument("--trace-id", help="the trace to convert when the file holds several runs")
    p.add_argument("--all-traces", action="store_true", help="treat every span of the file as one run")
    p.add_argument(
        "--input-style",
        choices=INPUT_STYLES,
        default="string",
        help="call the entry point with the first user message (string) or the opening messages",
    )
    p.add_argument("--tools-module", help="module holding the tool functions, patched by name during replay")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--async", dest="is_async", action="store_true", help="the entry point is async")
    mode.add_argument("--sync", action="store_true", help="the entry point is sync")
    p.add_argument("--keep-pii", action="store_true", help="do not pseudonymize personal data (warns in the test)")
    p.add_argument("--mapping-file", help="also write placeholder -> original values here (outside the repository)")
    p.add_argument("--force-mapping-file", action="store_true", help="allow --mapping-file inside a git work tree")
    p.set_defaults(func=_cmd_convert)


__all__ = [
    "ConvertResult",
    "add_convert_parser",
    "convert_trace",
    "infer_schema",
    "recorded_input",
    "render_test",
    "select_trace",
]
