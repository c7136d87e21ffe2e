"""The failure type of every assertion and the pieces its message is made of.

A message reads top-down: one summary line (what was expected, what happened), details (a side-by-side trajectory
with the first divergence marked `>`, the nearest matching call and its argument differences), then the trace tree,
bounded for huge traces. Budgets reuse the summary and details without the tree.
"""

from __future__ import annotations

import difflib
import importlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .._model import Step, ToolCall, Trace
from ._matchers import ArgsMode, Call, as_expected, item_mismatches

#: Lines of the trace tree shown under a failure; the rest is counted, not printed.
TREE_LINES = 60
#: Rows of a side-by-side trajectory shown around the first divergence.
WINDOW_BEFORE, WINDOW_AFTER = 8, 16
COLUMN = 56


class AgentAssertionError(AssertionError):
    """An agent-trace assertion failed: `summary` (one line), `details` (lines) and the trace it was about.

    `str()` gives the whole message with the trace tree; `brief()` gives it without the tree (budgets list several).
    """

    def __init__(self, summary: str, *, details: Sequence[str] = (), trace: Trace | None = None) -> None:
        super().__init__(summary)
        self.summary = summary
        self.details = tuple(details)
        self.trace = trace
        self._text: str | None = None

    def brief(self) -> str:
        """The summary and details, without the trace tree."""
        return "\n".join([self.summary, *self.details])

    def __str__(self) -> str:
        if self._text is None:
            parts = [self.brief()]
            if self.trace is not None:
                parts.append("\ntrace:\n" + render_tree(self.trace))
            self._text = "\n".join(parts)
        return self._text


def as_trace(obj: Any) -> Trace:
    """A `Trace` from a trace or a live trace proxy (the `agent_trace` fixture); TypeError for anything else."""
    if isinstance(obj, Trace):
        return obj
    try:
        live = importlib.import_module("pytest_agenttrace._live")
    except ImportError:
        live = None
    if live is not None and hasattr(live, "as_trace"):
        trace = live.as_trace(obj)
        if isinstance(trace, Trace):
            return trace
    raise TypeError(
        f"expected a Trace (or the agent_trace fixture), got {type(obj).__name__}: {_clip(repr(obj), 80)};"
        " load one with pytest_agenttrace.load_trace(path)"
    )


def render_tree(trace: Trace, *, max_lines: int = TREE_LINES) -> str:
    """The trace tree, at most `max_lines` step lines (a failure must stay readable for a 10,000-step trace)."""
    try:
        from .._render import render_tree as _render_tree

        return _render_tree(trace, max_lines=max_lines)
    except Exception as exc:  # the tree is a courtesy: never let it hide the assertion itself
        return f"(trace tree unavailable: {type(exc).__name__}: {exc})"


def step_text(step: Step, *, width: int = 80) -> str:
    """One line for a step, as the trace tree shows it."""
    try:
        from .._render import step_line

        return _clip(step_line(step, max_value=width), width + 40)
    except Exception:
        return _clip(repr(step), width)


def call_text(item: Any, *, width: int = COLUMN) -> str:
    """`name(k=v, ...)` for an expected item or a recorded call (an erroring call is marked `!error`)."""
    if isinstance(item, ToolCall):
        text = Call.from_tool_call(item).short(width=width)
        return text + " !error" if (item.error or item.status == "error") else text
    expected = as_expected(item)
    return expected if isinstance(expected, str) else expected.short(width=width)


def side_by_side(
    rows: Sequence[tuple[str, str, bool]],
    *,
    first_bad: int | None,
    titles: tuple[str, str] = ("expected", "actual"),
) -> list[str]:
    """Two columns, one row per pair; the first divergent row is marked `>`, other bad rows `!`.

    Long tables show a window around the first divergence and count what they leave out.
    """
    start, stop = 0, len(rows)
    if len(rows) > WINDOW_BEFORE + WINDOW_AFTER + 1:
        center = first_bad if first_bad is not None else 0
        start = max(0, center - WINDOW_BEFORE)
        stop = min(len(rows), center + WINDOW_AFTER + 1)
    width = max([len(titles[0]), *(len(r[0]) for r in rows[start:stop])])
    width = min(width, COLUMN + 6)
    out = [f"    {titles[0]:<{width}}  {titles[1]}"]
    if start:
        out.append(f"    ... {start} earlier row(s)")
    for k in range(start, stop):
        left, right, ok = rows[k]
        mark = ">" if k == first_bad else (" " if ok else "!")
        out.append(f"  {mark} {_clip(left, width):<{width}}  {right}".rstrip())
    if stop < len(rows):
        out.append(f"    ... {len(rows) - stop} more row(s)")
    return out


def nearest_call(
    expected: Any, calls: Sequence[ToolCall], *, args: ArgsMode, near: int | None = None, limit: int = 12
) -> list[str]:
    """Lines about the recorded call closest to `expected`: its position and each argument difference.

    Closest = same name, fewest differing arguments, then nearest to position `near`. With no call of that name,
    the names that were called (and close spellings) instead.
    """
    item = as_expected(expected)
    name = item if isinstance(item, str) else item.name
    same = [(j, c) for j, c in enumerate(calls) if c.name == name]
    if not same:
        names = Counter(c.name for c in calls)
        close = difflib.get_close_matches(name, list(names), n=3)
        line = f"no call to {name!r} at all"
        if close:
            line += f" (did you mean {' or '.join(map(repr, close))}?)"
        called = ", ".join(f"{n} x{k}" for n, k in names.items()) or "none"
        return [line, f"tools called: {called}"]
    scored = []
    for j, c in same:
        diffs = list(item_mismatches(item, c, args))
        scored.append((len(diffs), abs(j - near) if near is not None else 0, j, c, diffs))
    _, _, j, c, diffs = min(scored, key=lambda s: (s[0], s[1], s[2]))
    where = f" (agent {c.agent!r})" if c.agent else ""
    lines = [f"nearest call to {name!r}: #{j + 1} {call_text(c, width=100)}{where}"]
    if not diffs:
        lines.append("  it matches, but not at the expected position")
    lines.extend(f"  {d}" for d in diffs[:limit])
    if len(diffs) > limit:
        lines.append(f"  ... {len(diffs) - limit} more difference(s)")
    return lines


def plural(n: int, word: str) -> str:
    """`1 call`, `3 calls`."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"
