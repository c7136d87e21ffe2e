"""`agenttrace lint`: the suspected failure modes of one run, each pointing at the span it was seen on.

Each rule is one small function over a `Trace` (registered in `RULES`); thresholds live in `LintConfig`. The rules
are written to stay quiet on a healthy run: when a rule cannot tell (ids, messages or results not recorded), it
says nothing. The exact rules:

- `tool-error`, `llm-error`, `agent-error`: a step that failed. An error that propagated outwards (a tool fails, so
  the sub-agent around it fails, so the parent's agent-as-tool call fails) is reported once, at the innermost
  failing span, naming the steps it propagated to. A tool error followed by a successful call of the same tool
  by the same agent run is a `warning` (the agent recovered), otherwise an `error`. A failed retrieval counts as
  a `tool-error`.
- `truncated`: an LLM call with finish reason `length` (any provider spelling: `max_tokens`, `MAX_TOKENS`, ...).
- `content-filter`: an LLM call with finish reason `content_filter` (`safety`, `refusal`, `recitation`, ...).
- `repeated-tool-call`: within one agent run, the same tool with the same arguments (compared as canonical JSON)
  called `max_identical_tool_calls` times or more (default 3): an `error`. Two identical calls in a row that both
  succeeded with the same recorded result are a `warning` (nothing could change; a retry after an error is
  therefore never flagged at two calls).
- `delegation-cycle`: an agent run whose chain of enclosing agents contains its own name with a different agent
  in between (A -> B -> A). Direct self-nesting (A -> A) is not flagged: several instrumentations emit two nested
  spans for one agent run.
- `hallucinated-tool-result`: a tool result fed to a model (a tool-response part in an LLM call's input) whose
  call id was neither requested by the model in an earlier LLM call's output nor executed by a tool span. Checked
  only for results that are new in that call's input (the first call's history is taken as given) and only when
  the agent's previous LLM call has recorded output messages and the trace records tool-call requests with ids
  at all (otherwise the requests cannot be seen).
- `contradicting-argument`: a tool argument whose key is an id (`id`, `*_id`, `*Id`) and whose value differs from
  every value earlier tool results returned under the same key, and which appears nowhere earlier: not in any
  tool result, not in the arguments of an earlier successful tool call, not in a user/system/developer message
  or an agent's input (whole-word match). Not checked before any user message or agent input is recorded (the
  id could come from there). Example: `refund_order got order_id='A1044' but get_order returned
  order_id='A1043'`.
- `budget`: LLM calls, tool calls, total tokens or cost (via `pytest_agenttrace.cost`) above a threshold set in
  `LintConfig` (all off by default). A cost that cannot be computed (a model without a price) is a note, not a
  finding.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

from ._model import AgentRun, LLMCall, Retrieval, ToolCall, Trace, parse_json_maybe

if TYPE_CHECKING:
    from ._model import Step

__all__ = [
    "RULE_NAMES",
    "RULES",
    "Finding",
    "LintConfig",
    "LintReport",
    "add_lint_parser",
    "lint_report",
    "lint_trace",
    "render_findings",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One suspected failure: which rule, how bad, what it means, and the span (and step index) it points at."""

    rule: str
    severity: Severity
    message: str
    span_id: str | None = None
    step_index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class LintConfig:
    """Thresholds and switches of the rules; a budget threshold of None turns that check off."""

    max_identical_tool_calls: int = 3
    max_llm_calls: int | None = None
    max_tool_calls: int | None = None
    max_total_tokens: int | None = None
    max_cost_usd: float | None = None
    ignore: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.max_identical_tool_calls < 2:
            raise ValueError(
                f"max_identical_tool_calls={self.max_identical_tool_calls!r} must be at least 2 (one call is no repeat)"
            )
        unknown = sorted(set(self.ignore) - set(RULE_NAMES))
        if unknown:
            raise ValueError(f"unknown lint rule(s) {unknown} in ignore; valid rules: {', '.join(RULE_NAMES)}")


@dataclass(frozen=True, slots=True, kw_only=True)
class LintReport:
    """The findings of one trace plus notes on checks that could not run (e.g. a cost with no known price)."""

    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"findings": [f.to_dict() for f in self.findings], "notes": list(self.notes)}


