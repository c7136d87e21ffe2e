"""Span records -> `Trace`: the tree, the normalized steps, and the counting rules (all in this one place).

Counting rules:
- One LLM call per model call. A model-call span that contains other model-call spans (ADK `call_llm` around
  `generate_content` around `openai.chat`, the anthropic SDK span around OpenLLMetry's) is a wrapper: its fields
  fill gaps in the innermost call and it is not counted. Two calls with the same response id are one call.
- Tokens come only from LLM calls, never from agent spans (which often repeat their children's totals).
- One tool call per execution. A tool span and the model's tool-call message with the same call id (or, when the
  span has no id, the same name and arguments issued earlier by the same agent) are one call; tool calls that
  exist only in messages are recovered from output messages (and from assistant history in later inputs),
  paired with their results by call id. Nested tool spans of the same name (two instrumentations) are one call.
"""

from __future__ import annotations

import functools
import gc
import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from ._errors import TraceStructureWarning
from ._fastinit import fast_constructor, fast_positional
from ._model import (
    AgentRun,
    LLMCall,
    Message,
    Retrieval,
    SpanNode,
    TextPart,
    ToolCall,
    ToolResultPart,
    Trace,
    parse_json_maybe,
)
from ._records import SpanRecord
from .conventions import Facts, read_span
from .conventions.adk import FRAMEWORK_SYSTEMS

# Finish reasons as each provider spells them -> the OpenAI/GenAI names assertions use.
FINISH_REASONS = {
    "tool_call": "tool_calls",
    "tool_use": "tool_calls",
    "function_call": "tool_calls",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "completed": "stop",
    "max_tokens": "length",
    "max_output_tokens": "length",
    "model_length": "length",
    "safety": "content_filter",
    "recitation": "content_filter",
    "blocklist": "content_filter",
    "prohibited_content": "content_filter",
    "refusal": "content_filter",
}

# `AgentRun(...)`, `LLMCall(...)`, `ToolCall(...)`, `Retrieval(...)`: the same objects, built faster (`_fastinit`).
# The three built for every step take every field positionally, in the dataclass's field order (each argument
# below names its field); `Retrieval` keeps keywords.
_new_agent_run = fast_positional(AgentRun)
_new_llm_call = fast_positional(LLMCall)
_new_tool_call = fast_positional(ToolCall)
_new_retrieval = fast_constructor(Retrieval)

_PROVIDER_PREFIXES = ("openai", "anthropic", "mistral", "cohere", "groq", "deepseek", "gemini", "google")


@functools.lru_cache(maxsize=256)  # every LLM call of every trace asks
def canonical_finish_reason(reason: str) -> str:
    """`end_turn` -> `stop`, `tool_use` -> `tool_calls`, `MAX_TOKENS` -> `length`, ... (unknown: lowercased)."""
    r = reason.strip().lower()
    if r.startswith("finish_reason_"):
        r = r[len("finish_reason_") :]
    return FINISH_REASONS.get(r, r)


def canonical_provider(value: Any) -> str | None:
    """Lowercase provider id; `openai.responses` -> `openai`; framework names (ADK) -> None."""
    if not isinstance(value, str) or not value:
        return None
    return _canonical_provider(value)


@functools.lru_cache(maxsize=256)  # every LLM call of every trace asks
def _canonical_provider(value: str) -> str | None:
    p = value.strip().lower()
    if p in FRAMEWORK_SYSTEMS:
        return None
    head = p.split(".", 1)[0]
    if head in _PROVIDER_PREFIXES and "." in p:
        p = head
    if p in ("gemini", "vertex_ai", "gcp.gemini", "gcp.vertex_ai", "google_genai", "gcp.gen_ai"):
        return "google"
    return p


