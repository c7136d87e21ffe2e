"""Cassettes: replay tool outputs and LLM responses offline, from a recording or from a production trace.

    with use_cassette("tests/cassettes/test_agent/test_refund.yaml", mode="none") as session:
        run_agent()                       # tools answered from the cassette, LLM answered by vcrpy

Tools go through one chokepoint (`@tool`, `patch_tools`); LLM traffic goes through vcrpy with body matching,
an index, secret scrubbing and, for a trace's recorded answers, provider responses synthesized at replay time.
The vcrpy backend is imported only when a cassette is opened.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> private module that defines it (imported on first use: the plugin imports `_modes` at load time).
_EXPORTS: dict[str, str] = {
    "CassetteError": "._errors",
    "CassetteFormatError": "._errors",
    "CassetteMismatchError": "._errors",
    "ToolOverrideError": "._errors",
    "FORMAT_VERSION": "._format",
    "Cassette": "._format",
    "LLMInteraction": "._format",
    "ToolError": "._format",
    "ToolInteraction": "._format",
    "DEFAULT_RECORD_MODE": "._modes",
    "RECORD_MODES": "._modes",
    "ci_is_set": "._modes",
    "resolve_record_mode": "._modes",
    "SCRUBBED_HEADERS": "._scrub",
    "SECRET_PATTERNS": "._scrub",
    "ReplaySession": "._session",
    "ToolCallRequest": "._session",
    "ToolMatcher": "._session",
    "ToolOverride": "._session",
    "current_session": "._session",
    "use_cassette": "._session",
    "synthesize_http": "._synth",
    "RecordedToolError": "._tools",
    "is_tool": "._tools",
    "patch_tools": "._tools",
    "tool": "._tools",
    "wrap_langchain_tool": "._tools",
}

__all__ = [
    "DEFAULT_RECORD_MODE",
    "FORMAT_VERSION",
    "RECORD_MODES",
    "SCRUBBED_HEADERS",
    "SECRET_PATTERNS",
    "Cassette",
    "CassetteError",
    "CassetteFormatError",
    "CassetteMismatchError",
    "LLMInteraction",
    "RecordedToolError",
    "ReplaySession",
    "ToolCallRequest",
    "ToolError",
    "ToolInteraction",
    "ToolMatcher",
    "ToolOverride",
    "ToolOverrideError",
    "cassette_path",
    "ci_is_set",
    "current_session",
    "is_tool",
    "patch_tools",
    "resolve_record_mode",
    "synthesize_http",
    "tool",
    "use_cassette",
    "wrap_langchain_tool",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_agenttrace.cassettes' has no attribute {name!r}")
    # Not cached in globals(): the private module stays the single source (pytester's in-process runs drop and
    # re-import modules between runs; a cached name would point at a stale copy).
    return getattr(importlib.import_module(module, __name__), name)


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from ._errors import CassetteError, CassetteFormatError, CassetteMismatchError, ToolOverrideError
    from ._format import FORMAT_VERSION, Cassette, LLMInteraction, ToolError, ToolInteraction
    from ._modes import DEFAULT_RECORD_MODE, RECORD_MODES, ci_is_set, resolve_record_mode
    from ._scrub import SCRUBBED_HEADERS, SECRET_PATTERNS
    from ._session import ReplaySession, ToolCallRequest, ToolMatcher, ToolOverride, current_session, use_cassette
    from ._synth import synthesize_http
    from ._tools import RecordedToolError, is_tool, patch_tools, tool, wrap_langchain_tool


def cassette_path(test_file: str, test_name: str, *, ext: str = "yaml") -> str:
    """`<test dir>/cassettes/<module stem>/<test name>.<ext>` (the pytest-recording layout)."""
    import os

    directory = os.path.dirname(os.path.abspath(test_file))
    stem = os.path.splitext(os.path.basename(test_file))[0]
    safe = test_name.replace(os.sep, "_").replace("/", "_")
    return os.path.join(directory, "cassettes", stem, f"{safe}.{ext}")
