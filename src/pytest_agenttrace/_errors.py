"""The one public exception family: every error names the file, the span or the option, and the fix."""

from __future__ import annotations


class AgentTraceError(Exception):
    """Base class of every error this package raises on purpose."""


class TraceFormatError(AgentTraceError, ValueError):
    """A trace file (or payload) could not be read: names the file, where, and what to do."""

    def __init__(self, message: str, *, path: str | None = None, span: str | None = None) -> None:
        self.path = path
        self.span = span
        where = []
        if path:
            where.append(str(path))
        if span:
            where.append(f"span {span}")
        prefix = f"{': '.join(where)}: " if where else ""
        super().__init__(f"{prefix}{message}")


class TraceStructureWarning(UserWarning):
    """A trace was readable but odd (orphan spans, duplicate ids, parent cycles); the message says what was done."""


class TraceSelectionError(AgentTraceError):
    """A file holds several traces and the caller must pick one (the message lists them)."""


class ConfigError(AgentTraceError):
    """A configuration value (option, ini key, marker argument) is invalid; plugin code turns it into UsageError."""
