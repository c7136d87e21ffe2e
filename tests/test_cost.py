"""Cost of LLM calls: genai-prices' own numbers, overrides, recorded costs, unknown models."""

from __future__ import annotations

import json
import re
import warnings
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from genai_prices import Usage, calc_price

from pytest_agenttrace import ConfigError, LLMCall, Trace, TraceFormatError
from pytest_agenttrace.cost import (
    UnknownPriceError,
    UnknownPriceWarning,
    call_cost,
    genai_provider_id,
    parse_prices,
    price_call,
    trace_cost,
)

WHEN = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
WHEN_NS = int(WHEN.timestamp()) * 1_000_000_000


def llm(model: str | None, provider: str | None = None, *, response_model: str | None = None, **usage) -> LLMCall:
    return LLMCall(
        span_id="ab" * 8,
        provider=provider,
        request_model=model,
        response_model=response_model,
        start_ns=WHEN_NS,
        **usage,
    )


@pytest.mark.parametrize(
    ("provider", "model", "provider_id"),
    [
        ("openai", "gpt-4o-mini-2024-07-18", "openai"),
        ("openai", "gpt-4o-2024-08-06", "openai"),
        ("anthropic", "claude-sonnet-4-5-20250929", "anthropic"),
        ("anthropic", "claude-3-5-haiku-20241022", "anthropic"),
        ("gcp.gemini", "gemini-2.5-flash", "google"),
        ("gcp.vertex_ai", "gemini-2.0-flash", "google"),
        (None, "gpt-4.1-mini", None),
    ],
)
def test_cost_equals_genai_prices_own_calculation(provider: str | None, model: str, provider_id: str | None) -> None:
    usage = {"input_tokens": 12_000, "output_tokens": 800, "cache_read_tokens": 4_000, "cache_write_tokens": 1_000}
    if provider_id == "openai" or provider_id is None:
        usage["cache_write_tokens"] = 0
    c = llm(model, provider, **usage)
    expected = calc_price(Usage(**usage), model, provider_id=provider_id, genai_request_timestamp=WHEN).total_price
    assert expected > 0
    assert call_cost(c) == float(expected)


def test_response_model_first_then_request_model() -> None:
    usage = {"input_tokens": 1000, "output_tokens": 100}
    both = llm("gpt-4o", "openai", response_model="gpt-4o-mini-2024-07-18", **usage)
    mini = calc_price(Usage(**usage), "gpt-4o-mini", provider_id="openai", genai_request_timestamp=WHEN).total_price
    assert call_cost(both) == float(mini)
    unknown_response = llm("gpt-4o-mini", "openai", response_model="my-proxy-alias-v3", **usage)
    assert call_cost(unknown_response) == float(mini)


def test_cache_tokens_are_priced_as_cache_not_added_twice() -> None:
    plain = call_cost(llm("claude-sonnet-4-5", "anthropic", input_tokens=10_000, output_tokens=0))
    cached = call_cost(
        llm("claude-sonnet-4-5", "anthropic", input_tokens=10_000, output_tokens=0, cache_read_tokens=8000)
    )
    assert cached < plain  # cheaper: the same 10k input, 8k of it read from cache at 0.1x


def test_override_wins_over_genai_prices_and_matches_by_name_case_insensitively() -> None:
    prices = {"GPT-4o-mini": {"input_per_mtok": 1, "output_per_mtok": 2, "cache_read_per_mtok": 0.5}}
    c = llm("gpt-4o-mini", "openai", input_tokens=3_000_000, output_tokens=1_000_000, cache_read_tokens=1_000_000)
    # 2M uncached x $1 + 1M cached x $0.5 + 1M out x $2
    assert call_cost(c, prices=prices) == 4.5
    assert price_call(c, prices=prices).source == "override"


def test_override_cache_prices_default_to_input_price() -> None:
    prices = {"my-ft": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}
    c = llm("my-ft", None, input_tokens=1_000_000, output_tokens=0, cache_read_tokens=500_000, cache_write_tokens=1)
    assert call_cost(c, prices=prices) == 1.0


def test_recorded_cost_is_used_as_is() -> None:
    c = llm("gpt-99-unknown", "openai", input_tokens=5, output_tokens=5, recorded_cost_usd=0.0123)
    assert call_cost(c) == 0.0123
    assert price_call(c).source == "recorded"


def test_no_tokens_costs_nothing_and_looks_nothing_up() -> None:
    assert call_cost(llm("gpt-99-unknown", "nope", input_tokens=None, output_tokens=0)) == 0.0
    assert price_call(llm(None)).source == "no-usage"


def test_unknown_model_is_an_error_naming_the_model_and_the_fix() -> None:
    with pytest.raises(UnknownPriceError) as info:
        call_cost(llm("my-private-model", "openai", input_tokens=10, output_tokens=10))
    text = str(info.value)
    assert "no price for model 'my-private-model'" in text and "(provider 'openai')" in text
    assert '[tool.agenttrace.prices] "my-private-model" = { input_per_mtok = ..., output_per_mtok = ... }' in text
    assert 'unknown_price = "warn"' in text
    assert info.value.model == "my-private-model"


def test_no_model_name_at_all() -> None:
    with pytest.raises(UnknownPriceError, match="no model name"):
        call_cost(llm(None, "openai", input_tokens=10))


def test_warn_mode_warns_and_counts_zero() -> None:
    c = llm("my-private-model", None, input_tokens=10, output_tokens=10)
    with pytest.warns(UnknownPriceWarning, match="'my-private-model'.*counted as \\$0"):
        assert call_cost(c, on_unknown="warn") == 0.0
    with pytest.warns(UnknownPriceWarning):
        assert call_cost(c, prices=parse_prices(None, unknown_price="warn")) == 0.0


