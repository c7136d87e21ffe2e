"""Size limits shared by the trace-file readers and live capture: their settings and the truncation marker.

Pure and cheap to import (live capture reads it on every run; the format readers are imported only when a file is
read). A long attribute string is cut and marked `...[truncated N chars]`, so a test, a report or a saved trace
says that something was dropped instead of silently holding less.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ._errors import ConfigError

__all__ = [
    "DEFAULT_MAX_ATTR_CHARS",
    "DEFAULT_MAX_FILE_BYTES",
    "MAX_ATTR_CHARS_ENV",
    "MAX_FILE_BYTES_ENV",
    "cap_value",
    "exceeds",
    "limit_from",
    "truncate",
]

DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_ATTR_CHARS = 1_000_000
MAX_FILE_BYTES_ENV = "AGENTTRACE_MAX_FILE_BYTES"
MAX_ATTR_CHARS_ENV = "AGENTTRACE_MAX_ATTR_CHARS"

_CUT = re.compile(r"\.\.\.\[truncated \d+ chars\]")


def limit_from(value: int | None, env: str, default: int) -> int:
    """An explicit limit, else the environment variable, else the default."""
    if value is not None:
        if value <= 0:
            raise ConfigError(f"limit must be a positive integer, got {value!r}")
        return value
    text = os.environ.get(env)
    if text is None or not text.strip():
        return default
    try:
        n = int(text.strip().replace("_", ""))
    except ValueError:
        n = 0
    if n <= 0:
        raise ConfigError(
            f"{env}={text!r} is not a positive integer; set it to a number of bytes/characters, e.g. {default}"
        )
    return n


def truncate(text: str, limit: int) -> str:
    """Cut a too-long attribute string, saying how much was dropped (a value already cut at `limit`, e.g. read
    back from a saved trace, is kept as it is)."""
    if _CUT.fullmatch(text, limit):
        return text
    return f"{text[:limit]}...[truncated {len(text) - limit} chars]"


def cap_value(value: Any, limit: int) -> Any:
    """An attribute value as a record holds it: every string longer than `limit` cut, lists as tuples, mapping keys
    as strings, at every depth (for live values and for values read from JSON files alike)."""
    if isinstance(value, str):
        return value if len(value) <= limit else truncate(value, limit)
    if isinstance(value, list | tuple):
        return tuple([cap_value(v, limit) for v in value])
    if isinstance(value, dict):
        return {str(k): cap_value(v, limit) for k, v in value.items()}
    return value


def exceeds(value: Any, limit: int) -> bool:
    """Whether `cap_value` would change `value` (a string over `limit`, at any depth)."""
    if isinstance(value, str):
        return len(value) > limit
    if isinstance(value, tuple | list):
        return any(exceeds(v, limit) for v in value)
    if isinstance(value, dict):
        return any(exceeds(v, limit) for v in value.values())
    return False
