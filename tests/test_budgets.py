"""Budgets: marker arguments validated and merged over defaults, checked against a trace with the numbers."""

from __future__ import annotations

import pytest

from pytest_agenttrace import ConfigError, LLMCall, ToolCall, Trace
from pytest_agenttrace._budgets import (
    BUDGET_HELP,
    BUDGET_KEYS,
    Budget,
    budget_defaults,
    check_budget,
    check_run_cost,
    parse_budget,
)


def trace(*, tools=(), llm=(), final_output=None) -> Trace:
    return Trace(records=(), roots=(), nodes={}, tool_calls=tools, llm_calls=llm, final_output=final_output)


def model_call(i: int, *, tin: int = 1000, tout: int = 100, finish=("stop",)) -> LLMCall:
    return LLMCall(
        span_id=f"{i:016x}",
        provider="openai",
        request_model="gpt-4o-mini",
        input_tokens=tin,
        output_tokens=tout,
        finish_reasons=finish,
        start_ns=1_780_000_000_000_000_000 + i,
    )


def test_every_key_has_help_and_a_field() -> None:
    assert set(BUDGET_HELP) == set(BUDGET_KEYS)
    assert set(Budget.__dataclass_fields__) == set(BUDGET_KEYS)


def test_unknown_argument_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as info:
        parse_budget({"max_cost": 0.1}, where="@pytest.mark.agenttrace on test_refund")
    text = str(info.value)
    assert text.startswith("@pytest.mark.agenttrace on test_refund: unknown argument(s) 'max_cost' (did you mean")
    assert "valid arguments: " + ", ".join(BUDGET_KEYS) in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_cost_usd": "0.1"}, "max_cost_usd='0.1' must be a non-negative number"),
        ({"max_cost_usd": -1}, "must be a non-negative number"),
        ({"max_llm_calls": 2.5}, "max_llm_calls=2.5 must be a non-negative integer"),
        ({"max_tokens": True}, "max_tokens=True must be a non-negative integer"),
        ({"max_repeats": 0}, "max_repeats=0 must be at least 1"),
        ({"tools": "get_order"}, "tools='get_order' must be a list of names, e.g. tools=['get_order']"),
        ({"forbid_tools": [1]}, "forbid_tools=[1] must be a list of names"),
        ({"no_tool_errors": "yes"}, "no_tool_errors='yes' must be True or False"),
        ({"output_schema": {"type": "nope"}}, "output_schema: invalid JSON schema"),
    ],
)
def test_wrong_types_name_the_key_and_value(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        parse_budget(kwargs)
    assert message in str(info.value)


def test_marker_overrides_defaults_and_none_unsets() -> None:
    defaults = budget_defaults({"max_cost_usd": 0.5, "max_llm_calls": 10, "cassette_dir": "x", "prices": {}})
    assert defaults == Budget(max_cost_usd=0.5, max_llm_calls=10)
    b = parse_budget({"max_cost_usd": 0.02, "max_llm_calls": None, "tools": ["a"]}, defaults=defaults)
    assert b == Budget(max_cost_usd=0.02, tools=("a",))
    assert b.to_dict() == {"max_cost_usd": 0.02, "tools": ["a"]}
    assert not Budget() and b
    assert parse_budget({}, defaults={"max_tokens": 5}) == Budget(max_tokens=5)
    with pytest.raises(ConfigError, match="defaults: unknown argument"):
        parse_budget({}, defaults={"max_tokenz": 5})


def test_within_budget_gives_no_failures() -> None:
    t = trace(tools=[ToolCall(name="get_order", arguments={"id": 1})], llm=[model_call(0)], final_output={"ok": True})
    b = parse_budget(
        {
            "max_cost_usd": 1.0,
            "max_tokens": 1100,
            "max_llm_calls": 1,
            "max_tool_calls": 1,
            "max_repeats": 1,
            "max_duration_s": 60,
            "tools": ["get_order"],
            "forbid_tools": ["refund_order"],
            "no_tool_errors": True,
            "finish_reasons": ["stop"],
            "output_schema": {"type": "object"},
        }
    )
    assert check_budget(t, b) == []


def test_each_exceeded_budget_is_one_message_with_the_numbers() -> None:
    loop = [ToolCall(name="search", arguments={"q": "x"}, error="boom" if i == 3 else None) for i in range(4)]
    t = trace(tools=loop, llm=[model_call(i, finish=("length",) if i == 2 else ("tool_calls",)) for i in range(3)])
    b = parse_budget(
        {
            "max_cost_usd": 0.0001,
            "max_tokens": 3000,
            "max_output_tokens": 299,
            "max_llm_calls": 2,
            "max_tool_calls": 3,
            "max_repeats": 2,
            "tools": ["fetch"],
            "forbid_tools": ["search"],
            "no_tool_errors": True,
            "finish_reasons": ["stop", "tool_calls"],
            "output_schema": {"type": "object"},
        }
    )
    failures = check_budget(t, b)
    heads = [f.splitlines()[0] for f in failures]
    assert heads == [
        "max_cost_usd=0.0001: cost $0.000630 exceeds $0.0001 (3 LLM calls)",
        "max_tokens=3000: token budget exceeded: total tokens 3300 > 3000 (3 LLM calls)",
        "max_output_tokens=299: token budget exceeded: output tokens 300 > 299 (3 LLM calls)",
        "max_llm_calls=2: 3 LLM calls, expected at most 2",
        "max_tool_calls=3: 4 tool calls, expected at most 3",
        "max_repeats=2: tool calls repeated with the same arguments: search x4 (max_repeats=2)",
        "tools=['fetch']: tool(s) 'search' called but not in tools=['fetch']",
        "forbid_tools=['search']: forbidden tool(s) 'search' called (forbid_tools=['search'])",
        "no_tool_errors=True: 1 tool call failed ('search') out of 4",
        "finish_reasons=['stop', 'tool_calls']: LLM call #3 (the last LLM call) finished with 'length', "
        "allowed: ['stop', 'tool_calls']",
        "output_schema={'type': 'object'}: the trace has no final output to validate",
    ]
    assert all("trace:" not in f for f in failures)  # the caller prints the tree once
    assert "  #1 gpt-4o-mini in=1000 out=100 $0.000210 (genai-prices)" in failures[0]


def test_unpriceable_model_becomes_a_failure_message_not_a_crash() -> None:
    t = trace(llm=[LLMCall(span_id="1", request_model="my-ft", input_tokens=10, output_tokens=1)])
    (msg,) = check_budget(t, Budget(max_cost_usd=1.0))
    assert msg.startswith("max_cost_usd=1.0: cannot check: no price for model 'my-ft'")
    assert (
        check_budget(t, Budget(max_cost_usd=1.0), prices={"my-ft": {"input_per_mtok": 1, "output_per_mtok": 1}}) == []
    )


def test_run_cost() -> None:
    assert check_run_cost(0.5, None) is None
    assert check_run_cost(0.5, 1.0) is None
    assert check_run_cost(1.2345, 1.0) == "run cost $1.2345 exceeds --agenttrace-max-cost-usd=1 (over by $0.2345)"
