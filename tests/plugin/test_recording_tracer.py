"""`_tracer.RecordingTracerProvider`: the spans it records are the records the SDK path gives for the same program.

The differential property runs one generated span program twice, through an SDK `TracerProvider` with the capture
processor (the path for a user's own provider) and through the recording provider (the one the plugin installs),
and compares the records with ids renumbered and times dropped.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from pytest_agenttrace import _capture
from pytest_agenttrace._records import SpanRecord
from pytest_agenttrace._tracer import RecordingTracerProvider, _RecordingSpan

RESOURCE = Resource.create({"service.name": "differential"})


class _NoStr:
    """An attribute value the SDK cannot turn into a string (no __str__/__repr__ of its own): stored as None."""

    __slots__ = ()


class _Custom:
    """A value with its own __str__: the SDK stores str(value)."""

    def __str__(self) -> str:
        return "custom!"


# ------------------------------------------------------------------------------------------------ strategies

keys = st.one_of(st.sampled_from(["gen_ai.operation.name", "a", "b", "tool"]), st.text(max_size=6))
scalars = st.one_of(
    st.text(max_size=8),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.booleans(),
)
values = st.one_of(
    scalars,
    st.none(),
    st.binary(max_size=4),
    st.lists(scalars, max_size=3),
    st.lists(st.one_of(scalars, st.none()), max_size=3).map(tuple),
    st.dictionaries(st.text(max_size=4), scalars, max_size=2),
    st.dictionaries(st.integers(0, 3), scalars, max_size=2),  # non-str keys inside a mapping value
    st.sampled_from([_Custom(), _NoStr(), object]),
)
attr_maps = st.dictionaries(st.one_of(keys, st.integers(0, 2)), values, max_size=5)

ops = st.one_of(
    st.tuples(st.just("set_attribute"), st.one_of(keys, st.integers(0, 2), st.none()), values),
    st.tuples(st.just("set_attributes"), attr_maps),
    st.tuples(st.just("add_event"), st.text(max_size=5), st.one_of(st.none(), attr_maps)),
    st.tuples(st.just("update_name"), st.text(max_size=5)),
    st.tuples(
        st.just("set_status"),
        st.sampled_from(["status", "code"]),
        st.sampled_from([StatusCode.UNSET, StatusCode.OK, StatusCode.ERROR]),
        st.one_of(st.none(), st.text(max_size=5)),
    ),
    st.tuples(st.just("record_exception"), st.text(max_size=5), st.booleans()),
    st.tuples(st.just("many_attributes"), st.integers(120, 135)),
    st.tuples(st.just("many_events"), st.integers(126, 131)),
)


@dataclass
class Node:
    name: str
    kind: SpanKind
    how: str  # "current" (start_as_current_span), "span_cm" (with start_span(...)), "manual" (start/end)
    attributes: dict[Any, Any] | None
    ops: list[tuple[Any, ...]]
    raises: bool
    after_end: list[tuple[Any, ...]]
    children: list[Node] = field(default_factory=list)


def nodes(depth: int) -> st.SearchStrategy[Node]:
    children = st.lists(nodes(depth - 1), max_size=2) if depth > 0 else st.just([])
    return st.builds(
        Node,
        name=st.text(max_size=6),
        kind=st.sampled_from(list(SpanKind)),
        how=st.sampled_from(["current", "span_cm", "manual"]),
        attributes=st.one_of(st.none(), attr_maps),
        ops=st.lists(ops, max_size=4),
        raises=st.booleans(),
        after_end=st.lists(ops, max_size=1),
        children=children,
    )


parents = st.sampled_from(["none", "remote_sampled", "remote_unsampled", "local_unsampled"])


# --------------------------------------------------------------------------------------------------- running


def _apply(span: trace_api.Span, op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind == "set_attribute":
        span.set_attribute(op[1], op[2])
    elif kind == "set_attributes":
        span.set_attributes(op[1])
    elif kind == "add_event":
        span.add_event(op[1], op[2], timestamp=1)
    elif kind == "update_name":
        span.update_name(op[1])
    elif kind == "set_status":
        status = Status(op[2], op[3]) if op[1] == "status" else op[2]
        span.set_status(status, op[3] if op[1] == "code" else None)
    elif kind == "record_exception":
        try:
            raise KeyError(op[1])
        except KeyError as exc:
            span.record_exception(exc, {"extra": 1}, timestamp=2, escaped=op[2])
    elif kind == "many_attributes":
        for i in range(op[1]):
            span.set_attribute(f"k{i}", i)
    elif kind == "many_events":
        for i in range(op[1]):
            span.add_event(f"e{i}", {"i": i}, timestamp=3)


class _Boom(Exception):
    pass


def _run_node(tracer: trace_api.Tracer, node: Node, ctx: context_api.Context | None) -> None:
    def body(span: trace_api.Span) -> None:
        for op in node.ops:
            _apply(span, op)
        for child in node.children:
            _run_node(tracer, child, None)
        if node.raises:
            raise _Boom(node.name)

    try:
        if node.how == "current":
            with tracer.start_as_current_span(
                node.name, context=ctx, kind=node.kind, attributes=node.attributes, start_time=10
            ) as span:
                body(span)
        elif node.how == "span_cm":
            with tracer.start_span(node.name, context=ctx, kind=node.kind, attributes=node.attributes) as span:
                body(span)
        else:
            span = tracer.start_span(node.name, context=ctx, kind=node.kind, attributes=node.attributes)
            try:
                body(span)
            finally:
                span.end(end_time=20)
    except _Boom:
        pass
    for op in node.after_end:  # ignored (with a warning) by both: the span has ended
        _apply(span, op)
    if node.after_end:
        span.end()


def _parent_context(parent: str) -> context_api.Context | None:
    if parent == "none":
        return None
    sampled = TraceFlags(TraceFlags.SAMPLED if parent == "remote_sampled" else TraceFlags.DEFAULT)
    remote = parent.startswith("remote")
    span = NonRecordingSpan(SpanContext(0xABC, 0xDEF, is_remote=remote, trace_flags=sampled))
    return trace_api.set_span_in_context(span)


def _records(make: Callable[[], TracerProvider], program: Node, parent: str) -> list[SpanRecord]:
    got: list[SpanRecord] = []
    _capture.push_sink(got.append)
    provider = make()
    try:
        _run_node(provider.get_tracer("diff.scope", "1.0"), program, _parent_context(parent))
    finally:
        _capture.pop_sink(got.append)
        provider.shutdown()
    return got


def _sdk() -> TracerProvider:
    provider = TracerProvider(resource=RESOURCE, shutdown_on_exit=False)
    _capture.attach(provider)
    return provider


def _recording() -> TracerProvider:
    provider = RecordingTracerProvider(resource=RESOURCE, shutdown_on_exit=False)
    _capture.attach(provider)
    assert provider.fast
    return provider


def _normal(records: list[SpanRecord]) -> list[tuple[Any, ...]]:
    """Records with ids renumbered by first appearance, times dropped and stack traces cut to their last line."""
    ids: dict[str | None, int] = {None: -1}

    def num(x: str | None) -> int:
        return ids.setdefault(x, len(ids))

    out = []
    for r in records:
        events = tuple(
            (
                e.name,
                {
                    k: (v.strip().splitlines()[-1] if k == "exception.stacktrace" else v)
                    for k, v in e.attributes.items()
                },
            )
            for e in r.events
        )
        out.append(
            (
                num(r.trace_id),
                num(r.span_id),
                num(r.parent_id),
                r.name,
                r.kind,
                r.status_code,
                r.status_message,
                repr(r.attributes),  # repr: keeps key order and compares floats such as -0.0 exactly
                repr(events),
                r.resource,
                r.scope_name,
                r.scope_version,
            )
        )
    return out


def _edge(*ops: tuple[Any, ...], attributes: dict[Any, Any] | None = None) -> Node:
    """A one-span program for an edge case the generator finds only rarely."""
    return Node("edge", SpanKind.CLIENT, "current", attributes, list(ops), False, [])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=nodes(2), parent=parents)
@example(  # a key set again moves to the end, as in BoundedAttributes
    _edge(
        ("set_attribute", "a", 1),
        ("set_attribute", "b", 2),
        ("set_attribute", "a", 4),
        ("set_attributes", {"b": 3}),
        attributes={"c": 0},
    ),
    "none",
)
@example(_edge(("many_attributes", 130), ("set_attribute", "k0", "again")), "none")  # over the 128 limit
@example(_edge(("many_events", 130)), "none")  # over the 128-event limit: the oldest are dropped
@example(_edge(("set_status", "code", StatusCode.OK, "d"), ("set_status", "status", StatusCode.ERROR, "late")), "none")
def test_records_equal_the_sdk_path(program: Node, parent: str) -> None:
    logging.disable(logging.WARNING)  # both paths warn about ended spans and invalid values; not compared here
    try:
        sdk = _records(_sdk, program, parent)
        ours = _records(_recording, program, parent)
    finally:
        logging.disable(logging.NOTSET)
    assert _normal(ours) == _normal(sdk)


# ------------------------------------------------------------------------------------------------- examples


def test_fast_spans_are_recording_spans_of_the_plugin_provider(sink: list[SpanRecord]) -> None:
    provider = _recording()
    tracer = provider.get_tracer("t", "2")
    with tracer.start_as_current_span("outer", attributes={"n": math.nan}) as outer:
        assert isinstance(outer, _RecordingSpan) and outer.is_recording()
        assert trace_api.get_current_span() is outer
        assert outer.attributes["n"] != outer.attributes["n"]  # NaN kept as a value
        assert outer.name == "outer" and outer.kind is SpanKind.INTERNAL and outer.end_time is None
    assert not outer.is_recording() and outer.end_time is not None
    (record,) = sink
    assert (record.name, record.scope_name, record.scope_version) == ("outer", "t", "2")
    assert record.resource["service.name"] == "differential"


def test_another_processor_switches_the_provider_to_sdk_spans(sink: list[SpanRecord]) -> None:
    provider = _recording()
    tracer = provider.get_tracer("t")
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    assert not provider.fast
    with tracer.start_as_current_span("exported") as span:
        assert not isinstance(span, _RecordingSpan)
    assert [s.name for s in exporter.get_finished_spans()] == ["exported"]
    assert [r.name for r in sink] == ["exported"]  # still captured, through the capture processor


def test_settings_the_fast_path_cannot_honour_use_sdk_spans(sink: list[SpanRecord]) -> None:
    for provider in (
        RecordingTracerProvider(sampler=ALWAYS_ON, shutdown_on_exit=False),
        RecordingTracerProvider(span_limits=SpanLimits(max_span_attribute_length=3), shutdown_on_exit=False),
    ):
        _capture.attach(provider)
        assert not provider.fast
        with provider.get_tracer("t").start_as_current_span("s", attributes={"long": "abcdef"}) as span:
            assert not isinstance(span, _RecordingSpan)
    assert [r.attributes for r in sink] == [{"long": "abcdef"}, {"long": "abc"}]


def test_unsampled_parent_makes_no_record(sink: list[SpanRecord]) -> None:
    tracer = _recording().get_tracer("t")
    with tracer.start_as_current_span("dropped", context=_parent_context("remote_unsampled")) as span:
        assert not span.is_recording()
    assert sink == []


def test_disabled_sdk_gives_the_sdks_no_op_tracer(monkeypatch: pytest.MonkeyPatch, sink: list[SpanRecord]) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    provider = RecordingTracerProvider(shutdown_on_exit=False)
    assert isinstance(provider.get_tracer("t"), trace_api.NoOpTracer)


def test_long_attribute_values_are_cut_with_a_marker(monkeypatch: pytest.MonkeyPatch, sink: list[SpanRecord]) -> None:
    monkeypatch.setattr(_capture, "max_attr_chars", 5)
    for make in (_recording, _sdk):
        tracer = make().get_tracer("t")
        with tracer.start_as_current_span("s", attributes={"short": "abc", "long": "abcdefgh"}) as span:
            span.set_attribute("list", ["ok", "toolong"])
            span.add_event("e", {"text": "0123456789"})
        # only attributes given at start (the span's plain dict is never switched to the SDK's container)
        with tracer.start_as_current_span("initial", attributes={"short": "abc", "long": "abcdefgh", "n": 1}):
            pass
    assert [r.name for r in sink] == ["s", "initial"] * 2
    for record in sink[::2]:
        assert record.attributes == {
            "short": "abc",
            "long": "abcde...[truncated 3 chars]",
            "list": ("ok", "toolo...[truncated 2 chars]"),
        }
        assert record.events[0].attributes == {"text": "01234...[truncated 5 chars]"}
    for record in sink[1::2]:
        assert record.attributes == {"short": "abc", "long": "abcde...[truncated 3 chars]", "n": 1}


@pytest.mark.asyncio
async def test_start_as_current_span_decorates_sync_and_async_functions(sink: list[SpanRecord]) -> None:
    tracer = _recording().get_tracer("t")

    @tracer.start_as_current_span("sync")
    def sync() -> str:
        return trace_api.get_current_span().name  # type: ignore[attr-defined,no-any-return]

    @tracer.start_as_current_span("async")
    async def run() -> str:
        return trace_api.get_current_span().name  # type: ignore[attr-defined,no-any-return]

    assert sync() == "sync"
    assert await run() == "async"
    assert [r.name for r in sink] == ["sync", "async"]
    assert all(r.end_ns >= r.start_ns > 0 for r in sink)


def test_get_tracer_returns_one_tracer_per_scope() -> None:
    provider = _recording()
    first = provider.get_tracer("scope", "1")
    assert provider.get_tracer("scope", "1") is first
    assert provider.get_tracer("scope", "2") is not first
    with_attributes = provider.get_tracer("scope", "1", attributes={"a": 1})
    assert with_attributes is not first and isinstance(with_attributes, trace_api.Tracer)


class _Stop(BaseException):
    """Not an `Exception`: `use_span` neither records it nor sets the error status."""


@pytest.mark.parametrize("raised", [ValueError("bad"), _Stop("stop")])
def test_an_escaping_exception_is_handled_as_by_the_sdk(raised: BaseException) -> None:
    def program(make: Callable[[], TracerProvider]) -> list[tuple[Any, ...]]:
        got: list[SpanRecord] = []
        _capture.push_sink(got.append)
        try:
            tracer = make().get_tracer("t")

            @tracer.start_as_current_span("decorated", record_exception=False)
            def decorated() -> None:
                raise raised

            with pytest.raises(type(raised)):
                decorated()
            with pytest.raises(type(raised)), tracer.start_as_current_span("with", set_status_on_exception=False):
                raise raised
        finally:
            _capture.pop_sink(got.append)
        return _normal(got)

    ours = program(_recording)
    assert ours == program(_sdk)
    assert [r[3] for r in ours] == ["decorated", "with"]
    statuses = {r[3]: (r[5], r[8]) for r in ours}
    if isinstance(raised, Exception):
        assert statuses["decorated"] == ("ERROR", "()") and statuses["with"][0] == "UNSET"
        assert "exception" in statuses["with"][1]
    else:
        assert statuses == {"decorated": ("UNSET", "()"), "with": ("UNSET", "()")}
