"""Error assertions: failing tools and model calls, bad finish reasons, and tool results no tool produced."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._model import ToolCall, Trace
from ._failure import AgentAssertionError, as_trace, call_text, plural, step_text

_LIST_LIMIT = 20

#: What a non-"stop" finish reason usually means, for the failure message.
FINISH_REASON_HINTS = {
    "length": "the output was truncated at the token limit (max_tokens)",
    "content_filter": "the provider's content filter stopped the output",
    "tool_calls": "the model asked for tool calls",
    "stop": "a normal end",
}


def _short(text: Any, width: int = 160) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= width else s[: width - 1] + "…"


def _tool_failed(c: ToolCall) -> bool:
    return bool(c.error) or c.status == "error"


def assert_no_tool_errors(trace: Any) -> None:
    """Assert no tool call failed (an error recorded on the call, or an ERROR status on its span)."""
    t = as_trace(trace)
    bad = [(j, c) for j, c in enumerate(t.tool_calls) if _tool_failed(c)]
    if not bad:
        return
    details = []
    for j, c in bad[:_LIST_LIMIT]:
        who = f" (agent {c.agent!r})" if c.agent else ""
        details.append(f"  #{j + 1} {call_text(c, width=100)}{who}: {_short(c.error or 'status ERROR')}")
    if len(bad) > _LIST_LIMIT:
        details.append(f"  ... and {len(bad) - _LIST_LIMIT} more")
    names = ", ".join(dict.fromkeys(repr(c.name) for _, c in bad))
    raise AgentAssertionError(
        f"{plural(len(bad), 'tool call')} failed ({names}) out of {len(t.tool_calls)}", details=details, trace=t
    )


def assert_no_llm_errors(trace: Any) -> None:
    """Assert no LLM call failed (an error recorded on the model call)."""
    t = as_trace(trace)
    bad = [(k, c) for k, c in enumerate(t.llm_calls) if c.error]
    if not bad:
        return
    details = [f"  #{k + 1} {c.model or c.span_name or '?'}: {_short(c.error)}" for k, c in bad[:_LIST_LIMIT]]
    if len(bad) > _LIST_LIMIT:
        details.append(f"  ... and {len(bad) - _LIST_LIMIT} more")
    raise AgentAssertionError(
        f"{plural(len(bad), 'LLM call')} failed out of {len(t.llm_calls)}", details=details, trace=t
    )


def _canonical(reason: str) -> str:
    from .._build import canonical_finish_reason

    return canonical_finish_reason(reason)


def assert_finish_reasons(trace: Any, allowed: Iterable[str] = ("stop", "tool_calls")) -> None:
    """Assert every LLM call finished for an allowed reason (catches `length` truncation and content filters).

    Reasons are compared in their canonical GenAI spelling on both sides (`end_turn` is `stop`, `tool_use` is
    `tool_calls`, `max_tokens` is `length`, `SAFETY` is `content_filter`). A call that recorded no finish reason
    (some streaming instrumentations) is not checked.
    """
    t = as_trace(trace)
    if isinstance(allowed, str):
        raise TypeError(f"allowed={allowed!r} must be a collection of reasons, e.g. {{{allowed!r}}}")
    ok = {_canonical(a) for a in allowed}
    bad = []
    for k, c in enumerate(t.llm_calls):
        wrong = [r for r in (_canonical(r) for r in c.finish_reasons) if r not in ok]
        if wrong:
            bad.append((k, c, wrong))
    if not bad:
        return
    details = []
    for k, c, wrong in bad[:_LIST_LIMIT]:
        hint = "; ".join(FINISH_REASON_HINTS[r] for r in dict.fromkeys(wrong) if r in FINISH_REASON_HINTS)
        details.append(
            f"  LLM call #{k + 1} of {len(t.llm_calls)} ({c.model or '?'}"
            + (f", agent {c.agent!r}" if c.agent else "")
            + ") finished with "
            + ", ".join(map(repr, wrong))
            + (f": {hint}" if hint else "")
        )
    k0, _, w0 = bad[0]
    last = " (the last LLM call)" if k0 == len(t.llm_calls) - 1 else ""
    raise AgentAssertionError(
        f"LLM call #{k0 + 1}{last} finished with {w0[0]!r}, allowed: {sorted(ok)}"
        + (f" ({len(bad) - 1} more call(s) too)" if len(bad) > 1 else ""),
        details=details,
        trace=t,
    )


def ran_call_ids(trace: Trace) -> set[str]:
    """Tool call ids known to have run.

    The ids of tool calls seen as spans; a model-requested id whose tool has a span without an id (OpenInference
    TOOL spans carry none) counts as run; in a trace with no tool spans at all, every id a model asked for counts
    (that is all a messages-only trace can show).
    """
    spans = [c for c in trace.tool_calls if c.source != "messages"]
    requested = {p.id: p.name for c in trace.llm_calls for p in c.tool_call_requests if p.id}
    if not spans:
        return set(requested)
    ran = {c.call_id for c in spans if c.call_id}
    idless = {c.name for c in spans if not c.call_id}
    ran.update(i for i, name in requested.items() if name in idless)
    return ran


def assert_no_hallucinated_tool_results(trace: Any) -> None:
    """Assert every tool result fed to a model answers a tool call that ran in this trace.

    A tool-response message whose call id never ran (see `ran_call_ids`) was made up: by the model, a framework
    bug or injected history. Results without an id cannot be checked and are skipped; history carried in from
    before the trace counts as made up too.
    """
    t = as_trace(trace)
    ran = ran_call_ids(t)
    bad: list[tuple[int, str, str | None]] = []
    seen: set[str] = set()
    for k, c in enumerate(t.llm_calls):
        for m in c.input_messages:
            for part in m.tool_results:
                if part.id and part.id not in ran and part.id not in seen:
                    seen.add(part.id)
                    bad.append((k, part.id, part.name))
    if not bad:
        return
    names = {c.call_id: c.name for c in t.tool_calls if c.call_id}
    known = ", ".join(f"{i} ({names.get(i, '?')})" for i in sorted(ran)[:10]) or "none"
    details = [
        f"  LLM call #{k + 1} ({step_text(t.llm_calls[k], width=60)}) got a result for call id {i!r}"
        + (f" (tool {n!r})" if n else "")
        for k, i, n in bad[:_LIST_LIMIT]
    ]
    details.append(f"tool call ids that ran: {known}")
    k0, i0, _ = bad[0]
    raise AgentAssertionError(
        f"{plural(len(bad), 'tool result')} for call ids that never ran;"
        f" first: {i0!r} in the input of LLM call #{k0 + 1}",
        details=details,
        trace=t,
    )
