"""What each LLM call cost, in USD: a recorded cost, else the project's price overrides, else genai-prices.

Rules, in order, per call:
1. A cost recorded on the span (`LLMCall.recorded_cost_usd`) is used as is.
2. A call with no tokens recorded (all counts None or 0) costs 0; no price is looked up.
3. An override from `[tool.agenttrace.prices]` for the response model, else the request model (names compared
   case-insensitively): `{"my-ft-model": {"input_per_mtok": 1.0, "output_per_mtok": 2.0,
   "cache_read_per_mtok": 0.1, "cache_write_per_mtok": 1.25}}` (cache prices default to the input price).
4. genai-prices for the response model, else the request model, with the call's provider mapped to a genai-prices
   provider id (a provider genai-prices does not know, or that does not list the model, is retried without one),
   at the call's start time (prices change over time).
5. Otherwise the price is unknown: `UnknownPriceError` naming the model and the fix, or with `on_unknown="warn"`
   an `UnknownPriceWarning` and a cost of 0. Never a silent 0.

Token convention: `input_tokens` includes cached input (read and write), as in the GenAI semantic conventions and in
genai-prices' `Usage`; cache tokens are priced at their own rates, never counted twice.
"""

from __future__ import annotations

import functools
import operator
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from ._errors import AgentTraceError, ConfigError, TraceFormatError

if TYPE_CHECKING:
    from ._model import LLMCall, Trace
    from ._price_cache import PriceCache

OnUnknown = Literal["error", "warn"]
ON_UNKNOWN: tuple[str, ...] = ("error", "warn")
PRICE_KEYS: tuple[str, ...] = ("input_per_mtok", "output_per_mtok", "cache_read_per_mtok", "cache_write_per_mtok")
_MTOK = Decimal(1_000_000)
#: Prices change by day: a call's start time counts only to the day (`_price`, `usage_of`).
_DAY_NS = 86_400_000_000_000

#: Provider names seen on spans that genai-prices' own matching does not resolve to the right provider id.
PROVIDER_IDS: dict[str, str] = {
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "az.ai.openai": "azure",
    "az.ai.inference": "azure",
    "x_ai": "x-ai",
    "gcp.gen_ai": "google",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "vertex_ai": "google",
    "gemini": "google",
    "aws.bedrock": "aws",
    "bedrock": "aws",
    "mistral_ai": "mistral",
}


class UnknownPriceError(AgentTraceError):
    """No price is known for a model that has token usage; the message names the model and how to price it."""

    def __init__(self, message: str, *, model: str | None, provider: str | None) -> None:
        super().__init__(message)
        self.model = model
        self.provider = provider


class UnknownPriceWarning(UserWarning):
    """A model had no price and `unknown_price = "warn"` is set: its calls count as $0 (the message names it)."""


