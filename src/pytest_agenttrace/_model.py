"""The trace model: a span tree plus the normalized steps an agent took (agents, LLM calls, tool calls, retrievals).

Pure Python: no pytest, no OpenTelemetry SDK. A `Trace` is built from `SpanRecord`s by `_build.build_trace`
(which applies the convention normalizers); everything downstream (assertions, cost, cassettes, reports) reads
only these types. Counting rules (what is one LLM call, which tokens count) are applied once, in the builder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from ._fastinit import fast_constructor
from ._records import SpanRecord

if TYPE_CHECKING:
    from os import PathLike

# --------------------------------------------------------------------------------------------------- messages


@dataclass(frozen=True, slots=True, kw_only=True)
class TextPart:
    """Text content of a message."""

    content: str
    type: Literal["text"] = "text"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallPart:
    """A model's request to call a tool (`arguments` parsed from JSON when they were a JSON string)."""

    id: str | None
    name: str
    arguments: Any = None
    type: Literal["tool_call"] = "tool_call"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolResultPart:
    """The result of a tool call, as fed back to the model."""

    id: str | None
    result: Any = None
    name: str | None = None
    type: Literal["tool_call_response"] = "tool_call_response"


@dataclass(frozen=True, slots=True, kw_only=True)
class OtherPart:
    """Any other part (reasoning, images, files...), kept as recorded."""

    type: str
    data: Any = None


Part = TextPart | ToolCallPart | ToolResultPart | OtherPart


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One chat message in the OTel GenAI "parts" shape, whatever shape the instrumentation recorded."""

    role: str
    parts: tuple[Part, ...] = ()
    finish_reason: str | None = None
    name: str | None = None

    @property
    def text(self) -> str:
        """All text parts joined with newlines ('' when there are none)."""
        return "\n".join(p.content for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> tuple[ToolCallPart, ...]:
        return tuple(p for p in self.parts if isinstance(p, ToolCallPart))

    @property
    def tool_results(self) -> tuple[ToolResultPart, ...]:
        return tuple(p for p in self.parts if isinstance(p, ToolResultPart))

    def to_dict(self) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        for p in self.parts:
            if isinstance(p, TextPart):
                parts.append({"type": "text", "content": p.content})
            elif isinstance(p, ToolCallPart):
                parts.append({"type": "tool_call", "id": p.id, "name": p.name, "arguments": p.arguments})
            elif isinstance(p, ToolResultPart):
                parts.append({"type": "tool_call_response", "id": p.id, "response": p.result})
            else:
                parts.append({"type": p.type, "data": p.data})
        d: dict[str, Any] = {"role": self.role, "parts": parts}
        if self.finish_reason:
            d["finish_reason"] = self.finish_reason
        return d


# ------------------------------------------------------------------------------------------------------ steps


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRun:
    """One run of an agent (an `invoke_agent` span, an OpenInference AGENT span, ...)."""

    name: str
    span_id: str
    agent_id: str | None = None
    parent_agent: str | None = None
    parent_span_id: str | None = None
    depth: int = 0
    start_ns: int = 0
    end_ns: int = 0
    input: Any = None
    output: Any = None
    error: str | None = None
    kind: Literal["agent"] = "agent"

    @property
    def duration_s(self) -> float:
        return max(0, self.end_ns - self.start_ns) / 1e9


@dataclass(frozen=True, slots=True, kw_only=True)
class LLMCall:
    """One model call, counted once however many spans described it (wrappers are merged into it).

    Tokens are as recorded; `input_tokens` follows the GenAI convention (it includes cached input tokens) except
    where the builder had to add Anthropic-style cache counts itself (see README, "Counting rules").
    """

    span_id: str
    span_name: str = ""
    provider: str | None = None
    operation: str | None = None
    request_model: str | None = None
    response_model: str | None = None
    response_id: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    finish_reasons: tuple[str, ...] = ()
    temperature: float | None = None
    input_messages: tuple[Message, ...] = ()
    output_messages: tuple[Message, ...] = ()
    error: str | None = None
    agent: str | None = None
    agent_span_id: str | None = None
    depth: int = 0
    start_ns: int = 0
    end_ns: int = 0
    recorded_cost_usd: float | None = None
    streaming: bool | None = None
    kind: Literal["llm"] = "llm"

    @property
    def model(self) -> str | None:
        """The response model, else the request model."""
        return self.response_model or self.request_model

    @property
    def name(self) -> str:
        return self.model or self.span_name

    @property
    def total_tokens(self) -> int:
        return (self.input_tokens or 0) + (self.output_tokens or 0)

    @property
    def duration_s(self) -> float:
        return max(0, self.end_ns - self.start_ns) / 1e9

    @property
    def output_text(self) -> str:
        return "\n".join(m.text for m in self.output_messages if m.text)

    @property
    def tool_call_requests(self) -> tuple[ToolCallPart, ...]:
        return tuple(p for m in self.output_messages for p in m.tool_calls)


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """One tool call: from a tool span, from the model's messages, or both merged (`source`)."""

    name: str
    call_id: str | None = None
    arguments: Any = None
    result: Any = None
    error: str | None = None
    status: Literal["ok", "error", "unknown"] = "unknown"
    agent: str | None = None
    agent_span_id: str | None = None
    span_id: str | None = None
    llm_span_id: str | None = None
    source: Literal["span", "messages", "span+messages"] = "span"
    depth: int = 0
    start_ns: int = 0
    end_ns: int = 0
    kind: Literal["tool"] = "tool"

    @property
    def duration_s(self) -> float | None:
        """Wall time from the tool span; None for a call known only from messages."""
        if self.span_id is None or not self.end_ns:
            return None
        return max(0, self.end_ns - self.start_ns) / 1e9

    @property
    def args(self) -> Any:
        return self.arguments


