"""Declarative per-test budgets: the `@pytest.mark.agenttrace(...)` arguments, validated, merged and checked.

Pure: the plugin parses the marker (and the `[tool.agenttrace]` defaults) with `parse_budget`, checks the test's
trace after the body with `check_budget`, and the run total with `check_run_cost`; a `ConfigError` becomes a
`pytest.UsageError`. Each check reuses an assertion function and keeps its message (with the numbers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from ._errors import AgentTraceError, ConfigError

#: Limits (numbers; a trace over one fails the test).
_FLOAT_KEYS = ("max_cost_usd", "max_duration_s")
_INT_KEYS = ("max_tokens", "max_input_tokens", "max_output_tokens", "max_llm_calls", "max_tool_calls", "max_repeats")
#: Name lists.
_NAMES_KEYS = ("tools", "forbid_tools", "finish_reasons")

#: Every valid marker argument (and budget key of `[tool.agenttrace]`), in the order they are checked.
BUDGET_KEYS: tuple[str, ...] = (
    "max_cost_usd",
    "max_tokens",
    "max_input_tokens",
    "max_output_tokens",
    "max_llm_calls",
    "max_tool_calls",
    "max_repeats",
    "max_duration_s",
    "tools",
    "forbid_tools",
    "no_tool_errors",
    "finish_reasons",
    "output_schema",
)

#: One line per key, for `--markers`, docs and the unknown-argument error.
BUDGET_HELP: dict[str, str] = {
    "max_cost_usd": "maximum cost of the test's LLM calls in USD (genai-prices / [tool.agenttrace.prices])",
    "max_tokens": "maximum input + output tokens over all LLM calls",
    "max_input_tokens": "maximum input tokens (cached input included)",
    "max_output_tokens": "maximum output tokens",
    "max_llm_calls": "maximum number of LLM calls",
    "max_tool_calls": "maximum number of tool calls",
    "max_repeats": "maximum calls of one tool with the same arguments (1 = no repeats)",
    "max_duration_s": "maximum wall time of the trace in seconds",
    "tools": "the only tools the agent may call (list of names)",
    "forbid_tools": "tools the agent must not call (list of names)",
    "no_tool_errors": "True: fail when a tool call failed",
    "finish_reasons": 'allowed finish reasons of every LLM call, e.g. ["stop", "tool_calls"]',
    "output_schema": "JSON schema the final output must match",
}


@dataclass(frozen=True, slots=True)
class Budget:
    """A validated budget; None means "not set" (no check)."""

    max_cost_usd: float | None = None
    max_tokens: int | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    max_llm_calls: int | None = None
    max_tool_calls: int | None = None
    max_repeats: int | None = None
    max_duration_s: float | None = None
    tools: tuple[str, ...] | None = None
    forbid_tools: tuple[str, ...] | None = None
    no_tool_errors: bool | None = None
    finish_reasons: tuple[str, ...] | None = None
    output_schema: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The keys that are set, with their values (JSON-safe: lists for name tuples)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v is not None:
                out[f.name] = list(v) if isinstance(v, tuple) else v
        return out

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))


def _validate(key: str, value: Any, where: str) -> Any:
    if value is None:
        return None
    bad = f"{where}: {key}={value!r}"
    if key in _FLOAT_KEYS:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ConfigError(f"{bad} must be a non-negative number")
        return float(value)
    if key in _INT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{bad} must be a non-negative integer")
        if key == "max_repeats" and value < 1:
            raise ConfigError(f"{bad} must be at least 1 (1 = every call with the same arguments happens once)")
        return value
    if key in _NAMES_KEYS:
        if isinstance(value, str):
            raise ConfigError(f"{bad} must be a list of names, e.g. {key}=[{value!r}]")
        if not isinstance(value, (list, tuple, set, frozenset)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{bad} must be a list of names (strings)")
        return tuple(sorted(value)) if isinstance(value, (set, frozenset)) else tuple(value)
    if key == "no_tool_errors":
        if not isinstance(value, bool):
            raise ConfigError(f"{bad} must be True or False")
        return value
    if key == "output_schema":
        from .assertions._matchers import make_validator

        make_validator(value, where=f"{where}: output_schema")
        return value
    raise AssertionError(key)  # pragma: no cover - BUDGET_KEYS and the branches above are kept in step


def _unknown_keys_error(unknown: list[str], where: str) -> ConfigError:
    import difflib

    hints = []
    for key in unknown:
        close = difflib.get_close_matches(key, BUDGET_KEYS, n=1)
        hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    valid = ", ".join((*BUDGET_KEYS, *CASSETTE_KEYS, *OTHER_KEYS))
    return ConfigError(f"{where}: unknown argument(s) {', '.join(hints)}; valid arguments: {valid}")


#: Marker arguments that belong to cassettes (`tools` too when it maps names to dotted paths).
CASSETTE_KEYS: tuple[str, ...] = ("cassette", "record_mode", "tool_overrides")
#: Marker arguments of other plugin features: `baseline=True` (or a list of volatile patterns).
OTHER_KEYS: tuple[str, ...] = ("baseline",)


def split_marker_kwargs(kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(budget arguments, cassette arguments) of a merged `agenttrace(...)` marker."""
    budget: dict[str, Any] = {}
    cassette: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in CASSETTE_KEYS or key in OTHER_KEYS or (key == "tools" and isinstance(value, Mapping)):
            cassette[key] = value
        else:
            budget[key] = value
    return budget, cassette