@dataclass(frozen=True, slots=True)
class PriceOverride:
    """USD per million tokens for one model (cache prices default to the input price)."""

    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cache_read_per_mtok: Decimal | None = None
    cache_write_per_mtok: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Validated price settings: per-model overrides (keys lowercased) and what to do about unknown models."""

    overrides: Mapping[str, PriceOverride]
    on_unknown: OnUnknown = "error"


@dataclass(frozen=True, slots=True)
class CallPrice:
    """The cost of one call and where it came from (`source`): recorded, override, genai-prices, no-usage, unknown."""

    cost_usd: Decimal
    source: Literal["recorded", "override", "genai-prices", "no-usage", "unknown"]
    model: str | None = None
    provider: str | None = None


def parse_prices(
    table: Mapping[str, Any] | None,
    *,
    unknown_price: str = "error",
    where: str = "[tool.agenttrace.prices]",
) -> PriceTable:
    """Validate a `[tool.agenttrace.prices]` table; a bad entry is a ConfigError naming the model, key and value."""
    if unknown_price not in ON_UNKNOWN:
        raise ConfigError(
            f"unknown_price = {unknown_price!r} is not valid; use one of {', '.join(map(repr, ON_UNKNOWN))}"
        )
    if table is None:
        return PriceTable({}, unknown_price)  # type: ignore[arg-type]
    if isinstance(table, PriceTable):
        return table
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table of model name -> prices, got {table!r}")
    overrides: dict[str, PriceOverride] = {}
    for model, entry in table.items():
        if not isinstance(entry, Mapping):
            raise ConfigError(
                f'{where}: "{model}" must be a table like'
                f" {{ input_per_mtok = 1.0, output_per_mtok = 2.0 }}, got {entry!r}"
            )
        unknown = sorted(set(entry) - set(PRICE_KEYS))
        if unknown:
            raise ConfigError(f'{where}: "{model}" has unknown key(s) {unknown}; valid keys: {", ".join(PRICE_KEYS)}')
        for required in ("input_per_mtok", "output_per_mtok"):
            if required not in entry:
                raise ConfigError(f'{where}: "{model}" needs {required} (USD per million tokens)')
        values = {k: _price_value(entry[k], where=f'{where}: "{model}".{k}') for k in entry}
        overrides[str(model).lower()] = PriceOverride(**values)
    return PriceTable(overrides, unknown_price)  # type: ignore[arg-type]


def _price_value(value: Any, *, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ConfigError(f"{where} = {value!r} must be a number (USD per million tokens)")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"{where} = {value!r} must be a number (USD per million tokens)") from None
    if not d.is_finite() or d < 0:
        raise ConfigError(f"{where} = {value!r} must be a finite, non-negative number")
    return d


def _table(prices: PriceTable | Mapping[str, Any] | None, on_unknown: str | None) -> PriceTable:
    table = parse_prices(prices) if not isinstance(prices, PriceTable) else prices
    if on_unknown is not None and on_unknown != table.on_unknown:
        if on_unknown not in ON_UNKNOWN:
            raise ValueError(f"on_unknown={on_unknown!r}; use one of {', '.join(map(repr, ON_UNKNOWN))}")
        table = PriceTable(table.overrides, on_unknown)  # type: ignore[arg-type]
    return table


def price_call(
    call: LLMCall, *, prices: PriceTable | Mapping[str, Any] | None = None, on_unknown: str | None = None
) -> CallPrice:
    """The cost of one LLM call with its source (see the module docstring for the rules)."""
    return _price(call, _table(prices, on_unknown), stacklevel=4)


def _price(call: LLMCall, table: PriceTable, *, stacklevel: int) -> CallPrice:
    """`price_call` with a validated table (`trace_cost` validates it once per trace, not once per call);
    `stacklevel` points an unknown-price warning at the caller's caller, as a warning from `price_call` always did."""
    if call.recorded_cost_usd is not None:
        return CallPrice(Decimal(str(call.recorded_cost_usd)), "recorded", call.model, call.provider)
    inp, out = call.input_tokens or 0, call.output_tokens or 0
    cr, cw = call.cache_read_tokens or 0, call.cache_write_tokens or 0
    if not (inp or out or cr or cw):
        return CallPrice(Decimal(0), "no-usage", call.model, call.provider)
    if cr + cw > inp:
        raise TraceFormatError(
            f"cache tokens ({cr} read + {cw} write) exceed input tokens ({inp}) on LLM call {call.name!r};"
            " input_tokens must include cached input (GenAI convention), so the usage cannot be priced",
            span=call.span_id,
        )
    response_model, request_model = call.response_model, call.request_model
    refs = [response_model] if response_model else []
    if request_model and request_model != response_model:
        refs.append(request_model)
    for ref in refs:
        override = table.overrides.get(ref.lower())
        if override is not None:
            return CallPrice(_override_cost(override, inp, out, cr, cw), "override", ref, call.provider)
    # Prices change by date, not by second: calls on the same day with the same model and usage cost the same, so
    # the lookup is memoized per day (a test suite prices thousands of identical calls).
    day = call.start_ns // _DAY_NS if call.start_ns > 0 else None
    found = _genai_price_cached(tuple(refs), call.provider, day, inp, out, cr, cw)
    if found is not None:
        return found
    message = _unknown_message(call, refs)
    if table.on_unknown == "warn":
        warnings.warn(UnknownPriceWarning(message + "; counted as $0"), stacklevel=stacklevel)
        return CallPrice(Decimal(0), "unknown", call.model, call.provider)
    raise UnknownPriceError(message, model=call.model, provider=call.provider)


