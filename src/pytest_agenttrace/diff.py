"""`agenttrace diff A B`: how two runs' trajectories differ (tool calls, arguments, LLM calls, tokens, cost, errors).

Tool calls are aligned with `difflib.SequenceMatcher` on (agent, tool name) in start order; aligned calls are
compared argument by argument with deepdiff (lists and tuples count as equal: a JSON round trip turns one into the
other), then by result and error. A call removed at one place and added at another with the same agent and name is
reported once, as moved. Everything else is compared as totals: LLM calls, models, finish reasons, tokens, cost
(when both traces can be priced), agents, errors, and the final output.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Literal

from ._model import AgentRun, LLMCall, ToolCall, Trace, parse_json_maybe

__all__ = ["ToolChange", "TraceDiff", "add_diff_parser", "diff_traces", "render_diff"]

Op = Literal["same", "changed", "added", "removed", "moved"]
_MAX_CHANGES = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolChange:
    """One row of the tool-call alignment: a call in A, in B, or in both (indexes into `trace.tool_calls`)."""

    op: Op
    name: str
    agent: str | None = None
    a_index: int | None = None
    b_index: int | None = None
    a_arguments: Any = None
    b_arguments: Any = None
    changes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "name": self.name,
            "agent": self.agent,
            "a_index": self.a_index,
            "b_index": self.b_index,
            "a_arguments": _jsonable(self.a_arguments),
            "b_arguments": _jsonable(self.b_arguments),
            "changes": list(self.changes),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceDiff:
    """Every difference between trace A and trace B; `bool(diff)` is False when they do the same thing."""

    tools: tuple[ToolChange, ...] = ()
    llm_calls: tuple[int, int] = (0, 0)
    models: dict[str, tuple[int, int]] = field(default_factory=dict)  # only models whose call count changed
    finish_reasons: dict[str, tuple[int, int]] = field(default_factory=dict)  # only reasons whose count changed
    agents: dict[str, tuple[int, int]] = field(default_factory=dict)  # only agents whose run count changed
    tokens: dict[str, tuple[int, int]] = field(default_factory=dict)  # only counts that changed
    cost_usd: tuple[float | None, float | None] = (None, None)
    errors_added: tuple[str, ...] = ()
    errors_removed: tuple[str, ...] = ()
    final_output: tuple[Any, Any] | None = None  # (A, B) when they differ
    a_label: str = "A"
    b_label: str = "B"
    notes: tuple[str, ...] = ()

    @property
    def tool_changes(self) -> tuple[ToolChange, ...]:
        return tuple(t for t in self.tools if t.op != "same")

    @property
    def trajectory_changed(self) -> bool:
        """Whether what the agents did differs (tool calls, LLM calls, models, agents, errors, final output)."""
        return bool(
            self.tool_changes
            or self.llm_calls[0] != self.llm_calls[1]
            or self.models
            or self.finish_reasons
            or self.agents
            or self.errors_added
            or self.errors_removed
            or self.final_output is not None
        )

    @property
    def cost_changed(self) -> bool:
        a, b = self.cost_usd
        return a is not None and b is not None and round(a - b, 9) != 0

    def __bool__(self) -> bool:
        return self.trajectory_changed or bool(self.tokens) or self.cost_changed

    def to_json(self) -> dict[str, Any]:
        """JSON-safe data (the schema of `agenttrace diff --json`)."""
        a_cost, b_cost = self.cost_usd
        return {
            "a": self.a_label,
            "b": self.b_label,
            "different": bool(self),
            "trajectory_changed": self.trajectory_changed,
            "tools": [t.to_dict() for t in self.tools],
            "llm_calls": {"a": self.llm_calls[0], "b": self.llm_calls[1]},
            "models": {k: {"a": a, "b": b} for k, (a, b) in self.models.items()},
            "finish_reasons": {k: {"a": a, "b": b} for k, (a, b) in self.finish_reasons.items()},
            "agents": {k: {"a": a, "b": b} for k, (a, b) in self.agents.items()},
            "tokens": {k: {"a": a, "b": b, "delta": b - a} for k, (a, b) in self.tokens.items()},
            "cost_usd": {
                "a": a_cost,
                "b": b_cost,
                "delta": (b_cost - a_cost) if a_cost is not None and b_cost is not None else None,
            },
            "errors_added": list(self.errors_added),
            "errors_removed": list(self.errors_removed),
            "final_output": (
                None
                if self.final_output is None
                else {"a": _jsonable(self.final_output[0]), "b": _jsonable(self.final_output[1])}
            ),
            "notes": list(self.notes),
        }


# -------------------------------------------------------------------------------------------------- compute


def diff_traces(a: Trace, b: Trace, *, compare_results: bool = True, cost: bool = True) -> TraceDiff:
    """The differences from `a` to `b` (see the module docstring); an equal trajectory gives an empty diff."""
    notes: list[str] = []
    a_cost = _cost(a, "A", notes) if cost else None
    b_cost = _cost(b, "B", notes) if cost else None
    final = None
    if _canonical(a.final_output) != _canonical(b.final_output):
        final = (a.final_output, b.final_output)
    return TraceDiff(
        tools=tuple(_align_tools(a.tool_calls, b.tool_calls, compare_results=compare_results)),
        llm_calls=(len(a.llm_calls), len(b.llm_calls)),
        models=_count_delta(Counter(c.model or "?" for c in a.llm_calls), Counter(c.model or "?" for c in b.llm_calls)),
        finish_reasons=_count_delta(
            Counter(r for c in a.llm_calls for r in c.finish_reasons),
            Counter(r for c in b.llm_calls for r in c.finish_reasons),
        ),
        agents=_count_delta(Counter(x.name for x in a.agents), Counter(x.name for x in b.agents)),
        tokens=_token_delta(a, b),
        cost_usd=(a_cost, b_cost),
        errors_added=tuple((Counter(_errors(b)) - Counter(_errors(a))).elements()),
        errors_removed=tuple((Counter(_errors(a)) - Counter(_errors(b))).elements()),
        final_output=final,
        a_label=a.source or "A",
        b_label=b.source or "B",
        notes=tuple(notes),
    )


def _canonical(value: Any) -> str:
    try:
        return json.dumps(parse_json_maybe(value), sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return json.loads(json.dumps(value, default=str))


def _count_delta(a: Counter[str], b: Counter[str]) -> dict[str, tuple[int, int]]:
    return {k: (a[k], b[k]) for k in sorted(set(a) | set(b)) if a[k] != b[k]}


def _token_delta(a: Trace, b: Trace) -> dict[str, tuple[int, int]]:
    ta, tb = a.totals.to_dict(), b.totals.to_dict()
    keys = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "total_tokens")
    return {k.removesuffix("_tokens"): (ta[k], tb[k]) for k in keys if ta[k] != tb[k]}


def _cost(trace: Trace, label: str, notes: list[str]) -> float | None:
    from ._errors import AgentTraceError
    from .cost import trace_cost

    if not trace.llm_calls:
        return 0.0
    try:
        return float(trace_cost(trace, on_unknown="error"))
    except AgentTraceError as exc:
        notes.append(f"cost of {label} not compared: {exc}")
        return None


def _errors(trace: Trace) -> list[str]:
    from ._render import short

    out = []
    for s in trace.steps:
        err = getattr(s, "error", None)
        if not err:
            continue
        if isinstance(s, AgentRun):
            what = f"agent {s.name}"
        elif isinstance(s, LLMCall):
            what = f"LLM call {s.model or '?'}"
        elif isinstance(s, ToolCall):
            what = f"tool {s.name}"
        else:
            what = f"retrieval {s.name}"
        out.append(f"{what}: {short(err, 120)}")
    return out


def _align_tools(a: Sequence[ToolCall], b: Sequence[ToolCall], *, compare_results: bool) -> Iterator[ToolChange]:
    ka = [(t.agent, t.name) for t in a]
    kb = [(t.agent, t.name) for t in b]
    ops = SequenceMatcher(None, ka, kb, autojunk=False).get_opcodes()
    removed = [i for tag, i1, i2, _, _ in ops if tag in ("delete", "replace") for i in range(i1, i2)]
    added = [j for tag, _, _, j1, j2 in ops if tag in ("insert", "replace") for j in range(j1, j2)]
    # moves: a removed call and an added call of the same (agent, name); identical arguments paired first
    move_of_a: dict[int, int] = {}
    for exact in (True, False):
        for i in removed:
            if i in move_of_a:
                continue
            for j in added:
                if j in move_of_a.values() or ka[i] != kb[j]:
                    continue
                if exact and _canonical(a[i].arguments) != _canonical(b[j].arguments):
                    continue
                move_of_a[i] = j
                break
    move_of_b = {j: i for i, j in move_of_a.items()}
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                changes = _call_changes(a[i], b[j], compare_results=compare_results)
                yield _change("changed" if changes else "same", a, b, i, j, changes)
            continue
        for i in range(i1, i2):
            if i not in move_of_a:
                yield _change("removed", a, b, i, None, ())
        for j in range(j1, j2):
            if j in move_of_b:
                i = move_of_b[j]
                yield _change("moved", a, b, i, j, _call_changes(a[i], b[j], compare_results=compare_results))
            else:
                yield _change("added", a, b, None, j, ())


def _change(
    op: Op, a: Sequence[ToolCall], b: Sequence[ToolCall], i: int | None, j: int | None, changes: Sequence[str]
) -> ToolChange:
    ref = a[i] if i is not None else b[j]  # type: ignore[index]
    return ToolChange(
        op=op,
        name=ref.name,
        agent=ref.agent,
        a_index=i,
        b_index=j,
        a_arguments=parse_json_maybe(a[i].arguments) if i is not None else None,
        b_arguments=parse_json_maybe(b[j].arguments) if j is not None else None,
        changes=tuple(changes),
    )


def _call_changes(x: ToolCall, y: ToolCall, *, compare_results: bool) -> list[str]:
    from ._render import short

    out = [f"arguments {c}" for c in _value_changes(x.arguments, y.arguments)]
    if bool(x.error) != bool(y.error):
        out.append(f"now fails: {short(y.error, 80)}" if y.error else f"no longer fails (was: {short(x.error, 80)})")
    elif compare_results and not x.error and _canonical(x.result) != _canonical(y.result):
        out.extend(f"result {c}" for c in _value_changes(x.result, y.result))
    return out


def _value_changes(x: Any, y: Any) -> list[str]:
    """Readable changes from x to y ("order_id: 'A1043' -> 'A1044'"), at most `_MAX_CHANGES` lines."""
    from deepdiff import DeepDiff

    x, y = parse_json_maybe(x), parse_json_maybe(y)
    if _canonical(x) == _canonical(y):
        return []
    try:
        tree = DeepDiff(x, y, ignore_type_in_groups=[(list, tuple)], view="tree", verbose_level=2)
    except Exception:  # deepdiff on exotic values: fall back to a whole-value change
        return [f"{_val(x)} -> {_val(y)}"]
    lines: list[str] = []
    for report_type in sorted(tree):
        for level in tree[report_type]:
            path = _path(level.path(output_format="list"))
            if "added" in report_type:
                lines.append(f"{path}: added {_val(level.t2)}")
            elif "removed" in report_type:
                lines.append(f"{path}: removed (was {_val(level.t1)})")
            else:
                lines.append(f"{path}: {_val(level.t1)} -> {_val(level.t2)}")
    if not lines:
        return [f"{_val(x)} -> {_val(y)}"]
    lines.sort()
    if len(lines) > _MAX_CHANGES:
        lines = [*lines[:_MAX_CHANGES], f"... {len(lines) - _MAX_CHANGES} more changes"]
    return lines


def _val(value: Any, limit: int = 60) -> str:
    """A bounded value for a change line; strings quoted so that '1' and 1 read differently."""
    from ._render import short

    if isinstance(value, str):
        text = short(value, limit)
        return repr(text)
    return short(value, limit)


def _path(keys: Sequence[Any]) -> str:
    out = ""
    for k in keys:
        if isinstance(k, int):
            out += f"[{k}]"
        else:
            out += f".{k}" if out else str(k)
    return out or "(whole value)"


# --------------------------------------------------------------------------------------------------- render


_MARK: dict[str, str] = {"same": " ", "changed": "~", "added": "+", "removed": "-", "moved": ">"}


def render_diff(d: TraceDiff, *, width: int = 56) -> str:
    """Two columns (A | B), one row per tool call marked ' ' same, ~ changed, - removed, + added, > moved; then
    the totals that changed. An empty diff renders as 'no differences'."""
    from ._render import format_args, short

    if not d:
        lines = ["no differences"]
        lines.extend(f"note: {n}" for n in d.notes)
        return "\n".join(lines)
    multi_agent = len({t.agent for t in d.tools}) > 1

    def cell(t: ToolChange, args: Any) -> str:
        who = f"{t.agent}/" if multi_agent and t.agent else ""
        return _clip(f"{who}{t.name}({format_args(args, width)})", width)

    lines = [f"--- A: {d.a_label}", f"+++ B: {d.b_label}"]
    n_a = sum(1 for t in d.tools if t.a_index is not None)
    n_b = sum(1 for t in d.tools if t.b_index is not None)
    lines.append(f"tool calls: {n_a} -> {n_b}" + (" (no changes)" if not d.tool_changes else ""))
    if d.tools and d.tool_changes:
        lines.append(f"  {'A':<{width}}  B")
        for t in d.tools:
            left = cell(t, t.a_arguments) if t.a_index is not None and t.op != "moved" else ""
            right = cell(t, t.b_arguments) if t.b_index is not None else ""
            if t.op == "moved":
                left = _clip(f"(moved from #{t.a_index + 1 if t.a_index is not None else '?'})", width)
            lines.append(f"{_MARK[t.op]} {left:<{width}}  {right}".rstrip())
            lines.extend(f"      {c}" for c in t.changes)
    la, lb = d.llm_calls
    if la != lb:
        lines.append(f"LLM calls: {la} -> {lb} ({lb - la:+d})")
    for title, counts in (("models", d.models), ("finish reasons", d.finish_reasons), ("agents", d.agents)):
        if counts:
            lines.append(f"{title}: " + ", ".join(f"{k} {a}x -> {b}x" for k, (a, b) in counts.items()))
    if d.tokens:
        lines.append("tokens: " + ", ".join(f"{k} {a} -> {b} ({b - a:+d})" for k, (a, b) in d.tokens.items()))
    ca, cb = d.cost_usd
    if d.cost_changed and ca is not None and cb is not None:
        lines.append(f"cost: ${ca:.6f} -> ${cb:.6f} ({cb - ca:+.6f} USD)")
    lines.extend(f"error added: {e}" for e in d.errors_added)
    lines.extend(f"error removed: {e}" for e in d.errors_removed)
    if d.final_output is not None:
        lines.append("final output changed:")
        lines.append(f"  - {short(d.final_output[0], 2 * width)}")
        lines.append(f"  + {short(d.final_output[1], 2 * width)}")
    lines.extend(f"note: {n}" for n in d.notes)
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------------------------------------------- CLI


def add_diff_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `agenttrace diff` (exit 0: same, 1: different, 2: usage or input error)."""
    p = subparsers.add_parser(
        "diff",
        help="show how two runs differ: tool calls added/removed/moved, arguments, LLM calls, tokens, cost",
        description="Compare the trajectories of two traces. Exit status: 0 same, 1 different, 2 usage or input error.",
    )
    p.add_argument("a", metavar="A", help="the reference trace file (e.g. the last good run)")
    p.add_argument("b", metavar="B", help="the trace file to compare with it")
    p.add_argument("--json", action="store_true", help="print the differences as JSON")
    p.add_argument("--trace-id-a", help="only this trace id of A (a unique prefix is enough)")
    p.add_argument("--trace-id-b", help="only this trace id of B (a unique prefix is enough)")
    p.add_argument("--ignore-results", action="store_true", help="do not compare tool results")
    p.add_argument(
        "--trajectory-only",
        action="store_true",
        help="exit 0 when only tokens or cost differ (what the agents did is the same)",
    )
    p.add_argument("--width", type=int, default=56, help="width of each column (default 56)")
    p.set_defaults(func=_cmd_diff)
    return p


def _cmd_diff(args: argparse.Namespace) -> int:
    from .formats import load_trace

    a = load_trace(args.a, trace_id=args.trace_id_a)
    b = load_trace(args.b, trace_id=args.trace_id_b)
    d = diff_traces(a, b, compare_results=not args.ignore_results)
    if args.json:
        json.dump(d.to_json(), sys.stdout, indent=2, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_diff(d, width=max(20, args.width)) + "\n")
    different = d.trajectory_changed if args.trajectory_only else bool(d)
    return 1 if different else 0
