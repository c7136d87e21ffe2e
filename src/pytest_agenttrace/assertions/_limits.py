"""Budget assertions: loops (call counts, repeats, delegation cycles, agent depth), cost, tokens and latency."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .._model import AgentRun, Trace
from ..cost import CallPrice, PriceTable, price_call
from ._failure import AgentAssertionError, as_trace, call_text, plural, step_text
from ._matchers import actual_arguments

_LIST_LIMIT = 20


def _count(value: Any, *, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name}={value!r} must be a non-negative int")
    return value


def _amount(value: Any, *, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
        raise ValueError(f"{name}={value!r} must be a non-negative number")
    return float(value)


# ------------------------------------------------------------------------------------------------------ loops


def assert_max_llm_calls(trace: Any, n: int) -> None:
    """Assert the trace made at most `n` LLM calls (each model call counted once)."""
    t = as_trace(trace)
    _count(n, name="n")
    calls = t.llm_calls
    if len(calls) <= n:
        return
    details = [f"  {k + 1}. {step_text(c)}" for k, c in enumerate(calls[:_LIST_LIMIT])]
    if len(calls) > _LIST_LIMIT:
        details.append(f"  ... and {len(calls) - _LIST_LIMIT} more")
    raise AgentAssertionError(f"{plural(len(calls), 'LLM call')}, expected at most {n}", details=details, trace=t)


def assert_max_tool_calls(trace: Any, n: int, *, name: str | None = None) -> None:
    """Assert at most `n` tool calls were made (only calls to `name` when given)."""
    t = as_trace(trace)
    _count(n, name="n")
    calls = [(j, c) for j, c in enumerate(t.tool_calls) if name is None or c.name == name]
    if len(calls) <= n:
        return
    what = f"calls to {name!r}" if name else "tool calls"
    counts = Counter(c.name for _, c in calls)
    details = ["by tool: " + ", ".join(f"{k} x{v}" for k, v in counts.most_common())]
    details += [f"  #{j + 1} {call_text(c, width=120)}" for j, c in calls[:_LIST_LIMIT]]
    if len(calls) > _LIST_LIMIT:
        details.append(f"  ... and {len(calls) - _LIST_LIMIT} more")
    raise AgentAssertionError(f"{len(calls)} {what}, expected at most {n}", details=details, trace=t)


def _args_key(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=repr, separators=(",", ":"))
    except (TypeError, ValueError):  # keys of mixed types cannot be sorted
        return repr(value)


def assert_no_repeated_tool_calls(trace: Any, *, max_repeats: int = 1) -> None:
    """Assert no tool was called more than `max_repeats` times with the same name and arguments (anywhere in the
    trace, not only back to back): the signature of an agent stuck in a loop."""
    t = as_trace(trace)
    if _count(max_repeats, name="max_repeats") < 1:
        raise ValueError(f"max_repeats={max_repeats!r} must be at least 1 (1 = every call is unique)")
    groups: dict[tuple[str, str], list[int]] = {}
    for j, c in enumerate(t.tool_calls):
        groups.setdefault((c.name, _args_key(actual_arguments(c))), []).append(j)
    repeated = [idx for idx in groups.values() if len(idx) > max_repeats]
    if not repeated:
        return
    repeated.sort(key=lambda idx: (-len(idx), idx[0]))
    calls = t.tool_calls
    head = ", ".join(f"{calls[idx[0]].name} x{len(idx)}" for idx in repeated[:3])
    details = []
    for idx in repeated[:_LIST_LIMIT]:
        where = ", ".join(f"#{j + 1}" for j in idx[:12]) + (" ..." if len(idx) > 12 else "")
        details.append(f"  {call_text(calls[idx[0]], width=100)} called {len(idx)} times at {where}")
    raise AgentAssertionError(
        f"tool calls repeated with the same arguments: {head} (max_repeats={max_repeats})", details=details, trace=t
    )


def _agent_chain(agent: AgentRun, by_span: Mapping[str, AgentRun]) -> list[AgentRun]:
    """The agent and its delegating ancestors, innermost first (by parent span ids; stops at a repeated span)."""
    chain = [agent]
    seen = {agent.span_id}
    node = agent
    while node.parent_span_id and node.parent_span_id in by_span and node.parent_span_id not in seen:
        node = by_span[node.parent_span_id]
        seen.add(node.span_id)
        chain.append(node)
    return chain


def _chain_names(chain: list[AgentRun]) -> list[str]:
    names = [a.name for a in reversed(chain)]
    top = chain[-1]
    if top.parent_agent and (not top.parent_span_id or top.parent_span_id not in {a.span_id for a in chain}):
        names.insert(0, top.parent_agent)  # a parent known only by name (its span is not in the trace)
    return names


def assert_no_delegation_cycles(trace: Any) -> None:
    """Assert no agent appears twice in its own delegation chain (A -> B -> A, or A -> A).

    Chains follow `AgentRun.parent_span_id` through the trace's agent runs; a parent known only by name
    (`parent_agent`) counts as one more link.
    """
    t = as_trace(trace)
    by_span = {a.span_id: a for a in t.agents}
    cycles: list[list[str]] = []
    seen_cycles: set[tuple[str, ...]] = set()
    for agent in t.agents:
        names = _chain_names(_agent_chain(agent, by_span))
        if len(set(names)) == len(names):
            continue
        # cut the chain at the first repeated agent: A -> B -> A
        first_seen: dict[str, int] = {}
        for k, nm in enumerate(names):
            if nm in first_seen:
                cycle = tuple(names[first_seen[nm] : k + 1])
                if cycle not in seen_cycles:
                    seen_cycles.add(cycle)
                    cycles.append(list(cycle))
                break
            first_seen[nm] = k
    if not cycles:
        return
    details = [f"  {' -> '.join(c)}" for c in cycles[:_LIST_LIMIT]]
    raise AgentAssertionError(
        f"delegation cycle(s) between agents: {' -> '.join(cycles[0])}"
        + (f" (and {len(cycles) - 1} more)" if len(cycles) > 1 else ""),
        details=details,
        trace=t,
    )


def agent_depth(trace: Trace) -> tuple[int, list[str]]:
    """The longest delegation chain (1 = a single agent, 2 = A -> B, 0 = no agents) and that chain's names."""
    by_span = {a.span_id: a for a in trace.agents}
    best: list[str] = []
    for agent in trace.agents:
        names = _chain_names(_agent_chain(agent, by_span))
        if len(names) > len(best):
            best = names
    return len(best), best


