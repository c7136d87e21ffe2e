"""What the `agent_cassette` fixture does, kept out of plugin.py: path, mode and options of one test's cassette.

Imported by the fixture only (never at plugin load). Precedence of the record mode: `--agenttrace-record-mode`
when given, else the marker's `record_mode=`, else `none`; whatever was chosen becomes `none` when `CI` is set.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from .._errors import ConfigError
from . import cassette_path
from ._errors import CassetteError
from ._modes import RECORD_MODES
from ._session import ReplaySession, ToolOverride, use_cassette

__all__ = ["MARKER_KWARGS", "cassette_for_test", "path_for_test", "read_scrub_patterns", "uses_cassette"]

#: The `agenttrace` marker's keyword arguments that concern cassettes (any of them activates `agent_cassette`).
#: `tools` is shared with the budget checks: a list of names is a budget, a mapping {name: dotted path} patches.
MARKER_KWARGS = frozenset({"cassette", "record_mode", "tools", "tool_overrides"})


def uses_cassette(marker_kwargs: Mapping[str, Any]) -> bool:
    """Whether a test's `agenttrace` marker asks for a cassette (then the fixture is activated for it)."""
    if isinstance(marker_kwargs.get("tools"), Mapping):
        return True
    return not {"cassette", "record_mode", "tool_overrides"}.isdisjoint(marker_kwargs)


@lru_cache(maxsize=8)
def read_scrub_patterns(rootpath: str) -> tuple[str, ...]:
    """`[tool.agenttrace] scrub = ["regex", ...]` from `<rootdir>/pyproject.toml` (empty when absent)."""
    from .._config import load_config
    from ._scrub import compile_patterns

    config = load_config(rootpath)
    value = config.get("scrub", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"{config.where('scrub')} = {value!r} must be a list of regular expressions, "
            'e.g. scrub = ["\\\\bACME-\\\\d+"]'
        )
    try:
        compile_patterns(value)
    except CassetteError as exc:
        raise ConfigError(f"{config.where('scrub')}: {exc}") from None
    return tuple(value)


def _marker_kwargs(node: Any) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers("agenttrace"))):  # closest marker wins
        merged.update(marker.kwargs)
    return merged


def _check(name: str, kwargs: Mapping[str, Any]) -> None:
    mode = kwargs.get("record_mode")
    if mode is not None and mode not in RECORD_MODES:
        raise ConfigError(f"{name}: agenttrace(record_mode={mode!r}) is not one of {', '.join(RECORD_MODES)}")
    tools = kwargs.get("tools")
    if isinstance(tools, Mapping) and not all(isinstance(v, str) for v in tools.values()):
        raise ConfigError(
            f"{name}: agenttrace(tools=...) must map tool names to dotted paths, "
            'like {"get_order": "app.tools.get_order"}'
        )
    overrides = kwargs.get("tool_overrides", ())
    if not isinstance(overrides, Sequence) or not all(isinstance(o, ToolOverride) for o in overrides):
        raise ConfigError(f"{name}: agenttrace(tool_overrides=...) must be a list of ToolOverride(...)")


def path_for_test(node: Any, explicit: str | os.PathLike[str] | None = None) -> Path:
    """The cassette of a test: `cassette=` (relative to the test file's folder) or the per-test default."""
    test_file = str(node.path)
    if explicit is not None:
        p = Path(explicit)
        return p if p.is_absolute() else Path(test_file).parent / p
    cls = getattr(node, "cls", None)
    name = f"{cls.__name__}.{node.name}" if cls is not None else node.name
    return Path(cassette_path(test_file, name))


@contextlib.contextmanager
def cassette_for_test(node: Any, config: Any, *, option_mode: str | None) -> Iterator[ReplaySession]:
    """Open the test's cassette for its duration (the body of the `agent_cassette` fixture)."""
    kwargs = _marker_kwargs(node)
    _check(node.nodeid, kwargs)
    mode = option_mode or kwargs.get("record_mode") or "none"
    path = path_for_test(node, kwargs.get("cassette"))
    scrub = read_scrub_patterns(str(config.rootpath))
    with use_cassette(
        path,
        mode=mode,
        tools=kwargs["tools"] if isinstance(kwargs.get("tools"), Mapping) else None,
        overrides=list(kwargs.get("tool_overrides", ())),
        scrub=scrub,
    ) as session:
        yield session
