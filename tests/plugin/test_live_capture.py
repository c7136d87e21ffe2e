"""`_capture`: SDK span -> SpanRecord conversion, one processor per provider, the sink stack."""

from __future__ import annotations

import gc
import logging

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanKind, Status, StatusCode

from pytest_agenttrace import _capture
from pytest_agenttrace._records import SpanRecord


@pytest.fixture
def provider() -> TracerProvider:
    tp = TracerProvider(resource=Resource.create({"service.name": "svc"}))
    _capture.attach(tp)
    return tp


def test_span_becomes_a_plain_record(provider: TracerProvider, sink: list[SpanRecord]) -> None:
    tracer = provider.get_tracer("my.scope", "1.2")
    attrs = {"gen_ai.usage.input_tokens": 3, "tags": ["a", "b"]}
    with (
        tracer.start_as_current_span("parent") as parent,
        tracer.start_as_current_span("chat", kind=SpanKind.CLIENT, attributes=attrs) as span,
    ):
        span.add_event("gen_ai.choice", {"index": 0})
        span.set_status(Status(StatusCode.ERROR, "boom"))
    chat, root = sink
    pctx, cctx = parent.get_span_context(), span.get_span_context()
    assert chat.trace_id == format(cctx.trace_id, "032x") and len(chat.trace_id) == 32
    assert chat.span_id == format(cctx.span_id, "016x") and chat.span_id == chat.span_id.lower()
    assert chat.parent_id == format(pctx.span_id, "016x") and root.parent_id is None
    assert (chat.name, chat.kind, root.kind) == ("chat", "CLIENT", "INTERNAL")
    assert (chat.status_code, chat.status_message, root.status_code) == ("ERROR", "boom", "UNSET")
    assert chat.attributes == {"gen_ai.usage.input_tokens": 3, "tags": ("a", "b")}
    assert type(chat.attributes) is dict
    assert [(e.name, e.attributes) for e in chat.events] == [("gen_ai.choice", {"index": 0})]
    assert chat.events[0].time_ns > 0
    assert 0 < chat.start_ns <= chat.end_ns
    assert chat.resource["service.name"] == "svc"
    assert chat.resource is root.resource  # one dict per Resource
    assert (chat.scope_name, chat.scope_version) == ("my.scope", "1.2")


def test_fast_constructor_matches_the_dataclass() -> None:
    args = ("a" * 32, "b" * 16, "n", None, "INTERNAL", 1, 2, "OK", "", {"k": 1}, (), {}, "s", "v")
    fast = _capture._make_record(*args)
    assert fast == SpanRecord(*args)
    assert isinstance(fast, SpanRecord)


def test_readable_span_from_elsewhere_uses_public_properties() -> None:
    from opentelemetry.trace import SpanContext

    class Foreign:  # a span-like object without the SDK's private fields
        name = "x"
        context = SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=False)
        parent = None
        kind = SpanKind.SERVER
        status = Status(StatusCode.OK)
        attributes = {"a": 1}
        events = ()
        resource = Resource.create({"service.name": "foreign"})
        instrumentation_scope = InstrumentationScope("sc")
        start_time = 5
        end_time = 6

    record = _capture.span_to_record(Foreign())  # type: ignore[arg-type]
    assert (record.trace_id, record.span_id, record.parent_id) == ("0" * 29 + "abc", "0" * 13 + "def", None)
    assert (record.kind, record.status_code, record.start_ns, record.end_ns) == ("SERVER", "OK", 5, 6)
    assert (record.attributes, record.scope_name, record.scope_version) == ({"a": 1}, "sc", "")
    assert record.resource["service.name"] == "foreign"


def test_attach_is_idempotent_and_keeps_user_processors(sink: list[SpanRecord]) -> None:
    exporter = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    _capture.attach(tp)
    _capture.attach(tp)
    assert _capture.is_attached(tp)
    with tp.get_tracer("x").start_as_current_span("once"):
        pass
    assert [r.name for r in sink] == ["once"]
    assert [s.name for s in exporter.get_finished_spans()] == ["once"]


def test_attach_refuses_a_non_sdk_provider() -> None:
    from opentelemetry.trace import NoOpTracerProvider

    with pytest.raises(TypeError, match=r"needs an opentelemetry.sdk.trace.TracerProvider, got 'NoOpTracerProvider'"):
        _capture.attach(NoOpTracerProvider())  # type: ignore[arg-type]
    assert not _capture.is_attached(NoOpTracerProvider())


def test_registry_does_not_keep_providers_alive() -> None:
    tp = TracerProvider(shutdown_on_exit=False)  # (the default registers an atexit hook that keeps it alive)
    _capture.attach(tp)
    before = len(_capture._processors)
    del tp
    gc.collect()
    assert len(_capture._processors) == before - 1


def test_sinks_nest_and_nothing_is_converted_without_one(provider: TracerProvider) -> None:
    outer: list[SpanRecord] = []
    inner: list[SpanRecord] = []
    tracer = provider.get_tracer("x")
    with tracer.start_as_current_span("nobody listens"):
        pass
    _capture.push_sink(outer.append)
    with tracer.start_as_current_span("outer 1"):
        pass
    _capture.push_sink(inner.append)
    with tracer.start_as_current_span("inner"):
        pass
    _capture.pop_sink(inner.append)
    with tracer.start_as_current_span("outer 2"):
        pass
    _capture.pop_sink(outer.append)
    with tracer.start_as_current_span("nobody again"):
        pass
    assert [r.name for r in outer] == ["outer 1", "outer 2"]
    assert [r.name for r in inner] == ["inner"]


def test_a_failing_sink_never_raises_into_the_instrumented_code(
    provider: TracerProvider, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(record: SpanRecord) -> None:
        raise RuntimeError("sink broke")

    _capture.push_sink(broken)
    try:
        with (
            caplog.at_level(logging.ERROR, logger="pytest_agenttrace._capture"),
            provider.get_tracer("x").start_as_current_span("still fine"),
        ):
            pass
    finally:
        _capture.pop_sink(broken)
    assert "could not capture span 'still fine'" in caplog.text


def test_span_ids_do_not_follow_the_global_random_seed() -> None:
    # hypothesis reseeds `random` for every example; ids of the plugin's provider must not repeat
    import random

    from pytest_agenttrace._capture import new_provider

    provider = new_provider()
    tracer = provider.get_tracer("t")
    ids = set()
    for _ in range(3):
        random.seed(0)
        with tracer.start_as_current_span("s") as s:
            ids.add(s.get_span_context().span_id)
    assert len(ids) == 3