def assert_max_agent_depth(trace: Any, n: int) -> None:
    """Assert the longest agent delegation chain has at most `n` agents (1 = no delegation at all)."""
    t = as_trace(trace)
    _count(n, name="n")
    depth, chain = agent_depth(t)
    if depth <= n:
        return
    raise AgentAssertionError(
        f"agent delegation depth {depth} exceeds the maximum {n}", details=[f"  {' -> '.join(chain)}"], trace=t
    )


# ------------------------------------------------------------------------------------------ cost and tokens


def _costs(t: Trace, prices: PriceTable | Mapping[str, Any] | None, on_unknown: str | None) -> list[CallPrice]:
    table = prices if prices is not None else getattr(t, "cost_table", None)
    if not isinstance(table, (PriceTable, Mapping)):
        table = None
    return [price_call(c, prices=table, on_unknown=on_unknown) for c in t.llm_calls]


def cost_lines(t: Trace, costs: list[CallPrice], limit: int = 10) -> list[str]:
    """The most expensive calls first: `#2 gpt-4o-mini in=1200 out=300 $0.000360 (genai-prices)`."""
    order = sorted(range(len(costs)), key=lambda k: -costs[k].cost_usd)
    lines = []
    for k in order[:limit]:
        c, p = t.llm_calls[k], costs[k]
        lines.append(
            f"  #{k + 1} {c.model or c.span_name or '?'} in={c.input_tokens or 0} out={c.output_tokens or 0}"
            + (f" cache_read={c.cache_read_tokens}" if c.cache_read_tokens else "")
            + f" ${float(p.cost_usd):.6f} ({p.source})"
        )
    if len(order) > limit:
        lines.append(f"  ... and {len(order) - limit} cheaper call(s)")
    return lines


def usd_text(amount: float) -> str:
    """`$0.0312`; small amounts keep six decimals (`$0.000270`) so they never print as $0.0000."""
    return f"${amount:.4f}" if amount >= 0.01 else f"${amount:.6f}"


