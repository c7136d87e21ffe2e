"""Tool-selection assertions: which tools were called, in what order, with which arguments."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from .._model import ToolCall
from ._failure import AgentAssertionError, as_trace, call_text, nearest_call, plural, side_by_side
from ._matchers import ArgsMode, Call, OrderMode, SequenceMatch, as_expected, item_matches, match_calls


def assert_tool_calls(
    trace: Any, expected: Sequence[Any], *, order: OrderMode = "strict", args: ArgsMode = "exact"
) -> None:
    """Assert the trace's tool calls match `expected` (names, `call(...)`s or ToolCalls).

    `order`: "strict" | "subsequence" | "unordered" | "subset" | "superset"; `args`: "exact" | "subset" | "ignore".
    The exact definitions are in `pytest_agenttrace.assertions._matchers`' docstring.
    """
    t = as_trace(trace)
    if isinstance(expected, (str, Call, ToolCall)):
        raise TypeError(f"expected must be a list of calls, got a single {expected!r}; wrap it: [{expected!r}]")
    exp = [as_expected(e) for e in expected]
    calls = t.tool_calls
    m = match_calls(exp, calls, order=order, args=args)
    if m.ok:
        return
    raise AgentAssertionError(
        f"tool calls do not match (order={order!r}, args={args!r}): {_reason(m, exp, calls)}",
        details=_details(m, exp, calls, args=args),
        trace=t,
    )


def _reason(m: SequenceMatch, exp: Sequence[str | Call], calls: Sequence[ToolCall]) -> str:
    if m.order == "strict":
        common = min(len(exp), len(calls))
        assert m.first_bad is not None
        if m.first_bad >= common:
            return f"expected {plural(len(exp), 'call')}, got {len(calls)}; the first {common} match"
        return f"first divergence at position {m.first_bad + 1} of {len(exp)} expected, {len(calls)} actual"
    if m.order == "subsequence":
        i = m.missing[0]
        after = f" after the match of expected #{i}" if i else ""
        return f"expected call #{i + 1} {call_text(exp[i])} was not found in order{after}"
    bits = []
    if m.missing:
        bits.append(f"{plural(len(m.missing), 'expected call')} not made")
    if m.unexpected:
        bits.append(f"{plural(len(m.unexpected), 'call')} not expected")
    return ", ".join(bits) + f" ({len(exp)} expected, {len(calls)} actual)"


def _details(m: SequenceMatch, exp: Sequence[str | Call], calls: Sequence[ToolCall], *, args: ArgsMode) -> list[str]:
    lines: list[str] = []
    first = m.rows[m.first_bad] if m.first_bad is not None else (None, None, False)
    e_idx, a_idx = first[0], first[1]
    if m.order == "strict":  # the pair at the first divergence, in full
        lines.append(f"expected: {call_text(exp[e_idx], width=200) if e_idx is not None else '(no more calls)'}")
        lines.append(f"actual:   {call_text(calls[a_idx], width=200) if a_idx is not None else '(no more calls)'}")
        lines.append("")
    rows = [
        (
            f"{e + 1}. {call_text(exp[e])}" if e is not None else "",
            f"{a + 1}. {call_text(calls[a])}" if a is not None else "",
            ok,
        )
        for e, a, ok in m.rows
    ]
    lines.extend(side_by_side(rows, first_bad=m.first_bad))
    # Explain up to three expected items that found no partner.
    for i in m.missing[:3]:
        lines.append("")
        lines.extend(nearest_call(exp[i], calls, args=args, near=a_idx if i == e_idx else None))
    if len(m.missing) > 3:
        lines.append(f"... and {len(m.missing) - 3} more expected call(s) not matched")
    if m.unexpected and m.order != "strict":
        lines.append("")
        lines.append("not expected: " + ", ".join(f"#{j + 1} {call_text(calls[j])}" for j in m.unexpected[:5]))
        if len(m.unexpected) > 5:
            lines.append(f"... and {len(m.unexpected) - 5} more")
    return lines


def assert_tool_called(
    trace: Any, name: str, *, times: int | None = None, args: Mapping[str, Any] | None = None
) -> None:
    """Assert `name` was called (exactly `times` times when given) with arguments matching `args`.

    `args` is matched as a subset: the keys given must be present and their values match (matchers allowed);
    other arguments are ignored. Use `assert_tool_calls(..., args="exact")` for an exact argument set.
    """
    t = as_trace(trace)
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 0):
        raise ValueError(f"times={times!r} must be a non-negative int (or None for 'at least once')")
    if args is not None and not isinstance(args, Mapping):
        raise TypeError(f"args={args!r} must be a dict of argument name -> expected value (or matcher)")
    expected: str | Call = name if args is None else Call(name, args)
    calls = t.tool_calls
    hits = [j for j, c in enumerate(calls) if item_matches(expected, c, "subset")]
    by_name = [j for j, c in enumerate(calls) if c.name == name]
    if (times is None and hits) or (times is not None and len(hits) == times):
        return
    with_args = f" with {call_text(expected, width=200)}" if args is not None else ""
    if times is None:
        if not by_name:
            summary = f"tool {name!r} was never called"
        else:
            summary = f"tool {name!r} was called {plural(len(by_name), 'time')}, never{with_args}"
    else:
        summary = f"tool {name!r} was called {plural(len(hits), 'time')}{with_args}, expected {times}"
    details: list[str] = []
    if by_name:
        details.append(f"calls to {name!r}:")
        details.extend(f"  {'*' if j in hits else ' '} #{j + 1} {call_text(calls[j], width=120)}" for j in by_name[:20])
        if len(by_name) > 20:
            details.append(f"  ... and {len(by_name) - 20} more")
    if not hits:
        details.append("")
        details.extend(nearest_call(expected, calls, args="subset"))
    raise AgentAssertionError(summary, details=details, trace=t)


def assert_tool_not_called(trace: Any, name: str) -> None:
    """Assert the tool `name` was never called."""
    t = as_trace(trace)
    calls = [(j, c) for j, c in enumerate(t.tool_calls) if c.name == name]
    if not calls:
        return
    raise AgentAssertionError(
        f"tool {name!r} was called {plural(len(calls), 'time')}, expected never",
        details=_call_list(calls),
        trace=t,
    )


def check_allowed_tools(trace: Any, allowed: Collection[str]) -> None:
    """Assert every tool called is in `allowed` (the `tools=[...]` budget)."""
    t = as_trace(trace)
    allowed_set = set(allowed)
    bad = [(j, c) for j, c in enumerate(t.tool_calls) if c.name not in allowed_set]
    if not bad:
        return
    names = sorted({c.name for _, c in bad})
    raise AgentAssertionError(
        f"tool(s) {', '.join(map(repr, names))} called but not in tools={sorted(allowed_set)!r}",
        details=_call_list(bad),
        trace=t,
    )


def check_forbidden_tools(trace: Any, forbidden: Collection[str]) -> None:
    """Assert no tool in `forbidden` was called (the `forbid_tools=[...]` budget)."""
    t = as_trace(trace)
    forbidden_set = set(forbidden)
    bad = [(j, c) for j, c in enumerate(t.tool_calls) if c.name in forbidden_set]
    if not bad:
        return
    names = sorted({c.name for _, c in bad})
    raise AgentAssertionError(
        f"forbidden tool(s) {', '.join(map(repr, names))} called (forbid_tools={sorted(forbidden_set)!r})",
        details=_call_list(bad),
        trace=t,
    )


def _call_list(calls: Sequence[tuple[int, ToolCall]], limit: int = 20) -> list[str]:
    lines = [
        f"  #{j + 1} {call_text(c, width=120)}" + (f" (agent {c.agent!r})" if c.agent else "") for j, c in calls[:limit]
    ]
    if len(calls) > limit:
        lines.append(f"  ... and {len(calls) - limit} more")
    return lines
