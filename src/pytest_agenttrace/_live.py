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

    __slots__ = ("_count", "_get_records", "_snapshot", "_source")

    def __init__(self, get_records: Callable[[], Sequence[SpanRecord]], *, source: str | None = None) -> None:
        self._get_records = get_records
        self._source = source
        self._snapshot: Trace | None = None
        self._count = -1

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