def test_inconsistent_cache_usage_is_a_format_error() -> None:
    with pytest.raises(TraceFormatError, match=r"cache tokens \(200 read \+ 0 write\) exceed input tokens \(100\)"):
        call_cost(llm("gpt-4o-mini", "openai", input_tokens=100, cache_read_tokens=200))


def test_trace_cost_sums_calls_and_uses_the_trace_cost_table() -> None:
    calls = [
        llm("gpt-4o-mini", "openai", input_tokens=1000, output_tokens=100),
        llm("my-ft", None, input_tokens=1_000_000, output_tokens=0),
    ]
    t = Trace(records=(), roots=(), nodes={}, llm_calls=calls)
    table = {"my-ft": {"input_per_mtok": 2.0, "output_per_mtok": 2.0}}
    mini = calc_price(Usage(input_tokens=1000, output_tokens=100), "gpt-4o-mini", genai_request_timestamp=WHEN)
    assert trace_cost(t, prices=table) == float(mini.total_price + Decimal(2))
    with pytest.raises(UnknownPriceError):
        trace_cost(t)
    t.cost_table = parse_prices(table)
    assert trace_cost(t) == float(mini.total_price + Decimal(2))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"m": 1.0}, "must be a table like { input_per_mtok = 1.0"),
        ({"m": {"input_per_mtok": 1.0}}, "needs output_per_mtok"),
        ({"m": {"input_per_mtok": 1, "output_per_mtok": 1, "input": 2}}, "unknown key(s) ['input']; valid keys"),
        ({"m": {"input_per_mtok": "cheap", "output_per_mtok": 1}}, "input_per_mtok = 'cheap' must be a number"),
        ({"m": {"input_per_mtok": -1, "output_per_mtok": 1}}, "must be a finite, non-negative number"),
        ({"m": {"input_per_mtok": True, "output_per_mtok": 1}}, "must be a number"),
    ],
)
def test_bad_price_tables_are_config_errors(table: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_prices(table)
    assert message in str(info.value) and "[tool.agenttrace.prices]" in str(info.value)


def test_unknown_price_setting_is_validated() -> None:
    with pytest.raises(ConfigError, match="unknown_price = 'ignore' is not valid; use one of 'error', 'warn'"):
        parse_prices(None, unknown_price="ignore")


def test_provider_mapping() -> None:
    assert genai_provider_id("gcp.vertex_ai") == "google"
    assert genai_provider_id("aws.bedrock") == "aws"
    assert genai_provider_id("azure.ai.openai") == "azure"
    assert genai_provider_id("OpenAI") == "openai"
    assert genai_provider_id(None) is None


def test_unknown_provider_falls_back_to_no_provider() -> None:
    usage = {"input_tokens": 1000, "output_tokens": 100}
    expected = calc_price(Usage(**usage), "gpt-4o-mini", genai_request_timestamp=WHEN).total_price
    assert call_cost(llm("gpt-4o-mini", "my-gateway", **usage)) == float(expected)


def test_pricing_uses_no_network_and_warns_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: object) -> None:
        raise AssertionError("genai-prices tried to connect")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert call_cost(llm("claude-3-5-haiku-latest", "anthropic", input_tokens=10, output_tokens=1)) > 0


def _same_price(call: LLMCall, **kwargs: object) -> None:
    """A usage row prices exactly as its call: same cost, source, model and provider, or the same error."""
    from pytest_agenttrace.cost import price_usage, usage_of

    row = usage_of(call)
    assert tuple(json.loads(json.dumps(row))) == row  # plain values: it travels on xdist reports
    try:
        want = price_call(call, **kwargs)  # type: ignore[arg-type]
    except Exception as exc:
        with pytest.raises(type(exc), match=re.escape(str(exc))):
            price_usage(row, **kwargs)  # type: ignore[arg-type]
        return
    assert price_usage(row, **kwargs) == want  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "call",
    [
        llm("gpt-4o", "openai", input_tokens=1_000, output_tokens=200),
        llm("gpt-4o-mini", "openai", response_model="gpt-4o-mini-2024-07-18", input_tokens=900, output_tokens=5),
        llm("claude-sonnet-4-5", "anthropic", input_tokens=5_000, output_tokens=10, cache_read_tokens=4_000),
        llm("gpt-4o", input_tokens=10, recorded_cost_usd=0.5),
        llm("gpt-4o", "openai"),
        llm("my-ft-model", "openai", input_tokens=10, output_tokens=1),
        llm(None, "openai", input_tokens=10, output_tokens=1),
        llm("gpt-4o", "openai", input_tokens=10, cache_read_tokens=20),
    ],
)
def test_a_usage_row_prices_as_its_call(call: LLMCall) -> None:
    _same_price(call)
    _same_price(call, prices={"my-ft-model": {"input_per_mtok": 1, "output_per_mtok": 2}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_price(call, on_unknown="warn")


def test_a_usage_row_keeps_only_the_day_of_the_call() -> None:
    from dataclasses import replace

    from pytest_agenttrace.cost import usage_of

    call = llm("gpt-4o", "openai", input_tokens=10, output_tokens=1)
    later = replace(call, start_ns=call.start_ns + 3_600_000_000_000)  # an hour later, the same day
    assert usage_of(call) == usage_of(later)
    assert usage_of(replace(call, start_ns=call.start_ns + 86_400_000_000_000)) != usage_of(call)
