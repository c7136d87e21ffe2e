"""`pytest_assertrepr_compare` support: a plain `assert agent_trace.tool_names == [...]` prints a trajectory.

Handles `==` between a Trace and a list, two Traces, lists holding ToolCalls or `call(...)`s, and a
`Trace.tool_names` list (recognised by its type, `_model.ToolNames`, when the model defines one) against a list of
names. Anything else returns None so pytest's own explanation is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _model
from .._model import ToolCall, Trace
from ._failure import call_text, side_by_side, step_text
from ._matchers import Call

_ITEM_TYPES = (ToolCall, Call)


def _is_names_list(value: Any) -> bool:
    names_type = getattr(_model, "ToolNames", None)
    return names_type is not None and isinstance(value, names_type)


def _is_call_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and any(isinstance(v, _ITEM_TYPES) for v in value)


def _is_actual(value: Any) -> bool:
    return (
        isinstance(value, Trace)
        or _is_names_list(value)
        or (isinstance(value, (list, tuple)) and any(isinstance(v, ToolCall) for v in value))
    )


def _cell(item: Any) -> str:
    if isinstance(item, (ToolCall, Call)):
        return call_text(item)
    return repr(item) if not isinstance(item, str) else item


def _safe_eq(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


def _table(actual: Sequence[Any], expected: Sequence[Any], *, actual_on_left: bool) -> tuple[list[str], int | None]:
    rows = []
    first_bad: int | None = None
    for k in range(max(len(actual), len(expected))):
        a = actual[k] if k < len(actual) else None
        e = expected[k] if k < len(expected) else None
        ok = k < len(actual) and k < len(expected) and _safe_eq(a, e)
        if not ok and first_bad is None:
            first_bad = k
        a_text = f"{k + 1}. {_cell(a)}" if k < len(actual) else ""
        e_text = f"{k + 1}. {_cell(e)}" if k < len(expected) else ""
        rows.append((a_text, e_text, ok) if actual_on_left else (e_text, a_text, ok))
    titles = ("actual (left)", "expected (right)") if actual_on_left else ("expected (left)", "actual (right)")
    return side_by_side(rows, first_bad=first_bad, titles=titles), first_bad


def _summary(first_bad: int | None, n_actual: int, n_expected: int) -> str:
    if first_bad is None:
        return "tool trajectories hold equal items but the containers differ"
    if first_bad >= min(n_actual, n_expected):
        return f"tool trajectories differ in length: {n_actual} actual vs {n_expected} expected"
    return f"tool trajectories differ at position {first_bad + 1}"


def assertrepr_compare(op: str, left: Any, right: Any) -> list[str] | None:
    """Explanation lines for `left == right` when one side is a trajectory (see module docstring), else None."""
    if op != "==":
        return None
    if isinstance(left, Trace) and isinstance(right, Trace):
        return _compare_traces(left, right)
    trace_side = isinstance(left, Trace) or isinstance(right, Trace)
    seqs = (list, tuple)
    if trace_side:
        trace, other = (left, right) if isinstance(left, Trace) else (right, left)
        if not isinstance(other, seqs):
            return None
        actual: Sequence[Any] = (
            list(trace.tool_calls) if any(isinstance(v, _ITEM_TYPES) for v in other) else trace.tool_names
        )
        table, first_bad = _table(actual, list(other), actual_on_left=isinstance(left, Trace))
        return [
            _summary(first_bad, len(actual), len(other)),
            "a Trace never equals a list: compare agent_trace.tool_names (names) or use assert_tool_calls(...)",
            *table,
        ]
    if not (isinstance(left, seqs) and isinstance(right, seqs)):
        return None
    if not (_is_names_list(left) or _is_names_list(right) or _is_call_list(left) or _is_call_list(right)):
        return None
    actual_on_left = _is_actual(left) or not _is_actual(right)
    actual, expected = (left, right) if actual_on_left else (right, left)
    table, first_bad = _table(list(actual), list(expected), actual_on_left=actual_on_left)
    lines = [_summary(first_bad, len(actual), len(expected))]
    if type(left) is not type(right) and {type(left), type(right)} == {list, tuple}:
        lines.append("a tuple never equals a list: compare list(agent_trace.tool_calls) == [...]")
    if any(isinstance(a, ToolCall) and isinstance(e, str) for a, e in zip(actual, expected, strict=False)):
        lines.append("a ToolCall never equals a name: compare agent_trace.tool_names, or expect call('name', ...)")
    lines.extend(table)
    return lines


def _compare_traces(left: Trace, right: Trace) -> list[str]:
    a = [step_text(s, width=60) for s in left.steps]
    b = [step_text(s, width=60) for s in right.steps]
    rows = []
    first_bad: int | None = None
    for k in range(max(len(a), len(b))):
        ok = k < len(a) and k < len(b) and a[k] == b[k]
        if not ok and first_bad is None:
            first_bad = k
        rows.append((a[k] if k < len(a) else "", b[k] if k < len(b) else "", ok))
    if first_bad is None:
        head = f"traces have the same steps but different spans ({len(left.records)} vs {len(right.records)})"
    else:
        head = f"traces differ at step {first_bad + 1} ({len(a)} vs {len(b)} steps)"
    return [head, *side_by_side(rows, first_bad=first_bad, titles=("left", "right"))]
