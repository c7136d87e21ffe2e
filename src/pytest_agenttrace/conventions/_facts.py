"""What a normalizer says about one span: its role (agent, llm, tool, retrieval, or wrapper) and the fields it read.

Each convention module exposes `extract(record) -> Facts | None`; `conventions.read_span` merges them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .._model import parse_json_maybe

Role = Literal["agent", "llm", "tool", "retrieval", "llm_wrapper"]

#: One field a reader takes from attributes: `(field, keys tried in order, converter or None)`; see `compile_rules`.
FieldRule = tuple[str, tuple[str, ...], Callable[[Any], Any] | None]


@dataclass(slots=True)
class Facts:
    """A normalizer's reading of a span. `role` None means "fields only, no opinion on what the span is"."""

    role: Role | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    def set(self, key: str, value: Any) -> None:
        """Record a field unless the value is missing (None, '', empty tuple)."""
        if value is not None and value != "" and value != ():
            self.fields.setdefault(key, value)


def compile_rules(rules: Sequence[FieldRule]) -> Callable[[Mapping[str, Any], dict[str, Any]], None]:
    """The rules as one straight-line function of `(attrs, fields)`: for each rule in order,
    `Facts.set(field, convert(first(attrs, *keys)))` (the first key whose value is neither None nor "", converted;
    stored unless None, "" or (), or the field is already set).

    Made once per rule set: readers run their rules on every span of every trace, and unrolled there is no loop over
    rules and keys, no tuple unpacking and no call per field (a GenAI model-call span's 9 rules: 2.1 us as a loop,
    1.3 us compiled). `tests/test_build_fast_paths.py` checks it against that plain form on generated rules."""
    ns: dict[str, Any] = {}
    lines = ["def apply(attrs, fields):", "    get = attrs.get"]
    for i, (key, names, convert) in enumerate(rules):
        if not names:
            continue
        lines.append(f"    value = get({names[0]!r})")
        for name in names[1:]:
            lines += ["    if value is None or value == '':", f"        value = get({name!r})"]
        lines.append("    if value is not None and value != '':")
        if convert is not None:
            ns[f"convert_{i}"] = convert
            lines += [
                f"        value = convert_{i}(value)",
                "        if value is not None and value != '':",
                f"            if value != () and {key!r} not in fields:",
                f"                fields[{key!r}] = value",
            ]
        else:
            lines += [f"        if value != () and {key!r} not in fields:", f"            fields[{key!r}] = value"]
    lines.append("    return None")
    exec("\n".join(lines) + "\n", ns)
    apply: Callable[[Mapping[str, Any], dict[str, Any]], None] = ns["apply"]
    apply.__qualname__ = apply.__name__ = "apply_rules"
    apply.__doc__ = "Compiled field rules: " + ", ".join(key for key, _, _ in rules)
    return apply


def first(attrs: Mapping[str, Any], *keys: str) -> Any:
    """The value of the first key present (and not empty) in `attrs`."""
    for k in keys:
        v = attrs.get(k)
        if v is not None and v != "":
            return v
    return None


def as_int(value: Any) -> int | None:
    """An int from an int, float or numeric string; None otherwise."""
    if type(value) is int:  # the usual case first (not a bool: `type`, not `isinstance`)
        return value
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None  # NaN or infinity is not a count
    return None


def as_float(value: Any) -> float | None:
    """A float from an int, float or numeric string; None otherwise."""
    if type(value) is float:  # the usual case first (`float(value)` would be `value` itself)
        return value
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def as_str_tuple(value: Any) -> tuple[str, ...]:
    """A tuple of strings from a tuple/list, a JSON array string, or a single string."""
    if type(value) is tuple:  # the usual case first (an OTel array attribute)
        return tuple(map(str, value))
    if value is None:
        return ()
    if isinstance(value, str):
        parsed = parse_json_maybe(value)
        if isinstance(parsed, list):
            return tuple(map(str, parsed))
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(map(str, value))
    return (str(value),)


def suffix_after(name: str, prefix: str) -> str | None:
    """`"execute_tool get_order"` -> `"get_order"` for prefix `"execute_tool "`."""
    if name.startswith(prefix):
        rest = name[len(prefix) :].strip()
        return rest or None
    return None
