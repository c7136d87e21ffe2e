"""Live capture: one span processor per SDK `TracerProvider` that turns each ended span into a `SpanRecord` at once.

The processor keeps no SDK object (records are plain data; resources are shared per `Resource`), which is where
capture speed is won: see PERF.md. The SDK cannot remove a span processor and `set_tracer_provider` works once
per process, so there is exactly one processor per provider (a module-level registry) and the processors deliver
to a "sink" that the running pytest session pushes on configure and pops on unconfigure (inline `pytester` runs
nest sessions in one process: the innermost session gets the spans).

This module and `_tracer` (the provider the plugin installs) are the only ones that import the OpenTelemetry SDK; the
plugin imports them only when capture is enabled.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import weakref
from collections.abc import Callable
from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

from ._fastinit import fast_constructor
from ._records import SpanEvent, SpanRecord
from ._sizes import DEFAULT_MAX_ATTR_CHARS, cap_value, exceeds

__all__ = [
    "CaptureProcessor",
    "attach",
    "ensure_global_provider",
    "is_attached",
    "new_provider",
    "pop_sink",
    "push_sink",
    "span_to_record",
]

_log = logging.getLogger(__name__)

#: Receives every converted record; called on the thread that ended the span.
Sink = Callable[[SpanRecord], None]

SERVICE_NAME = "pytest-agenttrace"


# -------------------------------------------------------------------------------------------- sinks (sessions)

_lock = threading.Lock()
_sink_stack: list[Sink] = []
#: The active sink (top of the stack), read without the lock on the hot path.
_active_sink: Sink | None = None


def push_sink(sink: Sink) -> None:
    """Make `sink` receive every captured span until `pop_sink(sink)` (sessions nest: the newest wins)."""
    global _active_sink
    with _lock:
        _sink_stack.append(sink)
        _active_sink = sink


def pop_sink(sink: Sink) -> None:
    """Stop delivering to `sink`; the previous sink (an outer session), if any, receives spans again."""
    global _active_sink
    with _lock:
        for i in range(len(_sink_stack) - 1, -1, -1):
            if _sink_stack[i] == sink:  # bound methods are equal, not identical
                del _sink_stack[i]
                break
        _active_sink = _sink_stack[-1] if _sink_stack else None


# ------------------------------------------------------------------------------------------------- conversion

# id(Resource) -> (resource, its attributes as one shared dict); the resource is kept so its id is not reused.
_resources: dict[int, tuple[Resource, dict[str, Any]]] = {}
_last_resource: tuple[Resource | None, dict[str, Any]] = (None, {})


def resource_attrs(resource: Resource | None) -> dict[str, Any]:
    """The attributes of a resource as one dict shared by every record of it (a resource is immutable)."""
    global _last_resource
    last = _last_resource  # one-slot cache: spans of a run mostly share one resource
    if last[0] is resource:
        return last[1]
    if resource is None:
        return {}
    hit = _resources.get(id(resource))
    if hit is None or hit[0] is not resource:
        hit = (resource, dict(resource.attributes))
        with _lock:
            if len(_resources) > 1000:  # providers are few; this only bounds a pathological churn
                _resources.clear()
            _resources[id(resource)] = hit
    _last_resource = hit
    return hit[1]


#: Attribute strings longer than this are cut with a marker (`AGENTTRACE_MAX_ATTR_CHARS`, as for trace files);
#: the session sets it when it starts.
max_attr_chars = DEFAULT_MAX_ATTR_CHARS


def capped(attrs: dict[str, Any]) -> dict[str, Any]:
    """`attrs` itself, or a copy whose strings over `max_attr_chars` are cut and marked (`_sizes.truncate`)."""
    limit = max_attr_chars
    for v in attrs.values():
        t = type(v)
        if t is str:
            if len(v) > limit:
                break
        elif (t is tuple or t is dict) and exceeds(v, limit):
            break
    else:
        return attrs
    return {k: cap_value(v, limit) for k, v in attrs.items()}


#: `SpanRecord(...)` with the slots set directly, ~1.7x faster than the frozen dataclass `__init__` (`_fastinit`);
#: the converter below passes every field positionally, in `SpanRecord`'s order.
_make_record = fast_constructor(SpanRecord)


def span_to_record(span: ReadableSpan) -> SpanRecord:
    """Convert one ended SDK span to a plain `SpanRecord` (lowercase hex ids, names for kind and status)."""
    ctx: Any
    parent: Any
    try:  # the SDK's own fields: ~2x faster than its properties, which copy (events) or wrap (attributes)
        ctx = span._context
        parent = span._parent
        status = span._status
        scope = span._instrumentation_scope
        raw_attrs: Any = span._attributes
        raw_events: Any = span._events
        kind = span._kind
        name = span._name
        start, end, resource = span._start_time, span._end_time, span._resource
    except AttributeError:  # another ReadableSpan implementation: the public properties
        ctx, parent, status, scope = span.context, span.parent, span.status, span.instrumentation_scope
        raw_attrs, raw_events, kind, name = span.attributes, span.events, span.kind, span.name
        start, end, resource = span.start_time, span.end_time, span.resource
    events: tuple[SpanEvent, ...] = ()
    if raw_events:
        events = tuple(SpanEvent(e.name, e.timestamp, capped(dict(e.attributes or {}))) for e in raw_events)
    return _make_record(
        "%032x" % ctx.trace_id,  # noqa: UP031 (%-format is 2.5x faster than format() here)
        "%016x" % ctx.span_id,  # noqa: UP031
        name,
        None if parent is None else "%016x" % parent.span_id,  # noqa: UP031
        kind._name_,  # the enum member's name without the slow `.name` property
        start or 0,
        end or 0,
        status.status_code._name_,
        status.description or "",
        capped(raw_attrs.copy()) if raw_attrs else {},
        events,
        resource_attrs(resource),
        "" if scope is None else scope.name,
        "" if scope is None else (scope.version or ""),
    )


# -------------------------------------------------------------------------------------------------- processor


class CaptureProcessor(SpanProcessor):
    """Converts each ended span to a `SpanRecord` and hands it to the active sink; never raises into user code."""

    def on_end(self, span: ReadableSpan) -> None:
        sink = _active_sink
        if sink is None:
            return
        try:
            sink(span_to_record(span))
        except Exception:  # an exporter must never break the instrumented code
            _log.exception("pytest-agenttrace could not capture span %r", getattr(span, "name", span))


# provider -> its one processor (weak: a provider dropped by the user takes its processor with it)
_processors: weakref.WeakKeyDictionary[TracerProvider, CaptureProcessor] = weakref.WeakKeyDictionary()


def attach(provider: TracerProvider) -> None:
    """Capture the spans of `provider` during pytest runs with `--agenttrace` (idempotent; adds one processor).

    Use it for a provider you pass to an instrumentor yourself: `attach(my_provider)`. Existing processors and
    exporters are left alone.
    """
    if not isinstance(provider, TracerProvider):
        raise TypeError(
            f"attach() needs an opentelemetry.sdk.trace.TracerProvider, got {type(provider).__qualname__!r}; "
            "pass the SDK provider your instrumentor uses (or use the agenttrace_tracer_provider fixture)"
        )
    with _lock:
        if provider in _processors:
            return
        processor = CaptureProcessor()
        _processors[provider] = processor
    provider.add_span_processor(processor)


def is_attached(provider: object) -> bool:
    """Whether `provider` already delivers to the capture processors."""
    try:
        return provider in _processors
    except TypeError:  # unhashable / not weak-referenceable: never attached
        return False


class _PrivateIds(RandomIdGenerator):
    """Span and trace ids from a private RNG: the SDK's default draws from the global `random`, which hypothesis
    reseeds for every example, so property tests would produce the same ids again and again."""

    def __init__(self) -> None:
        self._rng = random.Random(int.from_bytes(os.urandom(16), "big"))

    def generate_span_id(self) -> int:
        span_id = self._rng.getrandbits(64)
        while span_id == 0:
            span_id = self._rng.getrandbits(64)
        return span_id

    def generate_trace_id(self) -> int:
        trace_id = self._rng.getrandbits(128)
        while trace_id == 0:
            trace_id = self._rng.getrandbits(128)
        return trace_id


def new_provider() -> TracerProvider:
    """A fresh SDK provider (resource `service.name=pytest-agenttrace`) with capture attached: the
    `RecordingTracerProvider` of `_tracer`, whose spans become records without the SDK span machinery."""
    from ._tracer import RecordingTracerProvider

    provider = RecordingTracerProvider(
        resource=Resource.create({"service.name": SERVICE_NAME}), id_generator=_PrivateIds()
    )
    attach(provider)
    return provider


def ensure_global_provider() -> tuple[TracerProvider | None, object]:
    """Capture from the global tracer provider, installing one when none is set.

    Returns `(provider captured from, the global provider)`: an SDK global is attached to; the proxy (nothing
    set yet) is replaced by a new SDK provider; any other provider type gives `(None, that provider)`.
    """
    current = trace_api.get_tracer_provider()
    if isinstance(current, TracerProvider):
        attach(current)
        return current, current
    if isinstance(current, trace_api.ProxyTracerProvider):
        provider = new_provider()
        trace_api.set_tracer_provider(provider)
        current = trace_api.get_tracer_provider()
        if isinstance(current, TracerProvider):  # ours, or one set concurrently
            attach(current)
            return current, current
    return None, current
