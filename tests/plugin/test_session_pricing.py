"""The session prices each test's usage rows at the end of the run: the same cost as the trace's, errors kept."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_agenttrace import LLMCall, Trace, call_cost
from pytest_agenttrace._records import SpanRecord
from pytest_agenttrace._session import AgentTraceSession, _usage_rows

DAY_NS = 1_780_000_000 * 1_000_000_000


def chat(i: int, model: str, *, inp: int, out: int, cache: int = 0) -> SpanRecord:
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.usage.input_tokens": inp,
        "gen_ai.usage.output_tokens": out,
    }
    if cache:
        attrs["gen_ai.usage.cache_read.input_tokens"] = cache
    return SpanRecord(
        "1" * 32, f"{i:016x}", f"chat {model}", start_ns=DAY_NS + i, end_ns=DAY_NS + i + 1, attributes=attrs
    )


def run(session: AgentTraceSession, *tests: list[SpanRecord]) -> list[dict[str, Any]]:
    for n, records in enumerate(tests):
        session.add_result(
            f"t.py::test_{n}", {"spans": len(records), "llm_usage": _usage_rows(Trace.from_records(records))}
        )
    session.summary_lines()
    return [data for _, data in session.results]


def test_repeated_usages_are_one_row_with_a_count_and_cost_what_the_trace_costs() -> None:
    records = [chat(i, "gpt-4o-mini", inp=1000, out=10) for i in range(3)] + [chat(9, "gpt-4o", inp=500, out=5)]
    trace = Trace.from_records(records)
    rows = _usage_rows(trace)
    assert [n for n, _ in rows] == [3, 1]
    (data,) = run(AgentTraceSession(), records)
    assert data["cost_usd"] == pytest.approx(trace.cost_usd)
    assert "llm_usage" not in data  # priced once; the rows are dropped


def test_an_unknown_model_costs_none_and_a_bad_usage_is_reported() -> None:
    session = AgentTraceSession()
    unknown, bad, fine = run(
        session,
        [chat(1, "no-such-model-xyz", inp=10, out=1)],
        [chat(2, "gpt-4o-mini", inp=10, out=1, cache=50)],  # cache reads over the input tokens: cannot be priced
        [chat(3, "gpt-4o-mini", inp=10, out=1)],
    )
    assert unknown["cost_usd"] is None and "build_error" not in unknown
    assert bad["cost_usd"] is None and "cache tokens (50 read + 0 write) exceed input tokens (10)" in bad["build_error"]
    call = LLMCall(span_id="x", provider="openai", request_model="gpt-4o-mini", input_tokens=10, output_tokens=1)
    assert fine["cost_usd"] == pytest.approx(call_cost(call)) and fine["cost_usd"] > 0