@dataclass(slots=True)
class _Ctx:
    """What every rule gets: the trace, the config, step indexes, and a place for notes."""

    trace: Trace
    config: LintConfig
    index: dict[int, int]
    notes: list[str] = field(default_factory=list)

    def at(self, step: Step) -> int | None:
        return self.index.get(id(step))


Rule = Callable[[_Ctx], Iterable[Finding]]


# ------------------------------------------------------------------------------------------------ helpers


def _span_of(step: Step) -> str | None:
    if isinstance(step, ToolCall):
        return step.span_id or step.llm_span_id
    return step.span_id


def _kind_name(step: Step) -> str:
    if isinstance(step, AgentRun):
        return f"agent {step.name}"
    if isinstance(step, LLMCall):
        return f"LLM call {step.model or step.span_name or '?'}"
    if isinstance(step, ToolCall):
        return f"tool {step.name}"
    return f"retrieval {step.name}"


def _canonical(value: Any) -> str:
    """Arguments as canonical JSON (JSON strings parsed, keys sorted) so equal calls compare equal."""
    try:
        return json.dumps(parse_json_maybe(value), sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _short(value: Any, limit: int = 80) -> str:
    from ._render import short

    return short(value, limit)


# -------------------------------------------------------------------------------------------------- rules


def _error_steps(trace: Trace) -> list[Step]:
    return [s for s in trace.steps if isinstance(s, (ToolCall, LLMCall, AgentRun, Retrieval)) and s.error]


def _errors(ctx: _Ctx) -> Iterator[Finding]:
    """tool-error / llm-error / agent-error, each failure reported once at its innermost span."""
    trace = ctx.trace
    failed = _error_steps(trace)
    by_span: dict[str, Step] = {}
    for s in failed:
        sid = s.span_id
        if sid is not None:
            by_span.setdefault(sid, s)
    # spans that have a failing span below them: their failure is (most likely) the propagated inner one
    outer: set[str] = set()
    propagated_to: dict[str, list[Step]] = {}
    for sid in by_span:
        try:
            node = trace.span(sid)
        except KeyError:
            continue
        chain = [by_span[a.span_id] for a in node.ancestors() if a.span_id in by_span]
        outer.update(a.span_id for a in chain if a.span_id is not None)
        propagated_to[sid] = chain
    reported: set[str] = set()
    for s in failed:
        sid = s.span_id
        if sid is not None and (sid in outer or sid in reported):
            continue  # propagated from a span below, or one span read as two steps (reported once)
        if sid is not None:
            reported.add(sid)
        if isinstance(s, ToolCall):
            rule = "tool-error"
        elif isinstance(s, LLMCall):
            rule = "llm-error"
        elif isinstance(s, AgentRun):
            rule = "agent-error"
        else:
            rule = "tool-error"
        severity: Severity = "error"
        msg = f"{_kind_name(s)} failed: {_short(s.error, 160)}"
        if isinstance(s, ToolCall):
            retry = _later_success(trace, s)
            if retry is not None:
                severity = "warning"
                msg += f" (the agent recovered: the same tool succeeded at step {ctx.at(retry)})"
        chain = propagated_to.get(sid or "", [])
        if chain:
            msg += "; propagated to " + ", ".join(_kind_name(c) for c in chain)
        yield Finding(rule=rule, severity=severity, message=msg, span_id=_span_of(s), step_index=ctx.at(s))


def _later_success(trace: Trace, failed: ToolCall) -> ToolCall | None:
    for t in trace.tool_calls:
        if (
            t is not failed
            and t.name == failed.name
            and t.agent_span_id == failed.agent_span_id
            and t.start_ns >= failed.start_ns
            and not t.error
            and t.status == "ok"
        ):
            return t
    return None


def _truncated(ctx: _Ctx) -> Iterator[Finding]:
    """LLM output cut at the token limit."""
    final = ctx.trace.final_output
    for c in ctx.trace.llm_calls:
        if "length" not in c.finish_reasons:
            continue
        tokens = f", {c.output_tokens} output tokens" if c.output_tokens is not None else ""
        what = "its output"
        if final is not None and c.output_text and _same_text(c.output_text, final):
            what = "the final answer"
        passed = [t.name for t in ctx.trace.tool_calls if c.output_text and _same_text(c.output_text, t.result)]
        tail = f": ...{c.output_text[-50:]!r}" if c.output_text else ""
        if passed:
            tail += f"; the cut text was passed on as the result of tool {', '.join(dict.fromkeys(passed))}"
        yield Finding(
            rule="truncated",
            severity="error",
            message=f"{_kind_name(c)} stopped at the token limit (finish reason 'length'{tokens}): "
            f"{what} is cut off{tail}",
            span_id=c.span_id,
            step_index=ctx.at(c),
        )


def _same_text(text: str, value: Any) -> bool:
    if value is None:
        return False
    other = value if isinstance(value, str) else _canonical(value)
    return text.strip() in (other.strip(), str(value).strip())


def _content_filter(ctx: _Ctx) -> Iterator[Finding]:
    """LLM output blocked or cut by the provider's content filter."""
    for c in ctx.trace.llm_calls:
        if "content_filter" in c.finish_reasons:
            yield Finding(
                rule="content-filter",
                severity="error",
                message=f"{_kind_name(c)} was stopped by the content filter (finish reason 'content_filter')",
                span_id=c.span_id,
                step_index=ctx.at(c),
            )


def _repeated(ctx: _Ctx) -> Iterator[Finding]:
    """The same tool with the same arguments, again and again, in one agent run."""
    limit = ctx.config.max_identical_tool_calls
    runs: dict[str | None, list[ToolCall]] = {}
    for t in ctx.trace.tool_calls:
        runs.setdefault(t.agent_span_id, []).append(t)
    for calls in runs.values():
        groups: dict[tuple[str, str], list[int]] = {}
        for i, t in enumerate(calls):
            groups.setdefault((t.name, _canonical(t.arguments)), []).append(i)
        for (name, _), positions in groups.items():
            same = [calls[i] for i in positions]
            steps = ", ".join(str(ctx.at(t)) for t in same)
            args = _short(parse_json_maybe(same[0].arguments), 100)
            if len(same) >= limit:
                yield Finding(
                    rule="repeated-tool-call",
                    severity="error",
                    message=f"tool {name} called {len(same)} times with identical arguments {args} "
                    f"(steps {steps}): the agent is looping",
                    span_id=_span_of(same[limit - 1]),
                    step_index=ctx.at(same[limit - 1]),
                )
                continue
            for a_pos, b_pos in pairwise(positions):
                a, b = calls[a_pos], calls[b_pos]
                if (
                    b_pos == a_pos + 1
                    and not a.error
                    and not b.error
                    and a.result is not None
                    and _canonical(a.result) == _canonical(b.result)
                ):
                    yield Finding(
                        rule="repeated-tool-call",
                        severity="warning",
                        message=f"tool {name} called twice in a row with identical arguments {args} and got the "
                        f"same result (steps {ctx.at(a)}, {ctx.at(b)}): the second call learned nothing",
                        span_id=_span_of(b),
                        step_index=ctx.at(b),
                    )
                    break


def _cycles(ctx: _Ctx) -> Iterator[Finding]:
    """An agent that (indirectly) delegates back to itself: A -> B -> A."""
    agents = {a.span_id: a for a in ctx.trace.agents}
    seen: set[tuple[str, ...]] = set()
    for a in ctx.trace.agents:
        chain = [a]
        cur = a
        guard = 0
        while cur.parent_span_id is not None and cur.parent_span_id in agents and guard < 1000:
            cur = agents[cur.parent_span_id]
            chain.append(cur)
            guard += 1
        names = [c.name for c in reversed(chain)]  # outermost first
        last = len(names) - 1
        for i in range(last - 1, -1, -1):
            if names[i] == a.name:
                loop = names[i:]
                if any(n != a.name for n in loop[1:-1]):
                    key = tuple(loop)
                    if key not in seen:
                        seen.add(key)
                        yield Finding(
                            rule="delegation-cycle",
                            severity="error",
                            message="agents delegate in a cycle: " + " -> ".join(loop),
                            span_id=a.span_id,
                            step_index=ctx.at(a),
                        )
                break


def _hallucinated(ctx: _Ctx) -> Iterator[Finding]:
    """Tool results fed to a model that no tool call produced."""
    trace = ctx.trace
    executed = {t.call_id for t in trace.tool_calls if t.call_id and t.span_id is not None}
    if not any(p.id for c in trace.llm_calls for p in c.tool_call_requests):
        return  # this instrumentation records no tool-call requests with ids: nothing to check against
    by_agent: dict[str | None, list[LLMCall]] = {}
    for c in trace.llm_calls:
        by_agent.setdefault(c.agent_span_id, []).append(c)
    for calls in by_agent.values():
        calls.sort(key=lambda c: (c.start_ns, c.end_ns))
        seen: set[str] = set()
        for c in calls[:1]:
            seen.update(p.id for m in c.input_messages for p in m.tool_results if p.id)
        for prev, c in pairwise(calls):
            requested = {p.id for o in trace.llm_calls if o.start_ns < c.start_ns for p in o.tool_call_requests if p.id}
            aliases = _aliases(c, trace, requested)
            check = bool(prev.output_messages)
            for m in c.input_messages:
                for p in m.tool_results:
                    if not p.id or p.id in seen:
                        continue
                    seen.add(p.id)
                    if not check or p.id in executed or p.id in requested or p.id in aliases:
                        continue
                    name = f" ({p.name})" if p.name else ""
                    yield Finding(
                        rule="hallucinated-tool-result",
                        severity="error",
                        message=f"{_kind_name(c)} was given a result for tool call {p.id!r}{name} that no tool "
                        f"call produced (no earlier model request and no tool span has that id): "
                        f"{_short(p.result, 80)}",
                        span_id=c.span_id,
                        step_index=ctx.at(c),
                    )


def _aliases(call: LLMCall, trace: Trace, requested: set[str]) -> set[str]:
    """Ids under which history repeats a requested call (the Responses API re-ids items): same name and arguments."""
    wanted = {
        (p.name, _canonical(p.arguments))
        for o in trace.llm_calls
        if o.start_ns < call.start_ns
        for p in o.tool_call_requests
    }
    out: set[str] = set()
    for m in call.input_messages:
        for p in m.tool_calls:
            if p.id and p.id not in requested and (p.name, _canonical(p.arguments)) in wanted:
                out.add(p.id)
    return out


_ID_KEY = re.compile(r"^(?:id|.+_id|.*[a-z0-9]Id)$")


def _id_values(value: Any, depth: int = 0) -> Iterator[tuple[str, str]]:
    """(key, value) pairs of id-like keys anywhere in a JSON-like value."""
    if depth > 20:
        return
    value = parse_json_maybe(value)
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and _ID_KEY.match(k) and isinstance(v, (str, int)) and not isinstance(v, bool):
                text = str(v).strip()
                if text:
                    yield k, text
            elif isinstance(v, (dict, list, str)):
                yield from _id_values(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            yield from _id_values(v, depth + 1)


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def _mentioned(value: str, texts: Iterable[str]) -> bool:
    pattern = re.compile(r"(?<![\w-])" + re.escape(value) + r"(?![\w-])")
    return any(pattern.search(t) for t in texts)


def _contradicting(ctx: _Ctx) -> Iterator[Finding]:
    """A tool argument naming an entity other than the one earlier tools returned, from nowhere in the run."""
    trace = ctx.trace
    returned: dict[str, dict[str, str]] = {}  # key -> value -> tool that returned it
    grounding: list[tuple[int, str]] = []  # (time, text) of user/system messages and agent inputs
    for c in trace.llm_calls:
        for m in c.input_messages:
            if m.role in ("user", "system", "developer", "human"):
                grounding.append((c.start_ns, m.text))
    for a in trace.agents:
        if a.input is not None:
            grounding.append((a.start_ns, _text_of(a.input)))
    earlier: list[str] = []  # texts of earlier tool results and successful arguments
    for t in trace.tool_calls:
        # without any recorded user text the origin of an id cannot be told: stay quiet
        if isinstance(t.arguments, dict) and any(time <= t.start_ns for time, _ in grounding):
            texts = [*earlier, *(text for time, text in grounding if time <= t.start_ns)]
            for key, val in _id_values(t.arguments):
                known = returned.get(key)
                if not known or val in known or _mentioned(val, texts):
                    continue
                other, tool = next(iter(known.items()))
                more = f" (and {len(known) - 1} other value(s))" if len(known) > 1 else ""
                yield Finding(
                    rule="contradicting-argument",
                    severity="error",
                    message=f"{t.name} got {key}={val!r} but {tool} returned {key}={other!r}{more}; "
                    f"{val!r} appears in no earlier tool result or user message",
                    span_id=_span_of(t),
                    step_index=ctx.at(t),
                )
        if t.result is not None:
            earlier.append(_text_of(parse_json_maybe(t.result)))
            for key, val in _id_values(t.result):
                returned.setdefault(key, {}).setdefault(val, t.name)
        if not t.error and t.arguments is not None:
            earlier.append(_text_of(t.arguments))


def _budget(ctx: _Ctx) -> Iterator[Finding]:
    """Counts, tokens and cost above the configured thresholds."""
    cfg, trace = ctx.config, ctx.trace
    if cfg.max_llm_calls is not None and len(trace.llm_calls) > cfg.max_llm_calls:
        over = trace.llm_calls[cfg.max_llm_calls]
        yield Finding(
            rule="budget",
            severity="error",
            message=f"{len(trace.llm_calls)} LLM calls, over the limit of {cfg.max_llm_calls} "
            f"(the first one over is shown)",
            span_id=over.span_id,
            step_index=ctx.at(over),
        )
    if cfg.max_tool_calls is not None and len(trace.tool_calls) > cfg.max_tool_calls:
        over_t = trace.tool_calls[cfg.max_tool_calls]
        yield Finding(
            rule="budget",
            severity="error",
            message=f"{len(trace.tool_calls)} tool calls, over the limit of {cfg.max_tool_calls} "
            f"(the first one over is shown)",
            span_id=_span_of(over_t),
            step_index=ctx.at(over_t),
        )
    root = trace.roots[0].span_id if trace.roots else None
    if cfg.max_total_tokens is not None and trace.total_tokens > cfg.max_total_tokens:
        yield Finding(
            rule="budget",
            severity="error",
            message=f"{trace.total_tokens} tokens ({trace.input_tokens} input + {trace.output_tokens} output), "
            f"over the limit of {cfg.max_total_tokens}",
            span_id=root,
        )
    if cfg.max_cost_usd is not None:
        cost = trace_cost_or_note(trace, ctx.notes)
        if cost is not None and cost > cfg.max_cost_usd:
            yield Finding(
                rule="budget",
                severity="error",
                message=f"cost ${cost:.6f}, over the limit of ${cfg.max_cost_usd:.6f}",
                span_id=root,
            )


def trace_cost_or_note(trace: Trace, notes: list[str]) -> float | None:
    """The trace's USD cost, or None with a note saying why it could not be computed (never a silent 0)."""
    try:
        from .cost import trace_cost
    except ImportError as exc:  # pragma: no cover - cost ships with the package
        notes.append(f"cost not checked: the cost module is unavailable ({exc})")
        return None
    from ._errors import AgentTraceError

    try:
        return float(trace_cost(trace, on_unknown="error"))
    except AgentTraceError as exc:
        notes.append(f"cost not checked: {exc}")
        return None


#: The rules in report order: (the rule names a function reports, the function). The three error rules share one
#: function so that a failure that propagated is reported once. `LintConfig.ignore` turns rules off by name.
RULES: tuple[tuple[tuple[str, ...], Rule], ...] = (
    (("tool-error", "llm-error", "agent-error"), _errors),
    (("truncated",), _truncated),
    (("content-filter",), _content_filter),
    (("repeated-tool-call",), _repeated),
    (("delegation-cycle",), _cycles),
    (("hallucinated-tool-result",), _hallucinated),
    (("contradicting-argument",), _contradicting),
    (("budget",), _budget),
)

RULE_NAMES: tuple[str, ...] = tuple(name for names, _ in RULES for name in names)


def lint_report(trace: Trace, *, config: LintConfig | None = None) -> LintReport:
    """Run every rule not in `config.ignore`; findings in rule order, then step order."""
    cfg = config or LintConfig()
    ctx = _Ctx(trace=trace, config=cfg, index={id(s): i for i, s in enumerate(trace.steps)})
    findings: list[Finding] = []
    for names, rule in RULES:
        if cfg.ignore.issuperset(names):
            continue
        found = list(rule(ctx))
        found.sort(key=lambda f: (f.step_index is None, f.step_index or 0))
        findings.extend(f for f in found if f.rule not in cfg.ignore)
    return LintReport(findings=tuple(findings), notes=tuple(ctx.notes))


def lint_trace(trace: Trace, *, config: LintConfig | None = None) -> list[Finding]:
    """The suspected failure modes of a run (see the module docstring for each rule); [] for a clean run."""
    return list(lint_report(trace, config=config).findings)


# ------------------------------------------------------------------------------------------------- output


def render_findings(trace: Trace, report: LintReport | Sequence[Finding], *, width: int = 80) -> str:
    """One block per finding: severity, rule, message, the span (id and name) and the step's one-line view."""
    from ._render import step_line

    findings = report.findings if isinstance(report, LintReport) else tuple(report)
    notes = report.notes if isinstance(report, LintReport) else ()
    if not findings:
        lines = ["no findings"]
    else:
        errors = sum(1 for f in findings if f.severity == "error")
        lines = [f"{len(findings)} finding{'s' if len(findings) != 1 else ''} ({errors} error(s))"]
        for f in findings:
            lines.append("")
            lines.append(f"{f.severity}[{f.rule}] {f.message}")
            if f.span_id is not None:
                try:
                    span_name: str | None = trace.span(f.span_id).name
                except KeyError:
                    span_name = None
                lines.append(f"  at span {f.span_id}" + (f" {span_name!r}" if span_name else ""))
            if f.step_index is not None and 0 <= f.step_index < len(trace.steps):
                lines.append(f"  step {f.step_index}: {step_line(trace.steps[f.step_index], max_value=width)}")
    lines.extend(f"note: {n}" for n in notes)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------- CLI


def add_lint_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `agenttrace lint` (exit 0: no findings, 1: findings, 2: usage or input error)."""
    p = subparsers.add_parser(
        "lint",
        help="report a run's suspected failure modes (tool errors, truncation, loops, ...); exit 1 when found",
        description="Report the suspected failure modes of each trace, with the span each one points at. "
        "Exit status: 0 no findings, 1 findings, 2 usage or input error.",
    )
    p.add_argument("traces", nargs="+", metavar="TRACE", help="trace file(s) in any supported format, or - for stdin")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--trace-id", help="only this trace id (a unique prefix is enough)")
    p.add_argument(
        "--ignore", action="append", default=[], choices=RULE_NAMES, metavar="RULE",
        help=f"turn a rule off (repeatable): {', '.join(RULE_NAMES)}",
    )  # fmt: skip
    p.add_argument("--max-repeats", type=_at_least(2), default=3, metavar="N",
                   help="identical tool calls (same name and arguments) in one agent run that count as a loop "
                   "(default 3)")  # fmt: skip
    p.add_argument("--max-llm-calls", type=_at_least(0), metavar="N", help="flag more LLM calls than N")
    p.add_argument("--max-tool-calls", type=_at_least(0), metavar="N", help="flag more tool calls than N")
    p.add_argument("--max-tokens", type=_at_least(0), metavar="N", help="flag more input+output tokens than N")
    p.add_argument("--max-cost", type=_usd, metavar="USD", help="flag a cost above USD (priced with genai-prices)")
    p.add_argument("--width", type=int, default=80, help="maximum characters shown per value (default 80)")
    p.set_defaults(func=_cmd_lint)
    return p


def _at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if n < low:
            raise argparse.ArgumentTypeError(f"{text!r} must be at least {low}")
        return n

    return parse


def _usd(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of US dollars (e.g. 0.05)") from None
    if not v >= 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite, non-negative number of US dollars")
    return v


def _cmd_lint(args: argparse.Namespace) -> int:
    from .formats import load_trace

    config = LintConfig(
        max_identical_tool_calls=args.max_repeats,
        max_llm_calls=args.max_llm_calls,
        max_tool_calls=args.max_tool_calls,
        max_total_tokens=args.max_tokens,
        max_cost_usd=args.max_cost,
        ignore=frozenset(args.ignore),
    )
    found = 0
    results: list[dict[str, Any]] = []
    texts: list[str] = []
    for path in args.traces:
        trace = load_trace(path, trace_id=args.trace_id)
        report = lint_report(trace, config=config)
        found += len(report.findings)
        if args.json:
            results.append({"trace": path, **report.to_dict()})
        else:
            body = render_findings(trace, report, width=args.width)
            texts.append(f"== {path}\n{body}" if len(args.traces) > 1 else body)
    if args.json:
        json.dump({"traces": results, "findings": found}, sys.stdout, indent=2, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n\n".join(texts) + "\n")
    return 1 if found else 0