class _Span:
    """A span as the builder sees it: its facts, and its nearest enclosing agent, LLM and tool spans (taken from its
    parent's when it is made, parents first, so no rule walks the ancestors of every span)."""

    __slots__ = ("agent", "agent_depth", "facts", "label", "leaves_below", "llm_above", "node", "role", "tool_above")

    def __init__(self, node: SpanNode, facts: Facts | None, parent: _Span | None) -> None:
        self.node = node
        self.facts = facts
        role = self.role = facts.role if facts is not None else None
        self.leaves_below = 0  # for an LLM span: the leaf LLM spans (counted calls) below it
        # for an agent span: the agent name its steps report
        self.label = str(facts.fields.get("name") or node.name) if role == "agent" and facts is not None else None
        if parent is None:
            self.agent: _Span | None = None  # nearest enclosing agent span
            self.agent_depth = 0
            self.llm_above: _Span | None = None  # nearest enclosing LLM span
            self.tool_above: _Span | None = None  # nearest enclosing tool span
            return
        prole = parent.role
        if prole == "agent":
            self.agent, self.agent_depth = parent, parent.agent_depth + 1
        else:
            self.agent, self.agent_depth = parent.agent, parent.agent_depth
        self.llm_above = parent if prole == "llm" else parent.llm_above
        self.tool_above = parent if prole == "tool" else parent.tool_above


