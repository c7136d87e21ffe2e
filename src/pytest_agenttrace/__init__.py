"""pytest-agenttrace: regression-test LLM agents from their OpenTelemetry traces.

The public API is exactly `__all__`. Names are imported lazily so that loading the pytest plugin stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

# name -> private module that defines it
_EXPORTS: dict[str, str] = {
    "AgentTraceError": "._errors",
    "TraceFormatError": "._errors",
    "TraceSelectionError": "._errors",
    "TraceStructureWarning": "._errors",
    "ConfigError": "._errors",
    "SpanRecord": "._records",
    "SpanEvent": "._records",
    "Trace": "._model",
    "SpanNode": "._model",
    "AgentRun": "._model",
    "LLMCall": "._model",
    "ToolCall": "._model",
    "Retrieval": "._model",
    "Message": "._model",
    "TextPart": "._model",
    "ToolCallPart": "._model",
    "ToolResultPart": "._model",
    "OtherPart": "._model",
    "StepQuery": "._model",
    "Totals": "._model",
    "load_trace": ".formats",
    "load_traces": ".formats",
    "read_records": ".formats",
    "tool": ".cassettes",
    "use_cassette": ".cassettes",
    "Cassette": ".cassettes",
    "ToolOverride": ".cassettes",
    "patch_tools": ".cassettes",
    "synthesize_http": ".cassettes",
    "CassetteMismatchError": ".cassettes",
    "CassetteError": ".cassettes",
    "ReplaySession": ".cassettes",
    "as_trace": "._live",
    "LiveTrace": "._live",
    "convert_trace": ".convert",
    "save_trace": ".formats",
    "ANY": ".assertions",
    "call": ".assertions",
    "Call": ".assertions",
    "matches_schema": ".assertions",
    "AgentAssertionError": ".assertions",
    "assert_tool_calls": ".assertions",
    "assert_tool_called": ".assertions",
    "assert_tool_not_called": ".assertions",
    "assert_max_llm_calls": ".assertions",
    "assert_max_tool_calls": ".assertions",
    "assert_no_repeated_tool_calls": ".assertions",
    "assert_no_delegation_cycles": ".assertions",
    "assert_max_agent_depth": ".assertions",
    "assert_cost_within": ".assertions",
    "assert_tokens_within": ".assertions",
    "assert_latency_within": ".assertions",
    "assert_no_tool_errors": ".assertions",
    "assert_no_llm_errors": ".assertions",
    "assert_finish_reasons": ".assertions",
    "assert_no_hallucinated_tool_results": ".assertions",
    "assert_output_schema": ".assertions",
    "call_cost": ".cost",
    "trace_cost": ".cost",
    "UnknownPriceError": ".cost",
    "UnknownPriceWarning": ".cost",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_agenttrace' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from ._errors import AgentTraceError, ConfigError, TraceFormatError, TraceSelectionError, TraceStructureWarning
    from ._live import LiveTrace, as_trace
    from ._model import (
        AgentRun,
        LLMCall,
        Message,
        OtherPart,
        Retrieval,
        SpanNode,
        StepQuery,
        TextPart,
        ToolCall,
        ToolCallPart,
        ToolResultPart,
        Totals,
        Trace,
    )
    from ._records import SpanEvent, SpanRecord
    from .assertions import (
        ANY,
        AgentAssertionError,
        Call,
        assert_cost_within,
        assert_finish_reasons,
        assert_latency_within,
        assert_max_agent_depth,
        assert_max_llm_calls,
        assert_max_tool_calls,
        assert_no_delegation_cycles,
        assert_no_hallucinated_tool_results,
        assert_no_llm_errors,
        assert_no_repeated_tool_calls,
        assert_no_tool_errors,
        assert_output_schema,
        assert_tokens_within,
        assert_tool_called,
        assert_tool_calls,
        assert_tool_not_called,
        call,
        matches_schema,
    )
    from .cassettes import (
        Cassette,
        CassetteError,
        CassetteMismatchError,
        ReplaySession,
        ToolOverride,
        patch_tools,
        synthesize_http,
        tool,
        use_cassette,
    )
    from .convert import convert_trace
    from .cost import UnknownPriceError, UnknownPriceWarning, call_cost, trace_cost
    from .formats import load_trace, load_traces, read_records, save_trace