@dataclass(frozen=True, slots=True, kw_only=True)
class Retrieval:
    """A retrieval step (vector store / retriever span)."""

    span_id: str
    name: str = "retrieval"
    query: Any = None
    documents: tuple[Any, ...] = ()
    agent: str | None = None
    error: str | None = None
    depth: int = 0
    start_ns: int = 0
    end_ns: int = 0
    kind: Literal["retrieval"] = "retrieval"


Step = AgentRun | LLMCall | ToolCall | Retrieval


# ------------------------------------------------------------------------------------------------------- tree


@dataclass(eq=False, slots=True)
class SpanNode:
    """A span in the tree. `children` are in start order."""

    record: SpanRecord
    parent: SpanNode | None = None
    children: list[SpanNode] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def span_id(self) -> str:
        return self.record.span_id

    @property
    def attributes(self) -> dict[str, Any]:
        return self.record.attributes

    def descendants(self) -> Iterator[SpanNode]:
        stack = list(reversed(self.children))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def ancestors(self) -> Iterator[SpanNode]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def __repr__(self) -> str:
        return f"SpanNode({self.record.name!r}, span_id={self.record.span_id!r}, children={len(self.children)})"


# ---------------------------------------------------------------------------------------------------- queries


class StepQuery(TypedDict, total=False):
    """A declarative, serializable query over steps; all given keys must hold."""

    kind: Literal["agent", "llm", "tool", "retrieval"]
    name: str
    name_matches: str
    agent: str
    has_error: bool
    arguments: dict[str, Any]
    model: str
    finish_reason: str
    not_: StepQuery
    or_: list[StepQuery]


Query = StepQuery | Callable[[Any], bool]

_QUERY_KEYS = frozenset(StepQuery.__annotations__)


def _step_error(step: Step) -> str | None:
    return getattr(step, "error", None)


def matches_query(step: Step, query: StepQuery) -> bool:
    """Whether `step` satisfies every key of `query` (unknown keys are an error naming the valid ones)."""
    unknown = set(query) - _QUERY_KEYS
    if unknown:
        raise TypeError(f"unknown query key(s) {sorted(unknown)}; valid keys: {sorted(_QUERY_KEYS)}")
    for key, want in query.items():
        if key == "kind":
            if step.kind != want:
                return False
        elif key == "name":
            if step.name != want:
                return False
        elif key == "name_matches":
            if not re.search(str(want), step.name or ""):
                return False
        elif key == "agent":
            if getattr(step, "agent", getattr(step, "name", None)) != want:
                return False
        elif key == "has_error":
            if bool(_step_error(step)) != bool(want):
                return False
        elif key == "arguments":
            args = getattr(step, "arguments", None)
            wanted: dict[str, Any] = want  # type: ignore[assignment]
            if not isinstance(args, dict) or any(args.get(k, _MISSING) != v for k, v in wanted.items()):
                return False
        elif key == "model":
            if not isinstance(step, LLMCall) or want not in (step.request_model, step.response_model):
                return False
        elif key == "finish_reason":
            if not isinstance(step, LLMCall) or want not in step.finish_reasons:
                return False
        elif key == "not_":
            if matches_query(step, want):  # type: ignore[arg-type]
                return False
        elif key == "or_":
            alternatives: list[StepQuery] = want  # type: ignore[assignment]
            if not any(matches_query(step, q) for q in alternatives):
                return False
    return True


_MISSING = object()


# ------------------------------------------------------------------------------------------------------ trace


@dataclass(frozen=True, slots=True, kw_only=True)
class Totals:
    """Counts and token sums over a trace, counted once (only model-call steps carry tokens)."""

    llm_calls: int
    tool_calls: int
    agents: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    errors: int

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def to_dict(self) -> dict[str, int]:
        return {
            "llm_calls": self.llm_calls,
            "tool_calls": self.tool_calls,
            "agents": self.agents,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "total_tokens": self.total_tokens,
            "errors": self.errors,
        }


