"""A persistent memo of genai-prices lookups: a run whose usages were all priced before does not import genai-prices.

Importing genai-prices and loading its bundled table costs ~90 ms and ~25k objects (measured in a 1,000-test run),
paid by every `pytest --agenttrace` only to print the summary's cost column, for the same few usages run after run.
The plugin keeps what genai-prices answered in `.pytest_cache/d/agenttrace/prices.json`, tied to the installed
genai-prices files (an upgrade starts it afresh), and asks genai-prices only about usages it has not seen.

An entry is keyed on everything the price depends on: model names tried, provider, the day of the call (prices
change over time), and the four token counts. A model whose genai-prices price has no date conditions is also stored
for any day (`*`), so a test's calls made today hit what yesterday's run priced. Nothing is cached while a custom
genai-prices snapshot is active (`UpdatePrices`), and `[tool.agenttrace.prices]` overrides never reach this memo.
Pure: no pytest, no genai-prices import.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._atomic import atomic_write_text

__all__ = ["ANY_DAY", "FILE_NAME", "MISSING", "PriceCache", "genai_prices_fingerprint", "snapshot_is_custom"]

#: The file in the plugin's cache folder.
FILE_NAME = "prices.json"
#: Bump when the key or entry layout changes (an old file is then ignored, not misread).
FORMAT = 1
#: Entries kept in the file; the ones used by the latest run are kept first.
MAX_ENTRIES = 4096
#: The day part of a key whose price does not depend on the date.
ANY_DAY = "*"
#: `get` of a key that is not in the memo (None is a stored answer: genai-prices has no price).
MISSING: Any = object()

#: An entry: `[total USD as a decimal string, genai-prices model id, provider id]`, or None for "no price".
Entry = list[str | None] | None


def genai_prices_fingerprint() -> str | None:
    """Sizes and modification times of the installed genai-prices' code and table, found without importing it
    (None when it is not installed): any upgrade or reinstall gives another fingerprint."""
    try:
        spec = importlib.util.find_spec("genai_prices")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent
    parts = []
    for name in ("__init__.py", "types.py", "data.py", "data_snapshot.py"):
        try:
            st = os.stat(folder / name)
        except OSError:
            return None
        parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return f"{folder}|" + "|".join(parts)


def snapshot_is_custom() -> bool:
    """Whether genai-prices is loaded with a custom price snapshot (`UpdatePrices`): then its answers may differ
    from the bundled table's, and this memo is neither read nor written."""
    module = sys.modules.get("genai_prices.data_snapshot")
    return module is not None and getattr(module, "_custom_snapshot", None) is not None


def make_key(refs: tuple[str, ...], provider: str | None, day: int | str, tokens: tuple[int, int, int, int]) -> str:
    """The memo key of one lookup (a string: it is a JSON object key in the file)."""
    return json.dumps([list(refs), provider, day, *tokens], separators=(",", ":"))


class PriceCache:
    """The memo of one run: loaded from `path` once on first use, saved (atomically) when it learned something."""

    def __init__(
        self,
        path: Path | Callable[[], Path | None] | None,
        *,
        fingerprint: str | None = None,
        writable: bool = True,
    ) -> None:
        #: The file, or a function that finds it on first use (the plugin's cache folder is made only then).
        self.path: Path | None = path if isinstance(path, Path) or path is None else None
        self._locate = None if isinstance(path, Path) or path is None else path
        self.writable = writable
        self._fingerprint = fingerprint
        self._entries: dict[str, Entry] | None = None
        self._used: dict[str, None] = {}
        self._dirty = False
        self._problem: str | None = None

    def _load(self) -> dict[str, Entry]:
        if self._entries is not None:
            return self._entries
        self._entries = {}
        if self._locate is not None:
            try:
                self.path = self._locate()
            except OSError as exc:  # the cache folder cannot be made: no memo
                self._problem = f"{type(exc).__name__}: {exc}"
            self._locate = None
        if self._fingerprint is None:
            self._fingerprint = genai_prices_fingerprint()
        if self.path is None or self._fingerprint is None:
            return self._entries
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return self._entries
        except (OSError, ValueError) as exc:  # a damaged file is a cold cache, rewritten at the next save
            self._problem = f"{self.path}: {type(exc).__name__}: {exc}"
            return self._entries
        if (
            isinstance(data, dict)
            and data.get("format") == FORMAT
            and data.get("genai_prices") == self._fingerprint
            and isinstance(data.get("entries"), dict)
        ):
            self._entries = {k: v for k, v in data["entries"].items() if _valid_entry(v)}
        return self._entries

    def get(self, key: str) -> Entry:
        """The stored answer for `key`, or `MISSING`."""
        entries = self._load()
        found = entries.get(key, MISSING)
        if found is not MISSING:
            self._used[key] = None
        return found

    def put(self, key: str, entry: Entry) -> None:
        """Remember an answer genai-prices gave (saved by `save`)."""
        if not _valid_entry(entry):
            raise ValueError(f"not a price cache entry: {entry!r}")
        entries = self._load()
        if entries.get(key, MISSING) != entry:
            entries[key] = entry
            self._dirty = True
        self._used[key] = None

    @property
    def dirty(self) -> bool:
        """Whether this run learned answers the file does not have yet."""
        return self._dirty

    def save(self) -> bool:
        """Write the memo when it learned something: this run's entries first, then older ones, at most
        `MAX_ENTRIES`. Returns whether it wrote. An unwritable folder only loses the memo (it is a cache)."""
        if not (self._dirty and self.writable and self.path is not None and self._fingerprint is not None):
            return False
        entries = self._load()
        keep = [k for k in self._used if k in entries]
        keep += [k for k in entries if k not in self._used]
        data = {
            "format": FORMAT,
            "genai_prices": self._fingerprint,
            "entries": {k: entries[k] for k in keep[:MAX_ENTRIES]},
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(data, separators=(",", ":")))
        except OSError as exc:
            self._problem = f"{self.path}: {type(exc).__name__}: {exc}"
            return False
        self._dirty = False
        return True

    @property
    def problem(self) -> str | None:
        """Why the file could not be read or written (None when it could)."""
        return self._problem


def _valid_entry(value: Any) -> bool:
    return value is None or (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and all(isinstance(v, str) or v is None for v in value[1:])
    )
