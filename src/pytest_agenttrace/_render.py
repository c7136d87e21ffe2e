"""Human and JSON views of a `Trace`: the readable tree (repr, `agenttrace show`) and the `show --json` schema."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ._model import AgentRun, LLMCall, Retrieval, ToolCall

if TYPE_CHECKING:
    from ._model import Step, Trace

MAX_LINES = 200


def short(value: Any, limit: int = 80) -> str:
    """A one-line, bounded rendering of a value (JSON for data, repr-free for strings)."""
    if value is None:
        return "None"
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=False)
        except (TypeError, ValueError):
            text = repr(value)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


def format_args(args: Any, limit: int = 80) -> str:
    if isinstance(args, dict):
        inner = ", ".join(
            f"{k}={short(v, limit)!s}" if not isinstance(v, str) else f"{k}={v!r}" for k, v in args.items()
        )
    elif args is None:
        inner = ""
    else:
        inner = short(args, limit)
    return inner if len(inner) <= limit else inner[: limit - 1] + "…"


def step_line(step: Step, *, max_value: int = 80) -> str:
    """One line describing a step (used in trees, summaries and assertion messages)."""
    if isinstance(step, AgentRun):
        line = f"agent {step.name}"
        if step.error:
            line += f"  ERROR {short(step.error, max_value)}"
        return line
    if isinstance(step, LLMCall):
        model = step.response_model or step.request_model or "?"
        bits = [f"llm {step.operation or 'chat'} {model}"]
        if step.provider:
            bits.append(f"({step.provider})")
        bits.append(f"in={step.input_tokens if step.input_tokens is not None else '?'}")
        bits.append(f"out={step.output_tokens if step.output_tokens is not None else '?'}")
        if step.cache_read_tokens:
            bits.append(f"cache_read={step.cache_read_tokens}")
        if step.finish_reasons:
            bits.append("finish=" + ",".join(step.finish_reasons))
        if step.error:
            bits.append(f"ERROR {short(step.error, max_value)}")
        return " ".join(bits)
    if isinstance(step, ToolCall):
        line = f"tool {step.name}({format_args(step.arguments, max_value)})"
        if step.error:
            line += f" -> ERROR {short(step.error, max_value)}"
        elif step.result is not None:
            line += f" -> {short(step.result, max_value)}"
        if step.source == "messages":
            line += "  [from messages]"
        return line
    if isinstance(step, Retrieval):
        return f"retrieval {step.name} query={short(step.query, max_value)} docs={len(step.documents)}"
    return repr(step)


def _indent(step: Step) -> int:
    if isinstance(step, AgentRun):
        return step.depth
    return step.depth + (1 if getattr(step, "agent", None) else 0)


def render_tree(trace: Trace, *, max_value: int = 80, max_lines: int = MAX_LINES) -> str:
    """The trajectory as an indented tree with totals; bounded to `max_lines` step lines."""
    n_traces = len(trace.trace_ids)
    head = f"Trace: {len(trace.records)} spans, {n_traces} trace id{'s' if n_traces != 1 else ''}"
    if trace.source:
        head += f" ({trace.source})"
    lines = [head]
    steps = trace.steps
    for step in steps[:max_lines]:
        lines.append("  " + "   " * _indent(step) + "- " + step_line(step, max_value=max_value))
    if len(steps) > max_lines:
        lines.append(f"  ... {len(steps) - max_lines} more steps")
    if not steps:
        lines.append("  (no agent, LLM or tool steps recognised)")
    t = trace.totals
    lines.append(
        f"totals: {t.llm_calls} LLM calls, {t.tool_calls} tool calls, {t.agents} agents, "
        f"{t.input_tokens} input / {t.output_tokens} output tokens, {t.errors} errors"
    )
    if trace.final_output is not None:
        lines.append(f"final output: {short(trace.final_output, max_value)}")
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return json.loads(json.dumps(value, default=str))


def trace_to_json(trace: Trace) -> dict[str, Any]:
    """The normalized trace as JSON-safe data: the documented schema of `agenttrace show --json`."""
    t = trace.totals
    return {
        "trace_ids": list(trace.trace_ids),
        "spans": len(trace.records),
        "agents": [
            {
                "name": a.name,
                "span_id": a.span_id,
                "agent_id": a.agent_id,
                "parent": a.parent_agent,
                "depth": a.depth,
                "error": a.error,
            }
            for a in trace.agents
        ],
        "llm_calls": [
            {
                "span_id": c.span_id,
                "provider": c.provider,
                "operation": c.operation,
                "request_model": c.request_model,
                "response_model": c.response_model,
                "input_tokens": c.input_tokens,
                "output_tokens": c.output_tokens,
                "cache_read_tokens": c.cache_read_tokens,
                "cache_write_tokens": c.cache_write_tokens,
                "finish_reasons": list(c.finish_reasons),
                "temperature": c.temperature,
                "agent": c.agent,
                "error": c.error,
                "recorded_cost_usd": c.recorded_cost_usd,
            }
            for c in trace.llm_calls
        ],
        "tool_calls": [
            {
                "name": tc.name,
                "call_id": tc.call_id,
                "arguments": _jsonable(tc.arguments),
                "result": _jsonable(tc.result),
                "error": tc.error,
                "status": tc.status,
                "agent": tc.agent,
                "span_id": tc.span_id,
                "source": tc.source,
                "duration_s": tc.duration_s,
            }
            for tc in trace.tool_calls
        ],
        "retrievals": [
            {"name": r.name, "query": _jsonable(r.query), "documents": len(r.documents), "agent": r.agent}
            for r in trace.retrievals
        ],
        "final_output": _jsonable(trace.final_output),
        "totals": t.to_dict(),
        "warnings": list(trace.warnings),
    }