#: `Totals(...)`, built faster (`_fastinit`): every test's report asks for its trace's totals.
_new_totals = fast_constructor(Totals)


class ToolNames(list[str]):
    """A plain list of tool names; its own type lets `pytest_assertrepr_compare` explain a mismatch."""


class Trace:
    """What an agent did: the span tree (one or several roots and trace ids) and its normalized steps.

    Build one with `Trace.from_records(records)` or `pytest_agenttrace.load_trace(path)`; in a test, the
    `agent_trace` fixture hands you the current test's trace.
    """

    __slots__ = (
        "_final_output",
        "_nodes",
        "_tool_names",
        "_totals",
        "agents",
        "cost_table",
        "llm_calls",
        "records",
        "retrievals",
        "roots",
        "source",
        "steps",
        "tool_calls",
        "warnings",
    )

    def __init__(
        self,
        *,
        records: Sequence[SpanRecord],
        roots: Sequence[SpanNode],
        nodes: dict[str, SpanNode],
        agents: Sequence[AgentRun] = (),
        llm_calls: Sequence[LLMCall] = (),
        tool_calls: Sequence[ToolCall] = (),
        retrievals: Sequence[Retrieval] = (),
        final_output: Any = None,
        warnings: Sequence[str] = (),
        source: str | None = None,
    ) -> None:
        self.records = tuple(records)
        self.roots = tuple(roots)
        self._nodes = nodes
        self.agents = tuple(agents)
        self.llm_calls = tuple(llm_calls)
        self.tool_calls = tuple(tool_calls)
        # made here, while the calls are in cache: `tool_names` then copies a compact tuple of (shared) strings
        # instead of visiting every ToolCall object again (which, in a trace of 100k spans, costs a cache miss each)
        self._tool_names = tuple(map(_name, self.tool_calls))
        self.retrievals = tuple(retrievals)
        steps: list[Step] = [*self.agents, *self.llm_calls, *self.tool_calls, *self.retrievals]
        steps.sort(key=_start_ns)  # stable, agents listed first: agents sort before steps that start with them
        self.steps: tuple[Step, ...] = tuple(steps)
        self._final_output = final_output
        self.warnings = tuple(warnings)
        self.source = source
        self._totals: Totals | None = None
        self.cost_table: Any = None

    # -- construction ------------------------------------------------------------------------------------
    @classmethod
    def from_records(cls, records: Sequence[SpanRecord], *, source: str | None = None) -> Trace:
        """Build a trace from span records: tree, normalized steps, counting rules."""
        from . import _build  # imported on use: it imports this module

        return _build.build_trace(records, source=source)

    @classmethod
    def empty(cls) -> Trace:
        return cls(records=(), roots=(), nodes={})

    # -- basic views -------------------------------------------------------------------------------------
    @property
    def trace_ids(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for r in self.records:
            seen.setdefault(r.trace_id, None)
        return tuple(seen)

    def __len__(self) -> int:
        return len(self.records)

    def __bool__(self) -> bool:
        return bool(self.records)

    def span(self, span_id: str) -> SpanNode:
        """The node of a span id (KeyError naming the id when absent)."""
        try:
            return self._nodes[span_id]
        except KeyError:
            raise KeyError(f"no span with id {span_id!r} in this trace ({len(self._nodes)} spans)") from None

    def iter_spans(self) -> Iterator[SpanNode]:
        """Every span node, depth first from the roots in start order."""
        for root in self.roots:
            yield root
            yield from root.descendants()

    @property
    def tool_names(self) -> ToolNames:
        """Tool names in call order: `assert agent_trace.tool_names == ["get_order", "refund_order"]` (a failing
        comparison prints the trajectory side by side)."""
        return ToolNames(self._tool_names)

    @property
    def executed_tool_calls(self) -> tuple[ToolCall, ...]:
        """Tool calls a tool span shows were run (calls known only from the model's messages left out: the model
        asked, but the agent may have refused, or its tools are not instrumented)."""
        return tuple(t for t in self.tool_calls if t.span_id is not None)

    @property
    def cost_usd(self) -> float:
        """Total cost of the LLM calls (recorded cost, else genai-prices, else `[tool.agenttrace.prices]`)."""
        from . import cost

        return cost.trace_cost(self, prices=self.cost_table)

    def call_costs(self) -> list[float]:
        """The cost of each LLM call, in order."""
        from .cost import call_cost

        return [call_cost(c, prices=self.cost_table) for c in self.llm_calls]

    @property
    def agent_names(self) -> list[str]:
        return [a.name for a in self.agents]

    @property
    def final_output(self) -> Any:
        """The root agent's recorded output, else the last LLM call's text answer, else None."""
        return self._final_output

    # -- totals ------------------------------------------------------------------------------------------
    @property
    def totals(self) -> Totals:
        if self._totals is None:
            llm = self.llm_calls
            input_tokens = output_tokens = cache_read_tokens = cache_write_tokens = 0
            for c in llm:
                input_tokens += c.input_tokens or 0
                output_tokens += c.output_tokens or 0
                cache_read_tokens += c.cache_read_tokens or 0
                cache_write_tokens += c.cache_write_tokens or 0
            errors = 0
            for s in self.steps:
                if getattr(s, "error", None):
                    errors += 1
            self._totals = _new_totals(
                llm_calls=len(llm),
                tool_calls=len(self.tool_calls),
                agents=len(self.agents),
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_read_tokens=cache_read_tokens,
                cache_write_tokens=cache_write_tokens,
                errors=errors,
            )
        return self._totals

    @property
    def input_tokens(self) -> int:
        return self.totals.input_tokens

    @property
    def output_tokens(self) -> int:
        return self.totals.output_tokens

    @property
    def total_tokens(self) -> int:
        return self.totals.total_tokens

    @property
    def errors(self) -> list[Step]:
        return [s for s in self.steps if getattr(s, "error", None)]

    # -- queries -----------------------------------------------------------------------------------------
    def _iter_matches(self, query: Query | None, fields: dict[str, Any]) -> Iterator[Step]:
        if query is not None and fields:
            raise TypeError("pass either a query (dict or predicate) or keyword fields, not both")
        q: Query = query if query is not None else fields  # type: ignore[assignment]
        if callable(q):
            for step in self.steps:
                if q(step):
                    yield step
        else:
            for step in self.steps:
                if matches_query(step, q):
                    yield step

    def find(self, query: Query | None = None, /, **fields: Any) -> list[Step]:
        """All steps matching a declarative query (`{"kind": "tool", "name": "x"}` or `kind="tool", name="x"`)
        or a predicate, in start order."""
        return list(self._iter_matches(query, fields))

    def first(self, query: Query | None = None, /, **fields: Any) -> Step | None:
        """The first matching step, or None."""
        return next(self._iter_matches(query, fields), None)

    def any(self, query: Query | None = None, /, **fields: Any) -> bool:
        """Whether some step matches."""
        return next(self._iter_matches(query, fields), None) is not None

    def find_spans(self, predicate: Callable[[SpanNode], bool]) -> list[SpanNode]:
        """Raw span nodes matching a predicate (for data the normalizers do not model)."""
        return [n for n in self.iter_spans() if predicate(n)]

    def for_agent(self, name: str) -> list[Step]:
        """Steps made by the agent called `name` (LLM and tool calls), in order."""
        return [s for s in self.steps if getattr(s, "agent", None) == name and not isinstance(s, AgentRun)]

    # -- serialization -----------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The normalized trace as JSON-safe data (the schema of `agenttrace show --json`)."""
        from ._render import trace_to_json

        return trace_to_json(self)

    def save(self, path: str | PathLike[str]) -> None:
        """Write the spans in the project's own trace format (atomically; `.gz` compresses)."""
        from .formats import save_trace

        save_trace(self, path)

    def render(self, *, max_value: int = 80) -> str:
        """A readable tree of the trajectory (what `repr` and `agenttrace show` print)."""
        from ._render import render_tree

        return render_tree(self, max_value=max_value)

    def __repr__(self) -> str:
        return self.render()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        return self.records == other.records

    __hash__ = None  # type: ignore[assignment]


#: The order of `Trace.steps`: by start; at the same ns an agent before the steps it contains (a stable sort of the
#: steps with the agents first does that without a second key).
_start_ns = attrgetter("start_ns")
_name = attrgetter("name")


def unlink_tree(trace: Trace) -> None:
    """Drop the parent links of a trace's span tree. Only for a trace nobody else holds (the plugin's per-test
    build): parent and children point at each other, so without this the whole trace is cyclic garbage that waits
    for the cyclic GC; without the cycles refcounting frees it the moment it is dropped."""
    for node in trace._nodes.values():
        node.parent = None


def parse_json_maybe(value: Any) -> Any:
    """Parse a JSON string into data; leave anything else (or invalid JSON) as is."""
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in ("{", "[", '"') or s in ("true", "false", "null") or _NUMBER.fullmatch(s):
            # `json.loads(s)` without its wrappers (`loads`, `decode`, `raw_decode`: half the cost on small strings):
            # `s` is stripped, so the document must end exactly at the end of `s`
            try:
                data, end = _scan_json(s, 0)
            except (StopIteration, ValueError):  # (no value at all / a malformed one)
                return value
            return data if end == len(s) else value
    return value


_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
#: What `JSONDecoder.raw_decode` calls: the C scanner, which raises StopIteration when no value starts at the index.
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