def build_trace(records: Sequence[SpanRecord], *, source: str | None = None) -> Trace:
    """Build the tree and the normalized steps from span records (see the module docstring for the rules).

    The cyclic GC is paused while building: the build allocates many objects and frees none, so collections
    during it only re-scan what is being built (measured: ~25% of the time, and non-linear growth).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_trace(records, source=source)
    finally:
        if was_enabled:
            gc.enable()


def _build_trace(records: Sequence[SpanRecord], *, source: str | None) -> Trace:
    notes: list[str] = []
    nodes, roots, ordered = _build_tree(records, notes, source)
    by_node: dict[SpanNode, _Span] = {}  # (in tree order)
    by_role: dict[str | None, list[_Span]] = {"agent": [], "llm": [], "tool": [], "retrieval": []}
    output_tools: set[str] = set()
    for node in ordered:  # tree order: a parent comes before its children
        facts = read_span(node.record)
        parent = node.parent
        sp = by_node[node] = _Span(node, facts, by_node[parent] if parent is not None else None)
        if facts is not None:
            same_role = by_role.get(facts.role)
            if same_role is not None:
                same_role.append(sp)
            if "output_tools" in facts.fields:
                output_tools.update(facts.fields["output_tools"])

    agents = _agents(by_role["agent"])
    llm_calls = _llm_calls(by_role["llm"])
    tool_calls = _tool_calls(by_role["tool"], llm_calls, output_tools)
    retrievals = _retrievals(by_role["retrieval"])

    def span_of(span_id: str) -> _Span:
        """The first span in tree order with this id (ids are unique unless a duplicate was kept as its own span)."""
        if len(nodes) == len(ordered):
            return by_node[nodes[span_id]]
        return next(x for x in by_node.values() if x.node.span_id == span_id)

    final = _final_output(agents, llm_calls, span_of)
    return Trace(
        records=[n.record for n in ordered],
        roots=roots,
        nodes=nodes,
        agents=agents,
        llm_calls=llm_calls,
        tool_calls=tool_calls,
        retrievals=retrievals,
        final_output=final,
        warnings=notes,
        source=source,
    )


# ----------------------------------------------------------------------------------------------------- tree


def _build_tree(
    records: Sequence[SpanRecord], notes: list[str], source: str | None
) -> tuple[dict[str, SpanNode], list[SpanNode], list[SpanNode]]:
    where = f"{source}: " if source else ""
    nodes: dict[str, SpanNode] = {}
    extra: list[SpanNode] = []
    for rec in records:
        span_id = rec.span_id
        prev = nodes.get(span_id)
        if prev is None:
            nodes[span_id] = SpanNode(rec)
        elif prev.record == rec:
            continue  # the same span exported twice (retries, overlapping batches)
        else:
            msg = (
                f"{where}duplicate span id {rec.span_id!r}: {prev.record.name!r} and {rec.name!r}; "
                f"the second is kept as a separate root-level span"
            )
            notes.append(msg)
            warnings.warn(msg, TraceStructureWarning, stacklevel=3)
            extra.append(SpanNode(rec))
    all_nodes = [*nodes.values(), *extra]
    roots: list[SpanNode] = []
    orphans = 0
    for node in all_nodes:
        pid = node.record.parent_id
        parent = nodes.get(pid) if pid else None
        if parent is None or parent is node:
            if pid and parent is None:
                orphans += 1
            roots.append(node)
        else:
            node.parent = parent
            parent.children.append(node)
    if orphans:
        notes.append(f"{where}{orphans} span(s) name a parent that is not in the trace; they are shown as roots")
    roots.sort(key=_start_end)
    ordered = _depth_first(roots)
    if len(ordered) == len(all_nodes):
        return nodes, roots, ordered
    # parent cycles: nodes never reached from a root
    reached = {id(n) for n in ordered}
    for node in all_nodes:
        if id(node) in reached:
            continue
        # break the cycle at this node
        assert node.parent is not None
        node.parent.children.remove(node)
        node.parent = None
        roots.append(node)
        reached.add(id(node))
        reached.update(id(d) for d in node.descendants())
        msg = f"{where}parent cycle through span {node.record.span_id!r} ({node.record.name!r}); it is made a root"
        notes.append(msg)
        warnings.warn(msg, TraceStructureWarning, stacklevel=3)
    roots.sort(key=_start_end)
    return nodes, roots, _depth_first(roots)


#: Sort keys: (start, end) of a span node / of an LLM call (attrgetter: the same tuple, built in C); the start of
#: a tool call; the time of a tool call candidate.
_start_end = attrgetter("record.start_ns", "record.end_ns")
_call_order = attrgetter("start_ns", "end_ns")
_start = attrgetter("start_ns")
_time = attrgetter("time")


def _depth_first(roots: list[SpanNode]) -> list[SpanNode]:
    """Every node reachable from `roots`, depth first, children sorted by start (in place)."""
    ordered: list[SpanNode] = []
    for r in roots:
        stack = [r]
        while stack:
            n = stack.pop()
            ordered.append(n)
            children = n.children
            if children:
                if len(children) > 1:
                    children.sort(key=_start_end)
                stack.extend(reversed(children))
    return ordered


# ------------------------------------------------------------------------------------------------- helpers


def _error_of(rec: SpanRecord) -> str | None:
    if (
        rec.status_code != "ERROR"
        and "error.type" not in rec.attributes
        and (not rec.events or rec.status_code == "OK" or not any(e.name == "exception" for e in rec.events))
    ):
        return None  # no error status: an error only when an exception event says so and the status is not OK
    for ev in rec.events:
        if ev.name == "exception":
            t = ev.attributes.get("exception.type")
            m = ev.attributes.get("exception.message")
            if t or m:
                return f"{t}: {m}" if t and m else str(t or m)
    if rec.status_message:
        return rec.status_message
    et = rec.attributes.get("error.type")
    if et:
        return str(et)
    return "error" if rec.status_code == "ERROR" else None


def _agent_name(sp: _Span) -> str | None:
    """The name of the agent a step belongs to: its enclosing agent span's, else the span's own `agent_name`."""
    if sp.agent is not None:
        return sp.agent.label
    if sp.facts is not None:
        n = sp.facts.fields.get("agent_name")
        return str(n) if n else None
    return None


_CALL_WRAPPER_KEYS = frozenset({"args", "kwargs", "sanitize_inputs_outputs"})


def _norm_args(value: Any) -> Any:
    """Arguments as data: JSON strings parsed; a recorded Python call `{"args": [], "kwargs": {...}}` (smolagents,
    Traceloop's decorators) unwrapped to its keyword arguments."""
    value = parse_json_maybe(value)
    if (
        isinstance(value, dict)
        and isinstance(value.get("kwargs"), dict)
        and set(value) <= _CALL_WRAPPER_KEYS
        and not value.get("args")
    ):
        return value["kwargs"]
    return value


def _norm_result(value: Any) -> Any:
    """Results as data: JSON strings parsed; a list of text content blocks (Anthropic, MCP) joined and parsed."""
    value = parse_json_maybe(value)
    if (
        isinstance(value, list)
        and value
        and all(isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str) for b in value)
    ):
        return parse_json_maybe("".join(b["text"] for b in value))
    if isinstance(value, dict) and "response" in value and "name" in value and set(value) <= {"id", "name", "response"}:
        return value["response"]  # a Gemini function_response
    return value


def _same_args(span_args: Any, msg_args: Any) -> bool:
    """Equal arguments; a bare value recorded by the span equals a one-argument dict holding it."""
    if _args_key(span_args) == _args_key(msg_args):
        return True
    if not isinstance(span_args, (dict, list)) and isinstance(msg_args, dict) and len(msg_args) == 1:
        return _args_key(next(iter(msg_args.values()))) == _args_key(span_args)
    return False


