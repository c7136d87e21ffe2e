"""The tracer provider the plugin installs when a run has none: an SDK `TracerProvider` whose spans write
themselves straight into `SpanRecord`s.

Why: an SDK span costs ~16 us more than a no-op span (a lock, bounded attribute and event containers, a sampler
call, a `ReadableSpan` copy and the processor fan-out at end), and capture only needs the record. A span of this
module keeps plain fields and builds its record once, at `end()`; `bench/bench_capture.py` measures both paths.

To instrumented code it behaves as an SDK span: the same API methods, status rules (OK is final, UNSET is ignored),
exception events, attribute cleaning (the SDK's own `BoundedAttributes` takes over for any value that is not a
str/int/float/bool or a list or tuple of them, and when the count limit is reached), event limits, and the
warnings for calls on an ended span. `tests/plugin/test_recording_tracer.py` checks the records against the SDK's
path with generated span programs.

The fast path is taken only where it cannot differ from the SDK; otherwise the SDK's own tracer makes the span and
the capture processor converts it, as for any provider:
- another span processor was added to the provider (an exporter, an in-memory exporter in a test, ...);
- the sampler is not the default parent-based always-on one, a span-attribute length limit is set, or the SDK's
  internal metrics are on (OTEL_TRACES_SAMPLER, OTEL_*_LENGTH_LIMIT, OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED);
- the parent span context is not sampled (the SDK drops such spans), or the tracer is disabled by a configurator.
Limit: a span still open when another processor is added is not seen by that processor.

Like `_capture`, this module imports the OpenTelemetry SDK; the plugin imports it only when capture is enabled.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor, TracerProvider, sampling
from opentelemetry.sdk.trace import Tracer as SdkTracer
from opentelemetry.trace import SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.status import Status, StatusCode

from . import _capture
from ._records import SpanEvent

__all__ = ["RecordingTracerProvider"]

_log = logging.getLogger(__name__)

#: Attribute value types stored as they are (what `BoundedAttributes` would store unchanged).
_SCALARS = frozenset({int, float, bool})
_NOT_PLAIN = object()


def _plain(value: Any) -> Any:
    """`value` as `BoundedAttributes` would store it when that needs no cleaning (a scalar, a string within
    `_capture.max_attr_chars`, or a list or tuple of those), else `_NOT_PLAIN`: the SDK's container then cleans it
    and the record is capped at `end()`."""
    t = type(value)
    if t is str:
        return value if len(value) <= _capture.max_attr_chars else _NOT_PLAIN
    if t in _SCALARS:
        return value
    if t is tuple or t is list:
        for v in value:
            if type(v) is str:
                if len(v) > _capture.max_attr_chars:
                    return _NOT_PLAIN
            elif type(v) not in _SCALARS:
                return _NOT_PLAIN
        return value if t is tuple else tuple(value)
    return _NOT_PLAIN


_SAMPLED = TraceFlags.SAMPLED
_RANDOM = getattr(TraceFlags, "RANDOM_TRACE_ID", 0)
#: A sampled parent's random-trace-id bit -> its children's flags (made once, not per span).
_CHILD_FLAGS = {0: TraceFlags(_SAMPLED), _RANDOM: TraceFlags(_SAMPLED | _RANDOM)}
_get_current_span = trace_api.get_current_span
_time_ns = time.time_ns
_lock = threading.Lock()


class RecordingTracerProvider(TracerProvider):
    """An SDK `TracerProvider` whose tracers record spans directly into the capture sink while nothing else listens.

    Everything of the SDK provider works (`add_span_processor`, `force_flush`, `shutdown`, `resource`); adding a
    processor other than the capture one switches every tracer of this provider to the SDK's own spans.
    """

    def __init__(self, **kwargs: Any) -> None:
        limits = kwargs.setdefault("span_limits", SpanLimits())
        super().__init__(**kwargs)
        self._limits: SpanLimits = limits
        # (name, version, schema url) -> its tracer: instrumented code often calls `get_tracer` for every
        # operation, and the SDK's does real work each time (scope objects, a warnings filter)
        self._recording: dict[tuple[str, str | None, str | None], _RecordingTracer] = {}
        #: True while records can be made directly (see the module docstring for what turns it off).
        self.fast = (
            self.sampler is sampling.DEFAULT_ON
            and limits.max_span_attribute_length is None
            and limits.max_attribute_length is None
        )

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        """Register a processor; any processor but the capture one needs SDK spans from now on."""
        if not isinstance(span_processor, _capture.CaptureProcessor):
            self.fast = False
        super().add_span_processor(span_processor)

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> trace_api.Tracer:
        key = (instrumenting_module_name, instrumenting_library_version, schema_url)
        if attributes is None:
            known = self._recording.get(key)
            if known is not None:
                return known
        tracer = super().get_tracer(instrumenting_module_name, instrumenting_library_version, schema_url, attributes)
        if not isinstance(tracer, SdkTracer):  # OTEL_SDK_DISABLED: the SDK's no-op tracer
            return tracer
        metrics = getattr(tracer, "_tracer_metrics", None)
        if metrics is not None and type(metrics).__name__ != "NoOpTracerMetrics":
            self.fast = False  # the SDK's internal span metrics are on: only its own spans report them
            return tracer
        recording = _RecordingTracer(self, tracer)
        if attributes is None:
            self._recording[key] = recording
        return recording


class _RecordingTracer(trace_api.Tracer):
    """A tracer of `RecordingTracerProvider`: fast spans when the provider allows, the SDK tracer's otherwise."""

    def __init__(self, provider: RecordingTracerProvider, sdk: SdkTracer) -> None:
        self._provider = provider
        self._sdk = sdk
        self._enabled = getattr(sdk, "_is_enabled", None)
        scope = sdk.instrumentation_scope if hasattr(sdk, "instrumentation_scope") else None
        scope = getattr(sdk, "_instrumentation_scope", scope)
        self._scope_name = "" if scope is None else scope.name
        self._scope_version = "" if scope is None else (scope.version or "")
        self._new_trace_id = sdk.id_generator.generate_trace_id
        self._new_span_id = sdk.id_generator.generate_span_id
        is_random = getattr(sdk.id_generator, "is_trace_id_random", None)
        self._root_flags = TraceFlags(_SAMPLED | (_RANDOM if is_random is not None and is_random() else 0))

    def __getattr__(self, name: str) -> Any:  # the SDK tracer's other attributes (resource, sampler, ...)
        return getattr(self._sdk, name)

    def start_span(
        self,
        name: str,
        context: context_api.Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Any = None,
        links: Sequence[trace_api.Link] | None = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace_api.Span:
        if not self._provider.fast or (self._enabled is not None and not self._enabled()):
            return self._sdk.start_span(
                name, context, kind, attributes, links, start_time, record_exception, set_status_on_exception
            )
        parent: SpanContext | None = _get_current_span(context).get_span_context()
        if parent is not None and not isinstance(parent, SpanContext):
            raise TypeError("parent_span_context must be a SpanContext or None.")
        if parent is None or not parent.is_valid:
            parent = None
            ctx = SpanContext(self._new_trace_id(), self._new_span_id(), False, self._root_flags)
        elif parent.trace_flags & _SAMPLED:
            flags = _CHILD_FLAGS[parent.trace_flags & _RANDOM]
            ctx = SpanContext(parent.trace_id, self._new_span_id(), False, flags, parent.trace_state)
        else:  # an unsampled parent: the SDK decides (it drops the span)
            return self._sdk.start_span(
                name, context, kind, attributes, links, start_time, record_exception, set_status_on_exception
            )
        return _RecordingSpan(
            self,
            name,
            ctx,
            parent,
            kind,
            attributes,
            _time_ns() if start_time is None else start_time,
            record_exception,
            set_status_on_exception,
        )

    # the API types the result as its own generator-based manager; this one behaves the same
    def start_as_current_span(  # type: ignore[override]
        self,
        name: str,
        context: context_api.Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Any = None,
        links: Sequence[trace_api.Link] | None = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> _CurrentSpan:
        """A span made current for a `with` block or a decorated function (sync or async), as the SDK's is."""
        return _CurrentSpan(
            self,
            (name, context, kind, attributes, links, start_time, record_exception, set_status_on_exception),
            end_on_exit,
        )


class _CurrentSpan:
    """What `start_as_current_span` returns: the SDK's `start_span` + `trace.use_span(...)` pair as one class
    instead of two generator context managers (a third of the per-span cost of the fast path).

    The same behaviour: the span is current inside the block; an escaping `Exception` (not a `BaseException` such
    as `GeneratorExit`) is recorded and sets the error status when the span still records; the span ends on exit.
    As a decorator it wraps sync and async functions with a fresh span per call.
    """

    __slots__ = ("_args", "_end_on_exit", "_span", "_token", "_tracer")

    def __init__(self, tracer: _RecordingTracer, args: tuple[Any, ...], end_on_exit: bool) -> None:
        self._tracer = tracer
        self._args = args
        self._end_on_exit = end_on_exit

    def __enter__(self) -> trace_api.Span:
        span = self._span = self._tracer.start_span(*self._args)
        self._token = context_api.attach(trace_api.set_span_in_context(span))
        return span

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        span = self._span
        try:
            context_api.detach(self._token)
            if isinstance(exc, Exception) and span.is_recording():
                record_exception, set_status_on_exception = self._args[6], self._args[7]
                if record_exception:
                    span.record_exception(exc)
                if set_status_on_exception:
                    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        finally:
            if self._end_on_exit:
                span.end()

    def __call__(self, func: Any) -> Any:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with _CurrentSpan(self._tracer, self._args, self._end_on_exit):
                    return await func(*args, **kwargs)

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _CurrentSpan(self._tracer, self._args, self._end_on_exit):
                return func(*args, **kwargs)

        return wrapper


class _RecordingSpan(trace_api.Span):
    """A recording span that keeps plain fields and hands one `SpanRecord` to the capture sink at `end()`.

    `_attrs` is a plain dict until a value needs cleaning or the count limit is reached; from then on it is the
    SDK's `BoundedAttributes`, so those cases behave exactly as in the SDK.
    """

    __slots__ = (
        "_attrs",
        "_context",
        "_end_time",
        "_events",
        "_kind",
        "_name",
        "_parent",
        "_record_exception",
        "_set_status_on_exception",
        "_start_time",
        "_status",
        "_tracer",
    )

    def __init__(
        self,
        tracer: _RecordingTracer,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        kind: SpanKind,
        attributes: Any,
        start_time: int,
        record_exception: bool,
        set_status_on_exception: bool,
    ) -> None:
        self._tracer = tracer
        self._name = name
        self._context = context
        self._parent = parent
        self._kind = kind
        self._start_time = start_time
        self._end_time: int | None = None
        self._status = _UNSET
        self._events: list[SpanEvent] | None = None
        self._record_exception = record_exception
        self._set_status_on_exception = set_status_on_exception
        self._attrs: dict[str, Any] | BoundedAttributes = {}
        if attributes:
            self._set_initial(attributes)

    # -- attributes ------------------------------------------------------------------------------------------
    def _bounded(self) -> BoundedAttributes:
        """Switch to the SDK's container (cleaning, count limit) and return it."""
        attrs = self._attrs
        if isinstance(attrs, BoundedAttributes):
            return attrs
        with _lock:  # two threads switching one span at once must not lose each other's attributes
            attrs = self._attrs
            if not isinstance(attrs, BoundedAttributes):
                limit = self._tracer._provider._limits.max_span_attributes
                attrs = self._attrs = BoundedAttributes(limit, attrs, immutable=False)
        return attrs

    def _set_initial(self, attributes: Mapping[str, Any]) -> None:
        """The attributes given at start: one pass into an empty dict (the common case). Scalars and short strings
        are stored inline; anything else goes through `_plain`."""
        limit = self._tracer._provider._limits.max_span_attributes
        if limit is None or len(attributes) <= limit:
            attrs = self._attrs
            max_chars = _capture.max_attr_chars
            for k, v in attributes.items():
                t = type(v)
                if not ((t is str and len(v) <= max_chars) or t in _SCALARS):
                    v = _plain(v)
                    if v is _NOT_PLAIN:
                        break
                if type(k) is not str or not k:
                    break
                attrs[k] = v
            else:
                return
            self._attrs = {}
        self._bounded()._set_items(attributes)

    def _set_many(self, attributes: Mapping[str, Any]) -> None:
        attrs = self._attrs
        if type(attrs) is dict:
            limit = self._tracer._provider._limits.max_span_attributes
            if limit is None or len(attrs) + len(attributes) <= limit:
                items = []
                for k, v in attributes.items():
                    v = _plain(v)
                    if v is _NOT_PLAIN or type(k) is not str or not k:
                        break
                    items.append((k, v))
                else:
                    for k, v in items:
                        if k in attrs:
                            del attrs[k]  # BoundedAttributes moves a re-set key to the end
                        attrs[k] = v
                    return
        self._bounded()._set_items(attributes)

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        if self._end_time is not None:
            _log.warning("Setting attribute on ended span.")
            return
        self._set_many(attributes)

    def set_attribute(self, key: str, value: Any) -> None:
        if self._end_time is not None:
            _log.warning("Setting attribute on ended span.")
            return
        attrs = self._attrs
        if type(attrs) is dict and type(key) is str and key and (plain := _plain(value)) is not _NOT_PLAIN:
            limit = self._tracer._provider._limits.max_span_attributes
            if key in attrs:
                del attrs[key]  # BoundedAttributes moves a re-set key to the end
                attrs[key] = plain
                return
            if limit is None or len(attrs) < limit:
                attrs[key] = plain
                return
        self._bounded()[key] = value

    # -- events, links, name, status ---------------------------------------------------------------------------
    def add_event(self, name: str, attributes: Any = None, timestamp: int | None = None) -> None:
        if self._end_time is not None:
            _log.warning("Tried calling %s on an ended span.", "_add_event")
            return
        limits = self._tracer._provider._limits
        cleaned = BoundedAttributes(limits.max_event_attributes, attributes, immutable=True)
        event = SpanEvent(name, _time_ns() if timestamp is None else timestamp, _capture.capped(dict(cleaned)))
        events = self._events
        if events is None:
            events = self._events = []
        max_events = limits.max_events
        if max_events is not None and len(events) >= max_events:
            if max_events == 0:
                return
            del events[0]  # BoundedList drops the oldest
        events.append(event)

    def add_link(self, context: SpanContext, attributes: Any = None) -> None:
        """Links are not part of a `SpanRecord` (as in `span_to_record`): accepted and dropped."""
        if self._end_time is not None:
            _log.warning("Tried calling %s on an ended span.", "_add_link")

    def update_name(self, name: str) -> None:
        if self._end_time is not None:
            _log.warning("Tried calling %s on an ended span.", "update_name")
            return
        self._name = name

    def is_recording(self) -> bool:
        return self._end_time is None

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self._end_time is not None:
            _log.warning("Tried calling %s on an ended span.", "set_status")
            return
        # the SDK's rules: OK is final; UNSET is ignored; a description only goes with a StatusCode
        if isinstance(status, Status):
            if self._status.status_code is StatusCode.OK or status.status_code is StatusCode.UNSET:
                return
            if description is not None:
                _log.warning("Description %s ignored. Use either `Status` or `(StatusCode, Description)`", description)
            self._status = status
        elif isinstance(status, StatusCode):
            if self._status.status_code is StatusCode.OK or status is StatusCode.UNSET:
                return
            self._status = Status(status, description)

    def record_exception(
        self, exception: BaseException, attributes: Any = None, timestamp: int | None = None, escaped: bool = False
    ) -> None:
        """An `exception` event with the SDK's attributes (type, message, stacktrace, escaped)."""
        module = type(exception).__module__
        qualname = type(exception).__qualname__
        attrs: dict[str, Any] = {
            "exception.type": f"{module}.{qualname}" if module and module != "builtins" else qualname,
            "exception.message": str(exception),
            "exception.stacktrace": "".join(traceback.format_exception(exception)),
            "exception.escaped": str(escaped),
        }
        if attributes:
            attrs.update(attributes)
        self.add_event("exception", attrs, timestamp)

    def __exit__(self, exc_type: Any, exc_val: BaseException | None, exc_tb: Any) -> None:
        """`with tracer.start_span(...) as span:` records an escaping exception and the error status, then ends."""
        if exc_val is not None and self.is_recording():
            if self._record_exception:
                self.record_exception(exception=exc_val, escaped=True)
            if self._set_status_on_exception:
                self.set_status(Status(StatusCode.ERROR, f"{type(exc_val).__name__}: {exc_val}"))
        self.end()

    # -- end -------------------------------------------------------------------------------------------------
    def end(self, end_time: int | None = None) -> None:
        with _lock:
            if self._end_time is not None:
                ended = True
            else:
                ended = False
                self._end_time = _time_ns() if end_time is None else end_time
        if ended:
            _log.warning("Calling end() on an ended span.")
            return
        sink = _capture._active_sink
        if sink is None:
            return
        try:
            sink(self._record())
        except Exception:  # capture must never break the instrumented code
            _log.exception("pytest-agenttrace could not capture span %r", self._name)

    def _record(self) -> Any:
        ctx, parent, status, tracer = self._context, self._parent, self._status, self._tracer
        attrs = self._attrs  # a dict holds only plain values (see `_plain`); cleaned ones may need capping
        plain = attrs if type(attrs) is dict else _capture.capped(dict(attrs))
        return _capture._make_record(
            "%032x" % ctx.trace_id,  # noqa: UP031 (%-format is 2.5x faster than format() here)
            "%016x" % ctx.span_id,  # noqa: UP031
            self._name,
            None if parent is None else "%016x" % parent.span_id,  # noqa: UP031
            self._kind._name_,
            self._start_time,
            self._end_time,
            status.status_code._name_,
            status.description or "",
            plain,
            () if self._events is None else tuple(self._events),
            _capture.resource_attrs(tracer._sdk.resource),
            tracer._scope_name,
            tracer._scope_version,
        )

    # -- read access, as a ReadableSpan offers it -------------------------------------------------------------
    def get_span_context(self) -> SpanContext:
        return self._context

    @property
    def context(self) -> SpanContext:
        return self._context

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> SpanKind:
        return self._kind

    @property
    def parent(self) -> SpanContext | None:
        return self._parent

    @property
    def start_time(self) -> int:
        return self._start_time

    @property
    def end_time(self) -> int | None:
        return self._end_time

    @property
    def status(self) -> Status:
        return self._status

    @property
    def attributes(self) -> Mapping[str, Any]:
        attrs = self._attrs
        return MappingProxyType(attrs if type(attrs) is dict else dict(attrs))

    @property
    def events(self) -> tuple[SpanEvent, ...]:
        return () if self._events is None else tuple(self._events)

    @property
    def resource(self) -> Any:
        return self._tracer._sdk.resource

    @property
    def instrumentation_scope(self) -> Any:
        return getattr(self._tracer._sdk, "_instrumentation_scope", None)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(name="{self._name}", context={self._context})'


_UNSET = Status(StatusCode.UNSET)
