"""Readable differences between a recorded value and the one sent: `messages[0].content: recorded 'a', sent 'b'`."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["diff_lines", "format_path", "short_repr"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MAX = 100
_ORDER = (
    "values_changed",
    "type_changes",
    "dictionary_item_added",
    "dictionary_item_removed",
    "iterable_item_added",
    "iterable_item_removed",
    "set_item_added",
    "set_item_removed",
)


def format_path(parts: list[Any], *, root: str = "") -> str:
    """`['messages', 0, 'content']` -> `messages[0].content`."""
    out = root
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif isinstance(p, str) and _IDENT.match(p):
            out += f".{p}" if out else p
        else:
            out += f"[{p!r}]"
    return out or "(whole value)"


def short_repr(value: Any, *, limit: int = _MAX) -> str:
    """`repr` cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pair(old: Any, new: Any) -> tuple[str, str]:
    """Two long strings that differ are shown around their first difference, not from their start."""
    if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > _MAX:
        i = 0
        while i < min(len(old), len(new)) and old[i] == new[i]:
            i += 1
        start = max(0, i - 30)
        prefix = "…" if start else ""
        return short_repr(prefix + old[start:]), short_repr(prefix + new[start:])
    return short_repr(old), short_repr(new)


def diff_lines(
    recorded: Any, sent: Any, *, recorded_label: str = "recorded", sent_label: str = "sent", limit: int = 12
) -> list[str]:
    """One line per difference (at most `limit`, then a count), paths in `a[0].b` form; [] when equal."""
    from deepdiff import DeepDiff

    tree = DeepDiff(recorded, sent, view="tree", ignore_type_in_groups=[(list, tuple)], threshold_to_diff_deeper=0)
    lines: list[str] = []
    for kind in _ORDER:
        for level in sorted(tree.get(kind, ()), key=lambda lv: str(lv.path())):
            path = format_path(level.path(output_format="list"))
            if kind in ("values_changed", "type_changes"):
                old, new = _pair(level.t1, level.t2)
                lines.append(f"{path}: {recorded_label} {old}, {sent_label} {new}")
            elif kind.endswith("_added"):
                lines.append(f"{path}: not {recorded_label}, {sent_label} {short_repr(level.t2)}")
            else:
                lines.append(f"{path}: {recorded_label} {short_repr(level.t1)}, not {sent_label}")
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more differences"]
    return lines