def call_cost(
    call: LLMCall, *, prices: PriceTable | Mapping[str, Any] | None = None, on_unknown: str | None = None
) -> float:
    """USD cost of one LLM call: recorded cost, else override, else genai-prices (module docstring)."""
    return float(price_call(call, prices=prices, on_unknown=on_unknown).cost_usd)


def trace_cost(
    trace: Trace, *, prices: PriceTable | Mapping[str, Any] | None = None, on_unknown: str | None = None
) -> float:
    """USD cost of every LLM call of a trace (prices default to `trace.cost_table` when the session set one)."""
    table = _table(prices if prices is not None else _trace_table(trace), on_unknown)
    return float(sum((_price(c, table, stacklevel=3).cost_usd for c in trace.llm_calls), Decimal(0)))


#: The `LLMCall` fields `price_call` reads, in the order of a usage row (`usage_of`).
USAGE_FIELDS: tuple[str, ...] = (
    "span_id",
    "span_name",
    "provider",
    "request_model",
    "response_model",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "recorded_cost_usd",
    "start_ns",
)


#: The fields of a usage row that tell two usages apart (all but the span id and name, and the start time, whose
#: day is what counts).
USAGE_KEY_FIELDS: tuple[str, ...] = USAGE_FIELDS[2:-1]

_usage_fields = operator.attrgetter(*USAGE_FIELDS)


def usage_of(call: LLMCall) -> tuple[Any, ...]:
    """What a call's price depends on, as a row of plain values (`USAGE_FIELDS`; the start time cut to its day, the
    only part of it prices depend on). The plugin puts these rows on each test's report and prices them once, where
    the summary is shown, so pytest-xdist workers never load genai-prices' table for the summary."""
    row: tuple[Any, ...] = _usage_fields(call)
    start = row[-1]
    return (*row[:-1], start - start % _DAY_NS if start > 0 else 0)


def price_usage(
    row: Sequence[Any], *, prices: PriceTable | Mapping[str, Any] | None = None, on_unknown: str | None = None
) -> CallPrice:
    """`price_call` of the call a `usage_of` row describes (the same rules: it is priced as that call)."""
    from ._model import LLMCall

    if len(row) != len(USAGE_FIELDS):
        raise ValueError(f"a usage row has {len(USAGE_FIELDS)} fields ({', '.join(USAGE_FIELDS)}), got {row!r}")
    return price_call(LLMCall(**dict(zip(USAGE_FIELDS, row, strict=True))), prices=prices, on_unknown=on_unknown)


def _trace_table(trace: Trace) -> PriceTable | Mapping[str, Any] | None:
    table = getattr(trace, "cost_table", None)
    return table if isinstance(table, (PriceTable, Mapping)) else None


def _override_cost(p: PriceOverride, inp: int, out: int, cr: int, cw: int) -> Decimal:
    read = p.cache_read_per_mtok if p.cache_read_per_mtok is not None else p.input_per_mtok
    write = p.cache_write_per_mtok if p.cache_write_per_mtok is not None else p.input_per_mtok
    total = (inp - cr - cw) * p.input_per_mtok + cr * read + cw * write + out * p.output_per_mtok
    return total / _MTOK


def genai_provider_id(provider: str | None) -> str | None:
    """The genai-prices provider id for a provider name from a span (`gcp.vertex_ai` -> `google`); None if none."""
    if not provider:
        return None
    p = provider.strip().lower()
    return PROVIDER_IDS.get(p, p)


