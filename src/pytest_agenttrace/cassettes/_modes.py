"""Record modes (vcrpy's names) and the rule that CI never records."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ._errors import CassetteError

#: The record modes, in vcrpy's spelling; `none` is the default.
RECORD_MODES: tuple[str, ...] = ("none", "once", "new_episodes", "all")
DEFAULT_RECORD_MODE = "none"
_FALSE = {"", "0", "false", "no", "off"}


def ci_is_set(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the `CI` environment variable is set to something other than an explicit false."""
    value = (os.environ if environ is None else environ).get("CI")
    return value is not None and value.strip().lower() not in _FALSE


def validate_record_mode(mode: str) -> str:
    """The mode itself, or a `CassetteError` naming the valid modes."""
    if mode not in RECORD_MODES:
        valid = ", ".join(repr(m) for m in RECORD_MODES)
        raise CassetteError(f"record mode {mode!r} is not valid; use one of {valid}")
    return mode


def resolve_record_mode(mode: str | None, *, environ: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """The effective record mode and, when it was forced to `none`, why (CI is set)."""
    requested = validate_record_mode(mode or DEFAULT_RECORD_MODE)
    if requested != "none" and ci_is_set(environ):
        return "none", f"record mode {requested!r} was forced to 'none' because the CI environment variable is set"
    return requested, None