def parse_budget(
    kwargs: Mapping[str, Any],
    *,
    defaults: Budget | Mapping[str, Any] | None = None,
    where: str = "@pytest.mark.agenttrace(...)",
) -> Budget:
    """Validate marker arguments over defaults (a key given as None unsets its default).

    An unknown key is a ConfigError listing the valid ones; a value of the wrong type names the key and value.
    """
    unknown = sorted(set(kwargs) - set(BUDGET_KEYS))
    if unknown:
        raise _unknown_keys_error(unknown, where)
    if defaults is None:
        base: dict[str, Any] = {}
    elif isinstance(defaults, Budget):
        base = {f.name: getattr(defaults, f.name) for f in fields(defaults)}
    else:
        base = {f.name: getattr(parse_budget(defaults, where="defaults"), f.name) for f in fields(Budget)}
    values = dict(base)
    for key, value in kwargs.items():
        values[key] = _validate(key, value, where)
    return Budget(**values)


def budget_defaults(table: Mapping[str, Any] | None, *, where: str = "[tool.agenttrace] in pyproject.toml") -> Budget:
    """The budget keys of a `[tool.agenttrace]` table (other keys are the plugin's, not checked here)."""
    if not table:
        return Budget()
    return parse_budget({k: v for k, v in table.items() if k in BUDGET_KEYS}, where=where)


def check_budget(trace: Any, budget: Budget, *, prices: Any = None) -> list[str]:
    """Every budget the trace exceeds, as messages with the numbers (empty when within budget).

    Each message starts with the key and limit (`max_cost_usd=0.02: cost $0.0312 exceeds $0.02 (3 LLM calls)`)
    followed by detail lines; the trace tree is left to the caller (print it once).
    """
    from . import assertions as a
    from .assertions import _tools
    from .assertions._failure import as_trace

    checks: list[tuple[str, Any]] = []
    b = budget
    if b.max_cost_usd is not None:
        checks.append(("max_cost_usd", lambda t: a.assert_cost_within(t, b.max_cost_usd, prices=prices)))
    if b.max_tokens is not None:
        checks.append(("max_tokens", lambda t: a.assert_tokens_within(t, total=b.max_tokens)))
    if b.max_input_tokens is not None:
        checks.append(("max_input_tokens", lambda t: a.assert_tokens_within(t, input=b.max_input_tokens)))
    if b.max_output_tokens is not None:
        checks.append(("max_output_tokens", lambda t: a.assert_tokens_within(t, output=b.max_output_tokens)))
    if b.max_llm_calls is not None:
        checks.append(("max_llm_calls", lambda t: a.assert_max_llm_calls(t, b.max_llm_calls)))
    if b.max_tool_calls is not None:
        checks.append(("max_tool_calls", lambda t: a.assert_max_tool_calls(t, b.max_tool_calls)))
    if b.max_repeats is not None:
        checks.append(("max_repeats", lambda t: a.assert_no_repeated_tool_calls(t, max_repeats=b.max_repeats)))
    if b.max_duration_s is not None:
        checks.append(("max_duration_s", lambda t: a.assert_latency_within(t, b.max_duration_s)))
    if b.tools is not None:
        checks.append(("tools", lambda t: _tools.check_allowed_tools(t, b.tools)))
    if b.forbid_tools is not None:
        checks.append(("forbid_tools", lambda t: _tools.check_forbidden_tools(t, b.forbid_tools)))
    if b.no_tool_errors:
        checks.append(("no_tool_errors", a.assert_no_tool_errors))
    if b.finish_reasons is not None:
        checks.append(("finish_reasons", lambda t: a.assert_finish_reasons(t, b.finish_reasons)))
    if b.output_schema is not None:
        checks.append(("output_schema", lambda t: a.assert_output_schema(t, b.output_schema)))

    t = as_trace(trace)
    failures: list[str] = []
    for key, check in checks:
        head = f"{key}={_show(getattr(b, key))}"
        try:
            check(t)
        except a.AgentAssertionError as exc:
            failures.append(f"{head}: {exc.brief()}")
        except AgentTraceError as exc:  # an unpriceable model, inconsistent usage: the test cannot pass as is
            failures.append(f"{head}: cannot check: {exc}")
    return failures


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return repr(list(value))
    if isinstance(value, Mapping):
        text = repr(dict(value))
        return text if len(text) <= 60 else text[:59] + "…"
    return repr(value)


def check_run_cost(total_usd: float, limit: float | None) -> str | None:
    """The failure message when the whole run's LLM cost exceeds `--agenttrace-max-cost-usd`, else None."""
    if limit is None or total_usd <= limit:
        return None
    return f"run cost ${total_usd:.4f} exceeds --agenttrace-max-cost-usd={limit:g} (over by ${total_usd - limit:.4f})"
