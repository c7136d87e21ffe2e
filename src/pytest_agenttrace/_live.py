"""`LiveTrace`: the current test's trace, kept up to date while the test body produces spans.

The `agent_trace` fixture is created before the agent runs, so it cannot be a fixed `Trace`; a `LiveTrace`
forwards to a `Trace` snapshot rebuilt only when the number of captured records changed. Pure: no pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ._model import Trace
from ._records import SpanRecord

__all__ = ["LiveTrace", "as_trace"]


class LiveTrace:
    """A proxy for the `Trace` of the records returned by `get_records` (attributes, repr, len, ==, bool).

    `snapshot()` returns the plain `Trace` as of now; assertion helpers accept either through `as_trace`.
    """

    __slots__ = ("_baseline", "_count", "_get_records", "_snapshot", "_source")

    def __init__(self, get_records: Callable[[], Sequence[SpanRecord]], *, source: str | None = None) -> None:
        self._get_records = get_records
        self._source = source
        self._snapshot: Trace | None = None
        self._count = -1
        self._baseline: Callable[..., str | None] | None = None

    def bind_baseline(self, check: Callable[..., str | None]) -> None:
        """Set the function that compares a trace with this test's stored baseline (done by the plugin)."""
        self._baseline = check

    def assert_matches_baseline(
        self, *, name: str | None = None, volatile: Sequence[str] = (), include_results: bool = False
    ) -> None:
        """Assert the trajectory equals the test's golden baseline (`baselines/<module>/<test>.json`).

        Ids, timestamps, durations and token counts are never compared; `volatile` names what may change
        (`"tool_calls[*].arguments.timestamp"`, a bare key name, ...). A missing or different baseline fails with
        a diff and the command that accepts the new trajectory (`--agenttrace-update`).
        """
        __tracebackhide__ = True
        if self._baseline is None:
            raise RuntimeError("assert_matches_baseline() needs the agent_trace fixture of a pytest --agenttrace run")
        problem = self._baseline(self.snapshot(), name=name, volatile=volatile, include_results=include_results)
        if problem is not None:
            from .assertions import AgentAssertionError

            raise AgentAssertionError(problem)

    def snapshot(self) -> Trace:
        """The trace of every record captured so far (rebuilt only when new records arrived)."""
        records = self._get_records()
        if self._snapshot is None or len(records) != self._count:
            records = tuple(records)  # the source list may grow on other threads while we build
            self._snapshot = Trace.from_records(records, source=self._source)
            self._count = len(records)
        return self._snapshot

    def __getattr__(self, name: str) -> Any:
        if name in LiveTrace.__slots__:  # not initialised (copy/unpickle): do not recurse
            raise AttributeError(name)
        return getattr(self.snapshot(), name)

    def __repr__(self) -> str:
        return repr(self.snapshot())

    def __len__(self) -> int:
        return len(self.snapshot())

    def __bool__(self) -> bool:
        return bool(self.snapshot())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LiveTrace | Trace):
            return self.snapshot() == as_trace(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


def as_trace(obj: Trace | LiveTrace) -> Trace:
    """The plain `Trace` of a `Trace` or a `LiveTrace` (assertion functions call this on their argument)."""
    if isinstance(obj, Trace):
        return obj
    if isinstance(obj, LiveTrace):
        return obj.snapshot()
    raise TypeError(
        f"expected a Trace (the agent_trace fixture, Trace.from_records(...) or load_trace(path)), "
        f"got {type(obj).__qualname__!r}"
    )
