"""`[tool.agenttrace]` in the rootdir's `pyproject.toml`, read into a small typed object.

Pure (stdlib `tomllib`): known keys are validated here; every other key is kept in `extra` for the features that
own it (prices, scrub, pii_salt, budget defaults...). Problems raise `ConfigError` naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import ConfigError
from ._summary import SUMMARY_MODES

__all__ = ["PYPROJECT", "TABLE", "AgentTraceConfig", "load_config", "parse_config"]

PYPROJECT = "pyproject.toml"
TABLE = "[tool.agenttrace]"


@dataclass(frozen=True, kw_only=True)
class AgentTraceConfig:
    """The validated `[tool.agenttrace]` table (`path` is None when there was no file or no table)."""

    path: Path | None = None
    #: Default for `--agenttrace-summary` (None: not set in the file).
    summary: str | None = None
    #: Every other key, as read, for the features that own them.
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        """An unvalidated key of the table (e.g. `config.get("prices")`), or `default`."""
        return self.extra.get(key, default)

    def where(self, key: str) -> str:
        """Where a key lives, for error messages: `'<path>: [tool.agenttrace] <key>'`."""
        return f"{self.path or PYPROJECT}: {TABLE} {key}"


def load_config(rootpath: str | Path) -> AgentTraceConfig:
    """Read `[tool.agenttrace]` from `<rootpath>/pyproject.toml` (an empty config when either is absent)."""
    path = Path(rootpath) / PYPROJECT
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return AgentTraceConfig()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror or exc}); check its permissions") from None
    import tomllib  # (only when there is a file to read)

    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file so that `tomllib` can read it") from None
    tool = doc.get("tool", {})
    table = tool.get("agenttrace") if isinstance(tool, dict) else None
    if table is None:
        return AgentTraceConfig()
    return parse_config(table, path=path)


def parse_config(table: Any, *, path: Path | None = None) -> AgentTraceConfig:
    """Validate a `[tool.agenttrace]` table already parsed from TOML."""
    where = str(path or PYPROJECT)
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: tool.agenttrace = {table!r} is not a table; write it as a `{TABLE}` section")
    extra = dict(table)
    summary = extra.pop("summary", None)
    if summary is not None and summary not in SUMMARY_MODES:
        raise ConfigError(
            f"{where}: {TABLE} summary = {summary!r} is not one of {', '.join(map(repr, SUMMARY_MODES))}; "
            f'set it to one of them, e.g. summary = "auto"'
        )
    return AgentTraceConfig(path=path, summary=summary, extra=extra)
