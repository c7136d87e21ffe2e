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
    from .formats import load_trace, load_traces
