"""Assertions over agent traces: tool selection, loops, cost and tokens, errors, output schemas.

Every assertion takes a `Trace` (or the live `agent_trace` fixture) and raises `AgentAssertionError` (an
`AssertionError`) whose message shows what was expected, what happened, and the trace. Matching rules are defined
in `_matchers`' docstring.
"""

from __future__ import annotations

from ._failure import AgentAssertionError
from ._health import (
    assert_finish_reasons,
    assert_no_hallucinated_tool_results,
    assert_no_llm_errors,
    assert_no_tool_errors,
)
from ._limits import (
    assert_cost_within,
    assert_latency_within,
    assert_max_agent_depth,
    assert_max_llm_calls,
    assert_max_tool_calls,
    assert_no_delegation_cycles,
    assert_no_repeated_tool_calls,
    assert_tokens_within,
)
from ._matchers import ANY, Call, call, matches_schema
from ._schema import assert_output_schema
from ._tools import assert_tool_called, assert_tool_calls, assert_tool_not_called

__all__ = [
    "ANY",
    "AgentAssertionError",
    "Call",
    "assert_cost_within",
    "assert_finish_reasons",
    "assert_latency_within",
    "assert_max_agent_depth",
    "assert_max_llm_calls",
    "assert_max_tool_calls",
    "assert_no_delegation_cycles",
    "assert_no_hallucinated_tool_results",
    "assert_no_llm_errors",
    "assert_no_repeated_tool_calls",
    "assert_no_tool_errors",
    "assert_output_schema",
    "assert_tokens_within",
    "assert_tool_called",
    "assert_tool_calls",
    "assert_tool_not_called",
    "call",
    "matches_schema",
]
