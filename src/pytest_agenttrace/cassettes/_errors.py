"""Errors raised by cassette replay: every message names the cassette, the offending call and the remedy."""

from __future__ import annotations

from .._errors import AgentTraceError


class CassetteError(AgentTraceError):
    """Base class of the cassette errors."""


class CassetteFormatError(CassetteError, ValueError):
    """A cassette file could not be read (names the file, the entry and what is wrong)."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class CassetteMismatchError(CassetteError):
    """In replay, a tool call or an LLM request had no recording; the message shows the nearest one and the diff.

    It is raised where the call happened and raised again when the cassette is closed, so an agent that catches
    tool or HTTP errors still fails the test.
    """


class ToolOverrideError(CassetteError):
    """A `ToolOverride` was invalid or never applied (the test would not test what it says)."""