def _args_key(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


# --------------------------------------------------------------------------------------------------- agents


def _agents(agent_spans: list[_Span]) -> list[AgentRun]:
    out = []
    for sp in agent_spans:
        f = sp.facts.fields if sp.facts is not None else {}
        parent = sp.agent
        rec = sp.node.record
        out.append(
            _new_agent_run(
                str(sp.label),  # name
                rec.span_id,  # span_id
                f.get("agent_id"),  # agent_id
                parent.label if parent is not None else None,  # parent_agent
                parent.node.record.span_id if parent is not None else None,  # parent_span_id
                sp.agent_depth,  # depth
                rec.start_ns,  # start_ns
                rec.end_ns,  # end_ns
                parse_json_maybe(f.get("input")),  # input
                parse_json_maybe(f.get("output")),  # output
                _error_of(rec),  # error
                "agent",  # kind
            )
        )
    return out


# ------------------------------------------------------------------------------------------------ LLM calls


def _llm_calls(llm_spans: list[_Span]) -> list[LLMCall]:
    if not llm_spans:
        return []
    # leaves: LLM spans with no LLM span below them; wrappers: the others (the LLM spans above some LLM span)
    wrappers: set[int] = set()
    for sp in llm_spans:
        anc = sp.llm_above
        while anc is not None:
            wrappers.add(id(anc))
            anc = anc.llm_above
    leaves = [sp for sp in llm_spans if id(sp) not in wrappers] if wrappers else llm_spans
    if wrappers:
        for sp in leaves:
            anc = sp.llm_above
            while anc is not None:
                anc.leaves_below += 1
                anc = anc.llm_above

    calls: list[LLMCall] = []
    by_response_id: dict[str, int] = {}
    for sp in leaves:
        fields: dict[str, Any] = sp.facts.fields if sp.facts is not None else {}
        error = _error_of(sp.node.record)
        if sp.llm_above is not None:
            # fill gaps from wrappers that wrap only this call (closest first)
            fields = dict(fields)
            anc = sp.llm_above
            while anc is not None:
                if anc.leaves_below == 1 and anc.facts is not None:
                    for k, v in anc.facts.fields.items():
                        if k == "provider" and canonical_provider(fields.get("provider")) is None:
                            fields["provider"] = v
                        fields.setdefault(k, v)
                    error = error or _error_of(anc.node.record)
                anc = anc.llm_above
        call = _make_llm_call(sp, fields, error or None)
        rid = call.response_id
        if rid and rid in by_response_id and _overlap(calls[by_response_id[rid]], call):
            # one model call seen by two instrumentations (possibly in two traces when one of them never makes
            # its span current): keep the one that knows its agent, fill its gaps from the other
            i = by_response_id[rid]
            prev = calls[i]
            calls[i] = (
                _merge_llm(call, prev) if prev.agent_span_id is None and call.agent_span_id else _merge_llm(prev, call)
            )
            continue
        if rid:
            by_response_id[rid] = len(calls)
        calls.append(call)
    calls.sort(key=_call_order)
    return calls


def _make_llm_call(sp: _Span, f: dict[str, Any], error: str | None) -> LLMCall:
    rec = sp.node.record
    get = f.get
    out_msgs: tuple[Message, ...] = get("output_messages") or ()
    in_msgs: tuple[Message, ...] = get("input_messages") or ()
    instructions = get("system_instructions")
    if instructions is not None and not any(m.role == "system" for m in in_msgs):
        from .conventions._messages import parse_messages

        system = parse_messages(instructions, default_role="system")
        text = "\n".join(m.text for m in system if m.text)
        if text:  # GenAI semconv keeps instructions apart; one shape for all: a leading system message
            in_msgs = (Message(role="system", parts=(TextPart(content=text),)), *in_msgs)
    finish = _canonical_finish_reasons(get("finish_reasons") or ())
    if not finish:
        finish = tuple(canonical_finish_reason(m.finish_reason) for m in out_msgs if m.finish_reason)
    agent = sp.agent
    return _new_llm_call(
        rec.span_id,  # span_id
        rec.name,  # span_name
        canonical_provider(get("provider")),  # provider
        get("operation"),  # operation
        get("request_model"),  # request_model
        get("response_model"),  # response_model
        get("response_id"),  # response_id
        get("input_tokens"),  # input_tokens
        get("output_tokens"),  # output_tokens
        get("cache_read_tokens"),  # cache_read_tokens
        get("cache_write_tokens"),  # cache_write_tokens
        get("reasoning_tokens"),  # reasoning_tokens
        finish,  # finish_reasons
        get("temperature"),  # temperature
        in_msgs,  # input_messages
        out_msgs,  # output_messages
        error,  # error
        _agent_name(sp),  # agent
        agent.node.record.span_id if agent is not None else None,  # agent_span_id
        sp.agent_depth,  # depth
        rec.start_ns,  # start_ns
        rec.end_ns,  # end_ns
        get("recorded_cost_usd"),  # recorded_cost_usd
        get("streaming"),  # streaming
        "llm",  # kind
    )


def _canonical_finish_reasons(reasons: Any) -> tuple[str, ...]:
    """Each recorded finish reason in its canonical name (`canonical_finish_reason`, memoized)."""
    return tuple(map(canonical_finish_reason, reasons))


def _overlap(a: LLMCall, b: LLMCall) -> bool:
    """Whether two calls' spans overlap in time (one model call seen twice); sequential calls that reuse a
    response id (canned mock replies) stay two calls."""
    return a.start_ns <= b.end_ns and b.start_ns <= a.end_ns


def _merge_llm(a: LLMCall, b: LLMCall) -> LLMCall:
    """Two spans with one response id: keep `a`, fill its gaps from `b`."""
    from dataclasses import fields as dc_fields
    from dataclasses import replace

    updates = {}
    for fld in dc_fields(LLMCall):
        va, vb = getattr(a, fld.name), getattr(b, fld.name)
        if (va is None or va == ()) and vb not in (None, ()):
            updates[fld.name] = vb
    return replace(a, **updates) if updates else a


# ----------------------------------------------------------------------------------------------- tool calls


@dataclass(slots=True)
class _Candidate:
    id: str | None
    name: str
    arguments: Any
    time: int
    llm_span_id: str | None
    agent: str | None
    agent_span_id: str | None
    depth: int
    claimed: bool = False
    aliased: bool = False  # already seen again in a later input's history
    issued: int = 0  # when the requesting model call started (ADK runs tools inside the model-call span)
    aliases: list[str] = field(default_factory=list)

    def result_in(self, results: dict[str, Any]) -> tuple[bool, Any]:
        for key in (self.id, *self.aliases):
            if key is not None and key in results:
                return True, results[key]
        return False, None


def _tool_calls(tool_spans: list[_Span], llm_calls: list[LLMCall], output_tools: set[str]) -> list[ToolCall]:
    # 1. tool spans (nested same-name tool spans from two instrumentations are one call)
    span_tools: list[tuple[_Span, dict[str, Any]]] = []
    merged_into: dict[int, dict[str, Any]] = {}
    for sp in tool_spans:
        node = sp.node
        f = dict(sp.facts.fields) if sp.facts is not None else {}
        name = str(f.get("name") or node.name)
        f["name"] = name
        outer = sp.tool_above
        of = merged_into.get(id(outer)) if outer is not None else None
        if of is not None and of["name"] == name:
            for k, v in f.items():
                of.setdefault(k, v)
            if not of.get("_error"):
                of["_error"] = _error_of(node.record)
            continue
        f["_error"] = _error_of(node.record)
        merged_into[id(sp)] = f
        span_tools.append((sp, f))
    span_tools = _merge_twin_tool_spans(span_tools)

    # 2. candidates from messages
    candidates: list[_Candidate] = []
    by_id: dict[str, _Candidate] = {}
    results: dict[str, Any] = {}
    for call in llm_calls:
        if not call.input_messages and not call.output_messages:
            continue  # (a call recorded without messages, as most metrics-only instrumentation does)
        for m in call.input_messages:
            for p in m.parts:
                if isinstance(p, ToolResultPart) and p.id and p.id not in results:
                    results[p.id] = p.result
        for m in call.input_messages:
            if m.role != "assistant":
                continue
            for p in m.tool_calls:
                if not p.id or p.id in by_id:
                    continue
                # The same call may carry another id in the history (Responses API item id vs call id).
                akey = _args_key(_norm_args(p.arguments))
                same = next(
                    (
                        c
                        for c in candidates
                        if not c.aliased
                        and c.name == p.name
                        and c.agent_span_id == call.agent_span_id
                        and _args_key(_norm_args(c.arguments)) == akey
                    ),
                    None,
                )
                if same is not None:
                    same.aliased = True
                    same.aliases.append(p.id)
                    by_id[p.id] = same
                    continue
                c = _Candidate(
                    p.id,
                    p.name,
                    p.arguments,
                    call.start_ns - 1,
                    None,
                    call.agent,
                    call.agent_span_id,
                    call.depth,
                    aliased=True,
                )
                by_id[p.id] = c
                candidates.append(c)
        for m in call.output_messages:
            for p in m.tool_calls:
                if p.id and p.id in by_id:
                    continue
                c = _Candidate(
                    p.id,
                    p.name,
                    p.arguments,
                    call.end_ns,
                    call.span_id,
                    call.agent,
                    call.agent_span_id,
                    call.depth,
                    issued=call.start_ns,
                )
                if p.id:
                    by_id[p.id] = c
                candidates.append(c)
    candidates.sort(key=_time)
    if output_tools:  # pydantic-ai's final_result: how the answer is returned, not a tool the agent ran
        candidates = [c for c in candidates if c.name not in output_tools]

    # 3. merge span tools with candidates
    out: list[ToolCall] = []
    for sp, f in span_tools:
        rec = sp.node.record
        args = _norm_args(f.get("arguments"))
        cand: _Candidate | None = None
        cid = f.get("call_id")
        if cid and str(cid) in by_id and not by_id[str(cid)].claimed:
            cand = by_id[str(cid)]
        elif candidates:
            agent_sid = sp.agent.node.record.span_id if sp.agent else None
            for c in candidates:
                if c.claimed or c.name != f["name"] or min(c.time, c.issued or c.time) > rec.end_ns:
                    continue
                if cid and c.id is not None:  # a different id is a different call
                    continue
                if agent_sid and c.agent_span_id and c.agent_span_id != agent_sid:
                    continue
                if args is not None and c.arguments is not None and not _same_args(args, _norm_args(c.arguments)):
                    continue
                cand = c
                break
        result = _norm_result(f.get("result"))
        if cand is not None:
            cand.claimed = True
            if args is None or not isinstance(args, dict):
                # the model's structured arguments beat a span's bare single value (LangChain one-arg tools)
                args = _norm_args(cand.arguments) if cand.arguments is not None else args
            if result is None:
                result = _norm_result(cand.result_in(results)[1])
        call_id = str(cid) if cid else (cand.id if cand else None)
        error = f.get("_error")
        out.append(
            _new_tool_call(
                f["name"],  # name
                call_id,  # call_id
                args,  # arguments
                result,  # result
                error,  # error
                "error" if error else "ok",  # status
                _agent_name(sp),  # agent
                sp.agent.node.record.span_id if sp.agent else None,  # agent_span_id
                rec.span_id,  # span_id
                cand.llm_span_id if cand else None,  # llm_span_id
                "span+messages" if cand else "span",  # source
                sp.agent_depth,  # depth
                rec.start_ns,  # start_ns
                rec.end_ns,  # end_ns
                "tool",  # kind
            )
        )
    for c in candidates:
        if c.claimed:
            continue
        has_result, result = c.result_in(results)
        out.append(
            _new_tool_call(
                c.name,  # name
                c.id,  # call_id
                _norm_args(c.arguments),  # arguments
                _norm_result(result),  # result
                None,  # error
                "ok" if has_result else "unknown",  # status
                c.agent,  # agent
                c.agent_span_id,  # agent_span_id
                None,  # span_id
                c.llm_span_id,  # llm_span_id
                "messages",  # source
                c.depth,  # depth
                c.time,  # start_ns
                c.time,  # end_ns
                "tool",  # kind
            )
        )
    out.sort(key=_start)
    return out


def _merge_twin_tool_spans(span_tools: list[tuple[_Span, dict[str, Any]]]) -> list[tuple[_Span, dict[str, Any]]]:
    """Two tool spans of one execution seen by two instrumentations that are not parent and child (OpenInference
    never makes its TOOL span current, so a `@tool` span beneath it starts a trace of its own): same name, same
    arguments, one interval inside the other. The one that knows its agent is kept; the other fills its gaps."""
    if len({sp.node.record.trace_id for sp, _ in span_tools}) < 2:
        return span_tools  # twins are in two traces
    recs = [sp.node.record for sp, _ in span_tools]
    starts = [r.start_ns for r in recs]
    by_name: dict[str, list[int]] = {}
    for i, (_, f) in enumerate(span_tools):
        by_name.setdefault(f["name"], []).append(i)
    dropped: set[int] = set()
    norm: dict[int, Any] = {}

    def args_of(k: int) -> Any:
        if k not in norm:
            norm[k] = _norm_args(span_tools[k][1].get("arguments"))
        return norm[k]

    for indexes in by_name.values():
        if len(indexes) < 2:
            continue
        # sweep by start time: only spans that overlap can be twins (linear for sequential calls)
        indexes.sort(key=starts.__getitem__)
        for a_pos, i in enumerate(indexes):
            if i in dropped:
                continue
            ra = recs[i]
            for b_pos in range(a_pos + 1, len(indexes)):  # not a slice: that copies the rest for every span
                j = indexes[b_pos]
                rb = recs[j]
                if rb.start_ns > ra.end_ns:
                    break
                if j in dropped or ra.trace_id == rb.trace_id:
                    continue  # same trace: nesting was handled above, siblings are two calls
                inside = (ra.start_ns <= rb.start_ns and rb.end_ns <= ra.end_ns) or (
                    rb.start_ns <= ra.start_ns and ra.end_ns <= rb.end_ns
                )
                if not inside:
                    continue
                args_a, args_b = args_of(i), args_of(j)  # parsed once per span, and only for nested pairs
                if (
                    args_a is not None
                    and args_b is not None
                    and not (_same_args(args_a, args_b) or _same_args(args_b, args_a))
                ):
                    continue
                sa, sb = span_tools[i][0], span_tools[j][0]
                keep, drop = (i, j) if sa.agent is not None or sb.agent is None else (j, i)
                kf, df = span_tools[keep][1], span_tools[drop][1]
                for k, v in df.items():
                    if kf.get(k) is None:
                        kf[k] = v
                dropped.add(drop)
                if drop == i:
                    break
    return [t for k, t in enumerate(span_tools) if k not in dropped]


# ----------------------------------------------------------------------------------------------- retrievals


def _retrievals(retrieval_spans: list[_Span]) -> list[Retrieval]:
    out = []
    for sp in retrieval_spans:
        f = sp.facts.fields if sp.facts is not None else {}
        rec = sp.node.record
        out.append(
            _new_retrieval(
                span_id=rec.span_id,
                name=str(f.get("name") or rec.name),
                query=f.get("query"),
                documents=tuple(f.get("documents") or ()),
                agent=_agent_name(sp),
                error=_error_of(rec),
                depth=sp.agent_depth,
                start_ns=rec.start_ns,
                end_ns=rec.end_ns,
            )
        )
    return out


# --------------------------------------------------------------------------------------------- final output


def _final_output(agents: list[AgentRun], llm_calls: list[LLMCall], span_of: Callable[[str], _Span]) -> Any:
    roots = [a for a in agents if a.depth == 0]
    if roots:
        root = roots[-1] if len(roots) > 1 and roots[-1].start_ns >= roots[0].end_ns else roots[0]
        out = root.output
        if out is not None:
            text = _text_of(out)
            return parse_json_maybe(text) if isinstance(text, str) else text
        sp = span_of(root.span_id)
        msgs = sp.facts.fields.get("output_messages") if sp.facts else None
        if msgs:
            texts = [m.text for m in msgs if m.text]
            if texts:
                return parse_json_maybe(texts[-1])
        mine = [c for c in llm_calls if c.agent_span_id == root.span_id and c.output_messages and c.output_text]
        if mine:
            return parse_json_maybe(mine[-1].output_text)
    answered = [c for c in llm_calls if c.output_messages and c.output_text and not c.tool_call_requests]
    if answered:
        last = max(answered, key=lambda c: c.end_ns)
        return parse_json_maybe(last.output_text)
    return None


def _text_of(out: Any) -> Any:
    """An agent output recorded as messages -> the last assistant text; anything else unchanged."""
    if isinstance(out, dict) and isinstance(out.get("messages"), list):  # LangGraph state
        out = out["messages"]
    elif isinstance(out, dict) and isinstance(out.get("content"), dict) and "parts" in out["content"]:  # ADK event
        out = [out["content"]]
    if isinstance(out, list) and out and all(isinstance(m, dict) for m in out):
        from .conventions._messages import parse_messages

        msgs = parse_messages(out, default_role="assistant")
        texts = [m.text for m in msgs if m.text]
        if texts:
            return texts[-1]
    return out


__all__ = ["build_trace", "canonical_finish_reason", "canonical_provider"]
