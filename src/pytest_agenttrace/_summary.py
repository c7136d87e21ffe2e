"""Per-test trace data as JSON-safe dicts, and the terminal summary table built from them.

Pure: no pytest, no OpenTelemetry. The dicts travel on test reports (they survive xdist), so everything here
works from plain data; `report_data` is the one place a `Trace` becomes such a dict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._model import Trace

#: `--agenttrace-summary` values: tests with LLM/tool/agent steps (capped), every test, totals only.
SUMMARY_MODES = ("auto", "all", "none")
DEFAULT_SUMMARY = "auto"
#: Rows shown in "auto" mode before a "... and N more" line.
AUTO_MAX_ROWS = 50
#: Tool names kept per test (in call order) on the report.
MAX_TOOL_NAMES = 50

#: Integer counters of a test's data (missing keys count as 0).
COUNTERS = (
    "spans",
    "llm_calls",
    "tool_calls",
    "agents",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "errors",
)


def report_data(trace: Trace, *, spans: int | None = None) -> dict[str, Any]:
    """The JSON-safe summary of one test's trace (counters, tool names in order, models) for its report.

    Plain values and tuples of strings only: the cyclic GC stops tracking such tuples, and a run keeps one of these
    per test until its end."""
    totals = trace.totals
    tools = trace.tool_names
    models: dict[str, None] = {}
    for call in trace.llm_calls:
        if call.model:
            models.setdefault(call.model, None)
    data: dict[str, Any] = {
        "spans": len(trace.records) if spans is None else spans,
        "llm_calls": totals.llm_calls,
        "tool_calls": totals.tool_calls,
        "agents": totals.agents,
        "input_tokens": totals.input_tokens,
        "output_tokens": totals.output_tokens,
        "cache_read_tokens": totals.cache_read_tokens,
        "cache_write_tokens": totals.cache_write_tokens,
        "errors": totals.errors,
        "tools": tuple(tools[:MAX_TOOL_NAMES]),
        "models": tuple(models),
    }
    if len(tools) > MAX_TOOL_NAMES:
        data["tools_omitted"] = len(tools) - MAX_TOOL_NAMES
    return data


def has_steps(data: Mapping[str, Any]) -> bool:
    """Whether a test produced any LLM call, tool call or agent run (the rows "auto" mode lists)."""
    return bool(data.get("llm_calls") or data.get("tool_calls") or data.get("agents"))


def run_totals(tests: Iterable[Mapping[str, Any]], *, unattributed: int = 0, late: int = 0) -> dict[str, Any]:
    """Sum per-test dicts into run totals (`tests` counts tests with at least one span)."""
    totals: dict[str, Any] = dict.fromkeys(COUNTERS, 0)
    totals["tests"] = 0
    cost: float | None = None
    for data in tests:
        if data.get("spans"):
            totals["tests"] += 1
        for key in COUNTERS:
            value = data.get(key)
            if isinstance(value, int):
                totals[key] += value
        if isinstance(data.get("cost_usd"), int | float):
            cost = (cost or 0.0) + float(data["cost_usd"])
    totals["unattributed"] = unattributed
    totals["late"] = late
    totals["cost_usd"] = cost
    return totals


def _cost(value: Any) -> str:
    """`$0`, `$0.000123` (small costs keep their digits), `$1.2345`; `-` when unknown (a model with no price)."""
    if not isinstance(value, int | float):
        return "-"
    if value == 0:
        return "$0"
    return f"${value:.6f}" if value < 0.01 else f"${value:.4f}"


_COLUMNS: tuple[tuple[str, str], ...] = (
    ("llm_calls", "LLM calls"),
    ("tool_calls", "tool calls"),
    ("input_tokens", "input tok"),
    ("output_tokens", "output tok"),
    ("errors", "errors"),
)


def format_table(rows: Sequence[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """A table that lines up: nodeid, LLM calls, tool calls, input/output tokens, errors, cost ("-" if unknown)."""
    header = ["test", *(title for _, title in _COLUMNS), "cost"]
    body = [
        [nodeid, *(f"{int(data.get(key) or 0):,}" for key, _ in _COLUMNS), _cost(data.get("cost_usd"))]
        for nodeid, data in rows
    ]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = []
    for r in [header, *body]:
        cells = [r[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True))]
        lines.append("  ".join(cells).rstrip())
    return lines


def format_totals(totals: Mapping[str, Any]) -> str:
    """The one-line run totals, e.g. `totals: 2 tests with traces, 3 LLM calls, 1 tool calls, ...`."""
    line = (
        f"totals: {totals['tests']} tests with traces, {totals['llm_calls']} LLM calls, "
        f"{totals['tool_calls']} tool calls, {totals['input_tokens']} input tokens, "
        f"{totals['output_tokens']} output tokens, {totals['errors']} errors, "
        f"{totals['unattributed']} unattributed spans"
    )
    if totals.get("cost_usd") is not None:
        line += f", cost {_cost(totals['cost_usd'])}"
    return line


def format_summary(
    rows: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    mode: str = DEFAULT_SUMMARY,
    unattributed: int = 0,
    unattributed_names: Sequence[str] = (),
    late: int = 0,
) -> list[str]:
    """The lines of the `agenttrace` terminal section for `(nodeid, test data)` rows in run order."""
    if mode not in SUMMARY_MODES:
        raise ValueError(f"summary mode {mode!r} is not one of {SUMMARY_MODES}")
    lines: list[str] = []
    if mode != "none":
        shown = list(rows) if mode == "all" else [r for r in rows if has_steps(r[1])]
        more = 0
        if mode == "auto" and len(shown) > AUTO_MAX_ROWS:
            more = len(shown) - AUTO_MAX_ROWS
            shown = shown[:AUTO_MAX_ROWS]
        if shown:
            lines.extend(format_table(shown))
            if more:
                lines.append(f"... and {more} more (--agenttrace-summary=all lists every test)")
    lines.append(format_totals(run_totals((d for _, d in rows), unattributed=unattributed, late=late)))
    if unattributed:
        names = ", ".join(repr(n) for n in unattributed_names)
        lines.append(
            f"warning: {unattributed} spans ended outside any test and were not attributed"
            + (f" (first: {names})" if names else "")
            + "; end spans inside the test (or its fixtures) that started them"
        )
    if late:
        lines.append(f"note: {late} spans ended after their test's report was built; they count in no test's numbers")
    for nodeid, data in rows:
        if data.get("build_error"):
            lines.append(f"warning: {nodeid}: could not build the trace: {data['build_error']}")
    return lines
