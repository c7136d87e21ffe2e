"""Fixtures shared by the capture tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_agenttrace import _capture
from pytest_agenttrace._records import SpanRecord


@pytest.fixture
def sink() -> Iterator[list[SpanRecord]]:
    """Every record captured during the test, in the order the spans ended (a session's sink, without a session)."""
    got: list[SpanRecord] = []
    _capture.push_sink(got.append)
    try:
        yield got
    finally:
        _capture.pop_sink(got.append)
