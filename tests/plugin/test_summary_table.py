"""The pure summary formatting: rows that line up, modes, the row cap, totals, cost slot."""

from __future__ import annotations

import pytest

from pytest_agenttrace._model import Trace
from pytest_agenttrace._records import SpanRecord
from pytest_agenttrace._summary import AUTO_MAX_ROWS, MAX_TOOL_NAMES, format_summary, report_data, run_totals
from pytest_agenttrace.plugin import SUMMARY_CHOICES

LLM = {"spans": 2, "llm_calls": 2, "tool_calls": 1, "input_tokens": 1200, "output_tokens": 30, "errors": 0}
PLAIN = {"spans": 1}
NOTHING = {"spans": 0}


def test_choices_are_the_modes() -> None:
    assert SUMMARY_CHOICES == ("auto", "all", "none")


def test_table_lines_up() -> None:
    rows = [("t.py::test_long_name", LLM), ("t.py::b", {**LLM, "cost_usd": 0.0123, "errors": 1})]
    lines = format_summary(rows, mode="auto")
    header, first, second, totals = lines
    assert header.split() == [
        "test",
        "LLM",
        "calls",
        "tool",
        "calls",
        "input",
        "tok",
        "output",
        "tok",
        "errors",
        "cost",
    ]
    assert first.split() == ["t.py::test_long_name", "2", "1", "1,200", "30", "0", "-"]
    assert second.split() == ["t.py::b", "2", "1", "1,200", "30", "1", "$0.0123"]
    # right-aligned numeric columns end at the same offsets
    for column in ("errors", "tok"):
        end = header.index(column) + len(column)
        assert first[end - 1] != " " and second[end - 1] != " "
    assert totals == (
        "totals: 2 tests with traces, 4 LLM calls, 2 tool calls, 2400 input tokens, 60 output tokens, 1 errors, "
        "0 unattributed spans, cost $0.0123"
    )


@pytest.mark.parametrize(("mode", "rows_shown"), [("auto", 1), ("all", 3), ("none", 0)])
def test_modes(mode: str, rows_shown: int) -> None:
    rows = [("a", LLM), ("b", PLAIN), ("c", NOTHING)]
    lines = format_summary(rows, mode=mode)
    body = [line for line in lines if line.split()[0] in ("a", "b", "c")]
    assert len(body) == rows_shown
    assert lines[-1].startswith("totals: 2 tests with traces, 2 LLM calls")


def test_auto_caps_rows_with_a_more_line() -> None:
    rows = [(f"t::{i}", LLM) for i in range(AUTO_MAX_ROWS + 7)]
    lines = format_summary(rows, mode="auto")
    assert len(lines) == 1 + AUTO_MAX_ROWS + 2
    assert lines[-2] == "... and 7 more (--agenttrace-summary=all lists every test)"
    assert len(format_summary(rows, mode="all")) == 1 + AUTO_MAX_ROWS + 7 + 1


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="summary mode 'loud' is not one of"):
        format_summary([], mode="loud")


def test_totals_ignore_missing_and_odd_values() -> None:
    totals = run_totals([{"spans": 1, "llm_calls": "x"}, {}], unattributed=2)
    assert (totals["tests"], totals["llm_calls"], totals["unattributed"], totals["cost_usd"]) == (1, 0, 2, None)


def test_test_data_from_a_trace() -> None:
    def span(i: int, name: str, **attrs: object) -> SpanRecord:
        return SpanRecord(trace_id="a" * 32, span_id=f"{i:016x}", name=name, start_ns=i, end_ns=i + 1, attributes=attrs)

    records = [
        span(
            1,
            "chat m",
            **{
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "m",
                "gen_ai.usage.input_tokens": 5,
                "gen_ai.usage.output_tokens": 2,
            },
        ),
    ] + [
        span(i + 2, f"execute_tool t{i}", **{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": f"t{i}"})
        for i in range(MAX_TOOL_NAMES + 3)
    ]
    data = report_data(Trace.from_records(records))
    assert data["spans"] == len(records)
    assert (data["llm_calls"], data["tool_calls"], data["input_tokens"], data["output_tokens"]) == (1, 53, 5, 2)
    assert data["models"] == ("m",)
    assert data["tools"] == tuple(f"t{i}" for i in range(MAX_TOOL_NAMES))
    assert data["tools_omitted"] == 3
