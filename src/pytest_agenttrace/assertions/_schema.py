"""Output schemas: the final output, or a tool's arguments or results, validated with jsonschema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .._model import Trace, parse_json_maybe
from ._failure import AgentAssertionError, as_trace, call_text, plural
from ._matchers import actual_arguments, make_validator, schema_errors

_PARTS = ("arguments", "result")


def _data(value: Any) -> Any:
    """Plain JSON-like data from a value: JSON strings parsed, pydantic models and dataclasses dumped."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    from dataclasses import asdict, is_dataclass

    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return parse_json_maybe(value)


_PLAIN = (dict, list, tuple, str, bytes, int, float, bool, type(None))


def _trace_or_none(obj: Any) -> Trace | None:
    if isinstance(obj, Trace):
        return obj
    if isinstance(obj, _PLAIN):
        return None
    try:
        return as_trace(obj)
    except TypeError:
        return None


def assert_output_schema(
    trace_or_value: Any,
    schema: Mapping[str, Any] | bool,
    *,
    tool: str | None = None,
    part: Literal["arguments", "result"] = "result",
) -> None:
    """Assert a value validates against a JSON schema; each violation is listed with its JSON path.

    With a trace: its final output, or with `tool=` every call of that tool's `part` ("arguments" or "result").
    Anything else is validated as is. JSON strings are parsed first; pydantic models are dumped.
    """
    validator = make_validator(schema, where="assert_output_schema")
    trace = _trace_or_none(trace_or_value)
    if tool is not None:
        if trace is None:
            raise TypeError(f"tool={tool!r} needs a trace, got {type(trace_or_value).__name__}")
        if part not in _PARTS:
            raise ValueError(f"part={part!r}; use 'arguments' or 'result'")
        calls = [(j, c) for j, c in enumerate(trace.tool_calls) if c.name == tool]
        if not calls:
            raise AgentAssertionError(
                f"tool {tool!r} was never called, so its {part} cannot match the schema", trace=trace
            )
        details: list[str] = []
        failed = 0
        for j, c in calls:
            value = actual_arguments(c) if part == "arguments" else _data(c.result)
            errors = schema_errors(validator, value)
            if errors:
                failed += 1
                details.append(f"#{j + 1} {call_text(c, width=100)}:")
                details.extend(f"  {e}" for e in errors)
        if failed:
            raise AgentAssertionError(
                f"{failed} of {plural(len(calls), 'call')} to {tool!r} {'has' if failed == 1 else 'have'} {part}"
                " that do not match the schema",
                details=details,
                trace=trace,
            )
        return
    if trace is not None:
        value = trace.final_output
        if value is None:
            raise AgentAssertionError("the trace has no final output to validate", trace=trace)
        what = "the final output"
    else:
        value = trace_or_value
        what = "the value"
    errors = schema_errors(validator, _data(value))
    if errors:
        raise AgentAssertionError(
            f"{what} does not match the schema:",
            details=[f"  {e}" for e in errors],
            trace=trace,
        )