#: The persistent memo of genai-prices answers (`_price_cache`), installed by the plugin for its run; None: none.
_memo: PriceCache | None = None


def use_price_cache(cache: PriceCache | None) -> PriceCache | None:
    """Install the persistent memo genai-prices lookups go through (None removes it); returns the previous one.
    Answers already memoized in this process are kept: the memo only spares genai-prices' import."""
    global _memo
    previous, _memo = _memo, cache
    return previous


@functools.lru_cache(maxsize=4096)
def _genai_price_cached(
    refs: tuple[str, ...], provider: str | None, day: int | None, inp: int, out: int, cr: int, cw: int
) -> CallPrice | None:
    """The genai-prices price of a usage, memoized on everything it depends on (a repeated call is a dict hit),
    through the persistent memo when one is installed and no custom genai-prices snapshot is active."""
    from ._price_cache import snapshot_is_custom

    memo = _memo
    if memo is None or snapshot_is_custom():
        return _genai_price(refs, provider, day, inp, out, cr, cw)[0]
    from ._price_cache import ANY_DAY, MISSING, make_key

    tokens = (inp, out, cr, cw)
    on_day = day if day is not None else time.time_ns() // _DAY_NS  # genai-prices prices "now" by today's table
    for key in (make_key(refs, provider, ANY_DAY, tokens), make_key(refs, provider, on_day, tokens)):
        entry = memo.get(key)
        if entry is None:
            return None
        if entry is not MISSING:
            try:
                return CallPrice(Decimal(entry[0] or ""), "genai-prices", entry[1], entry[2])
            except (InvalidOperation, TypeError, ValueError):
                break  # a damaged entry: ask genai-prices (and store its answer over it)
    found, any_day = _genai_price(refs, provider, day, inp, out, cr, cw)
    entry = None if found is None else [str(found.cost_usd), found.model, found.provider]
    memo.put(make_key(refs, provider, ANY_DAY if any_day else on_day, tokens), entry)
    return found


def _genai_price(
    refs: tuple[str, ...], provider: str | None, day: int | None, inp: int, out: int, cr: int, cw: int
) -> tuple[CallPrice | None, bool]:
    """genai-prices' price of a usage (None: no model matched), and whether that answer holds on every day (the
    matched model's price has no date conditions, or no model matched: matching does not depend on the date)."""
    from genai_prices import Usage, calc_price

    provider_id = genai_provider_id(provider)
    usage = Usage(input_tokens=inp, output_tokens=out, cache_read_tokens=cr, cache_write_tokens=cw)
    when = datetime.fromtimestamp(day * 86_400, tz=UTC) if day is not None else None
    for ref in refs:
        for pid in dict.fromkeys((provider_id, None)):
            try:
                result = calc_price(usage, ref, provider_id=pid, genai_request_timestamp=when)
            except LookupError:
                continue
            price = CallPrice(result.total_price, "genai-prices", result.model.id, result.provider.id)
            return price, not isinstance(result.model.prices, list)
    return None, True


def _unknown_message(call: LLMCall, refs: list[str]) -> str:
    from genai_prices import __version__ as genai_version

    where = f"LLM call span {call.span_id}" + (f" (provider {call.provider!r})" if call.provider else "")
    if not refs:
        return (
            f"{where} has token usage but no model name, so it cannot be priced; record gen_ai.request.model in the"
            ' instrumentation, or set unknown_price = "warn" under [tool.agenttrace] to count it as $0'
        )
    model = refs[0]
    tried = " or ".join(map(repr, refs))
    return (
        f"no price for model {tried}, {where}: genai-prices {genai_version} does not know it. "
        f'Add it to pyproject.toml: [tool.agenttrace.prices] "{model}" = '
        "{ input_per_mtok = ..., output_per_mtok = ... } (USD per million tokens), "
        'or set unknown_price = "warn" under [tool.agenttrace] to count it as $0 with a warning'
    )