def assert_cost_within(
    trace: Any, usd: float, *, prices: PriceTable | Mapping[str, Any] | None = None, on_unknown: str | None = None
) -> None:
    """Assert the trace's LLM calls cost at most `usd` dollars (pricing rules: `pytest_agenttrace.cost`)."""
    t = as_trace(trace)
    limit = _amount(usd, name="usd")
    costs = _costs(t, prices, on_unknown)
    total = float(sum((p.cost_usd for p in costs), Decimal(0)))
    if total <= limit:
        return
    raise AgentAssertionError(
        f"cost {usd_text(total)} exceeds ${limit:g} ({plural(len(costs), 'LLM call')})",
        details=cost_lines(t, costs),
        trace=t,
    )


def assert_tokens_within(
    trace: Any, *, input: int | None = None, output: int | None = None, total: int | None = None
) -> None:
    """Assert the token totals (counted once, over LLM calls only) stay within the limits given."""
    t = as_trace(trace)
    limits = {"input": input, "output": output, "total": total}
    if all(v is None for v in limits.values()):
        raise TypeError("assert_tokens_within needs at least one of input=, output=, total=")
    actual = {"input": t.input_tokens, "output": t.output_tokens, "total": t.total_tokens}
    over = [
        f"{k} tokens {actual[k]} > {_count(v, name=k)}" for k, v in limits.items() if v is not None and actual[k] > v
    ]
    if not over:
        return
    calls = sorted(range(len(t.llm_calls)), key=lambda k: -t.llm_calls[k].total_tokens)
    details = [f"  #{k + 1} {step_text(t.llm_calls[k])}" for k in calls[:10]]
    if len(calls) > 10:
        details.append(f"  ... and {len(calls) - 10} smaller call(s)")
    raise AgentAssertionError(
        f"token budget exceeded: {'; '.join(over)} ({plural(len(t.llm_calls), 'LLM call')})", details=details, trace=t
    )


# --------------------------------------------------------------------------------------------------- latency


def trace_duration_s(trace: Trace) -> float:
    """Wall time from the first span start to the last span end (steps' times when there are no spans)."""
    spans = [(r.start_ns, r.end_ns) for r in trace.records if r.end_ns]
    if not spans:
        spans = [(s.start_ns, s.end_ns) for s in trace.steps if s.end_ns]
    if not spans:
        return 0.0
    return max(0, max(e for _, e in spans) - min(s for s, _ in spans)) / 1e9


def assert_latency_within(
    trace: Any, seconds: float | None = None, *, llm_call: float | None = None, tool_call: float | None = None
) -> None:
    """Assert the trace's wall time is at most `seconds`, and each LLM / tool call at most `llm_call` / `tool_call`."""
    t = as_trace(trace)
    if seconds is None and llm_call is None and tool_call is None:
        raise TypeError("assert_latency_within needs seconds, llm_call= or tool_call=")
    over: list[str] = []
    details: list[str] = []
    if seconds is not None:
        took = trace_duration_s(t)
        if took > _amount(seconds, name="seconds"):
            over.append(f"the trace took {took:.3f} s, over {seconds:g} s")
    if llm_call is not None:
        limit = _amount(llm_call, name="llm_call")
        slow_llm = [(k, c) for k, c in enumerate(t.llm_calls) if c.duration_s > limit]
        if slow_llm:
            over.append(f"{plural(len(slow_llm), 'LLM call')} over {llm_call:g} s")
            details += [f"  LLM #{k + 1} {c.duration_s:.3f} s: {step_text(c)}" for k, c in slow_llm[:10]]
    if tool_call is not None:
        limit = _amount(tool_call, name="tool_call")
        slow_tools = [(k, c) for k, c in enumerate(t.tool_calls) if (c.duration_s or 0.0) > limit]
        if slow_tools:
            over.append(f"{plural(len(slow_tools), 'tool call')} over {tool_call:g} s")
            details += [f"  tool #{k + 1} {c.duration_s or 0:.3f} s: {call_text(c)}" for k, c in slow_tools[:10]]
    if not over:
        return
    if not details:
        slowest = sorted(
            (s for s in t.steps if not isinstance(s, AgentRun) and s.end_ns),
            key=lambda s: -(s.end_ns - s.start_ns),
        )[:5]
        details = ["slowest steps:"] + [f"  {(s.end_ns - s.start_ns) / 1e9:.3f} s: {step_text(s)}" for s in slowest]
    raise AgentAssertionError("latency budget exceeded: " + "; ".join(over), details=details, trace=t)
