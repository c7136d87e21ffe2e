"""Matchers for tool calls and their argument values, and the sequence-matching rules the assertions use.

Pure Python: no pytest at import. Definitions (each assertion's docstring points here):

Value matching (`value_matches(expected, actual)`), by the kind of the expected value:
- `ANY` matches anything (so does `unittest.mock.ANY`).
- a compiled regex (`re.compile(...)`) matches a `str` it `fullmatch`es.
- a matcher object (`matches_schema({...})`) decides for itself.
- a class (`int`, `str`) matches an instance of it (a class is a callable, but `bool(str(v))` is never what is meant).
- any other callable (`lambda v: v > 0`) matches when it returns a truthy value; returning a falsy value or raising is
  a mismatch.
- a `dict` matches a mapping with the same keys whose values match recursively (a plain dict means "equal", never
  "schema"; use `matches_schema` for that); a `list`/`tuple` matches a list or tuple of the same length whose items
  match (lists and tuples are interchangeable: JSON round trips turn one into the other).
- anything else, including `pytest.approx(...)`, matches when `expected == actual`.

Argument modes (`args=`): "exact" (same key set, every value matches), "subset" (every expected key is present in
the actual arguments and its value matches; other actual keys are ignored; only the top level is a subset, nested
values match as above), "ignore" (arguments are not looked at). Actual arguments recorded as a JSON string are
parsed first; `None` counts as no arguments (`{}`). An expected item given as a bare name matches on the name only,
whatever the mode; `call("x")` under "exact" means "called with no arguments".

Sequence modes (`order=`), for an expected list E and the actual calls A, with "e matches a" as above:
- "strict": len(E) == len(A) and E[i] matches A[i] for every i.
- "subsequence": E occurs in A in the same relative order, other calls may be interleaved (an injective,
  order-preserving map from E into A with E[i] matching its image).
- "unordered": E and A are the same multiset: a one-to-one pairing of all of E with all of A, each pair matching.
- "subset": every expected call happened: a one-to-one pairing of all of E with some calls of A (order ignored,
  other calls allowed).
- "superset": every actual call was expected: a one-to-one pairing of all of A with some items of E (order ignored,
  expected items may be left over).
By construction: strict => subsequence => subset; strict => unordered; unordered <=> (subset and superset) (a maximum
bipartite matching saturates both sides exactly when one saturating each side exists); subset(E, A) is
superset(A, E) with the relation transposed (the same maximum matching, counted from the other side); and a stricter
argument mode only removes matching pairs, so exact => subset => ignore in every sequence mode.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from .._errors import ConfigError
from .._model import ToolCall, parse_json_maybe

OrderMode = Literal["strict", "subsequence", "unordered", "subset", "superset"]
ArgsMode = Literal["exact", "subset", "ignore"]
ORDER_MODES: tuple[str, ...] = ("strict", "subsequence", "unordered", "subset", "superset")
ARGS_MODES: tuple[str, ...] = ("exact", "subset", "ignore")

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# ----------------------------------------------------------------------------------------------- matchers


class Matcher:
    """Base of matcher objects: `mismatch(actual)` returns None when `actual` matches, else a short reason."""

    __slots__ = ()

    def mismatch(self, actual: Any) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def identity(self) -> Any:
        """What two matchers must share to be equal (and hash alike)."""
        return repr(self)

    def __eq__(self, other: object) -> bool:
        # Lets a matcher sit inside plain data compared with `==` (like unittest.mock.ANY).
        if isinstance(other, Matcher):
            return type(self) is type(other) and self.identity() == other.identity()
        return self.mismatch(other) is None

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.identity()))


class _AnyValue(Matcher):
    """Matches any value."""

    __slots__ = ()

    def mismatch(self, actual: Any) -> str | None:
        return None

    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _AnyValue()
"""Matches any argument value: `call("search", query=ANY)`."""


class SchemaMatcher(Matcher):
    """Matches a value that validates against a JSON schema (Draft 2020-12 unless `$schema` says otherwise)."""

    __slots__ = ("_validator", "schema")

    def __init__(self, schema: Mapping[str, Any] | bool) -> None:
        self.schema = schema
        self._validator = make_validator(schema, where="matches_schema(...)")

    def mismatch(self, actual: Any) -> str | None:
        errors = schema_errors(self._validator, actual, limit=3)
        if not errors:
            return None
        return "does not match the schema: " + "; ".join(errors)

    def identity(self) -> Any:
        return json.dumps(self.schema, sort_keys=True, default=repr)

    def __repr__(self) -> str:
        return f"matches_schema({_short(self.schema, 60)})"


def matches_schema(schema: Mapping[str, Any] | bool) -> Any:
    """A value matcher for JSON-schema validation: `call("create", item=matches_schema({"type": "object"}))`."""
    return SchemaMatcher(schema)


def make_validator(schema: Any, *, where: str) -> Any:
    """A jsonschema validator for `schema` (checked first: an invalid schema is a ConfigError naming `where`)."""
    from jsonschema import exceptions, validators

    if not isinstance(schema, (Mapping, bool)):
        raise ConfigError(f"{where}: a JSON schema must be a dict (or a bool), got {schema!r}")
    cls = validators.validator_for(schema)
    try:
        cls.check_schema(schema)  # type: ignore[arg-type]
    except exceptions.SchemaError as exc:
        path = exc.json_path if hasattr(exc, "json_path") else "$"
        raise ConfigError(f"{where}: invalid JSON schema at {path}: {exc.message}; fix the schema") from None
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_errors(validator: Any, value: Any, *, limit: int = 20) -> list[str]:
    """Every violation as `"$.path: message"`, sorted by path (at most `limit`, then a count of the rest)."""
    errors = sorted(validator.iter_errors(value), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    lines = [f"{e.json_path}: {e.message}" for e in errors[:limit]]
    if len(errors) > limit:
        lines.append(f"... and {len(errors) - limit} more violation(s)")
    return lines


# --------------------------------------------------------------------------------------------------- calls


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Call:
    """An expected tool call: a name and the expected arguments (values may be matchers). Build with `call(...)`.

    Compares equal to a `ToolCall` it matches exactly (so `list(trace.tool_calls) == [call(...)]` works) and to a
    `Call` with the same name and arguments.
    """

    name: str
    arguments: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"a tool name must be a str, got {self.name!r}")
        if isinstance(self.arguments, Mapping) and not isinstance(self.arguments, MappingProxyType):
            object.__setattr__(self, "arguments", MappingProxyType(dict(self.arguments)))
        elif self.arguments is None:
            object.__setattr__(self, "arguments", MappingProxyType({}))

    @classmethod
    def from_tool_call(cls, tool_call: ToolCall) -> Call:
        """The expected form of a recorded call (its name and parsed arguments)."""
        return cls(tool_call.name, actual_arguments(tool_call))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Call):
            return self.name == other.name and _plain(self.arguments) == _plain(other.arguments)
        if isinstance(other, ToolCall):
            return item_matches(self, other, "exact")
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        if not isinstance(self.arguments, Mapping):
            return f"Call({self.name!r}, {describe_value(self.arguments)})"
        return f"call({self.name!r}{_kwargs_text(self.arguments, prefix=', ')})"

    def short(self, *, width: int = 60) -> str:
        """`name(k=v, ...)`, truncated to about `width` characters."""
        if not isinstance(self.arguments, Mapping):
            return _truncate(f"{self.name}({describe_value(self.arguments)})", width)
        return _truncate(f"{self.name}({_kwargs_text(self.arguments)})", width)


def call(name: str, /, **arguments: Any) -> Call:
    """An expected tool call: `call("refund_order", order_id="A1043")` (values may be `ANY`, regexes, callables...)."""
    return Call(name, arguments)


ExpectedItem = str | Call | ToolCall


def as_expected(item: Any) -> str | Call:
    """Normalize an expected item: a name, a `call(...)`, or a recorded `ToolCall` (compared by name and args)."""
    if isinstance(item, (str, Call)):
        return item
    if isinstance(item, ToolCall):
        return Call.from_tool_call(item)
    raise TypeError(
        f"an expected tool call must be a name (str), call('name', arg=...) or a ToolCall, got {item!r};"
        " build it with pytest_agenttrace.call(...)"
    )


def actual_arguments(tool_call: ToolCall) -> Any:
    """A recorded call's arguments as data: a JSON string is parsed, None is `{}`."""
    args = parse_json_maybe(tool_call.arguments)
    return {} if args is None else args


# ------------------------------------------------------------------------------------------ value matching


def describe_value(value: Any, width: int = 60) -> str:
    """A short, deterministic description of an expected or actual value (no memory addresses)."""
    if isinstance(value, re.Pattern):
        return _truncate(f"re.compile({value.pattern!r})", width)
    if isinstance(value, Matcher):
        return _truncate(repr(value), width)
    if isinstance(value, type):
        return value.__name__
    if callable(value) and not _is_data(value):
        name = getattr(value, "__name__", None) or type(value).__name__
        return f"<{name}>" if not name.startswith("<") else name
    return _short(value, width)


def value_matches(expected: Any, actual: Any) -> bool:
    """Whether `actual` matches `expected` (see the module docstring for the rules)."""
    return next(value_mismatches(expected, actual), None) is None


def value_mismatches(expected: Any, actual: Any, path: str = "", *, root: str = "value") -> Iterator[str]:
    """Lazily yield one readable line per mismatch (`"order_id: expected 'A1043', got 'A1044'"`); none if it matches."""
    label = path or root
    if expected is ANY:
        return
    if isinstance(expected, Matcher):
        reason = expected.mismatch(actual)
        if reason is not None:
            yield f"{label}: {reason}, got {_short(actual)}"
        return
    if isinstance(expected, re.Pattern):
        if not (isinstance(actual, str) and expected.fullmatch(actual)):
            yield f"{label}: expected a string matching {expected.pattern!r}, got {_short(actual)}"
        return
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            yield f"{label}: expected {_short(_plain(expected))}, got {_short(actual)}"
            return
        for key, want in expected.items():
            sub = _join(path, key)
            if key not in actual:
                yield f"{sub}: missing, expected {describe_value(want)}"
            else:
                yield from value_mismatches(want, actual[key], sub, root=root)
        for key in actual:
            if key not in expected:
                yield f"{_join(path, key)}: not expected, got {_short(actual[key])}"
        return
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)):
            yield f"{label}: expected a list {_short(_plain(expected))}, got {_short(actual)}"
        elif len(expected) != len(actual):
            yield (
                f"{label}: expected {len(expected)} item(s), got {len(actual)}: "
                f"expected {_short(_plain(expected))}, got {_short(actual)}"
            )
        else:
            for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
                yield from value_mismatches(want, got, f"{label}[{i}]", root=root)
        return
    if isinstance(expected, type):
        if not isinstance(actual, expected):
            kind = type(actual).__name__
            yield f"{label}: expected an instance of {expected.__name__}, got {_short(actual)} ({kind})"
        return
    if callable(expected) and not _is_data(expected):
        try:
            ok = bool(expected(actual))
        except Exception as exc:
            yield f"{label}: {describe_value(expected)} raised {type(exc).__name__}: {exc} for {_short(actual)}"
            return
        if not ok:
            yield f"{label}: {describe_value(expected)} returned False for {_short(actual)}"
        return
    try:
        equal = bool(expected == actual)
    except Exception:
        equal = False
    if not equal:
        yield f"{label}: expected {describe_value(expected)}, got {_short(actual)}"


def argument_mismatches(expected: Any, actual: Any, mode: ArgsMode) -> Iterator[str]:
    """Lazily yield readable lines for each way `actual` arguments fail `expected` under `mode`."""
    if mode == "ignore":
        return
    if not isinstance(expected, Mapping):
        yield from value_mismatches(expected, actual, root="arguments")
        return
    if not isinstance(actual, Mapping):
        yield f"arguments: expected {_short(_plain(expected))}, got {_short(actual)}"
        return
    for key, want in expected.items():
        if key not in actual:
            yield f"{_join('', key)}: missing, expected {describe_value(want)}"
        else:
            yield from value_mismatches(want, actual[key], _join("", key))
    if mode == "exact":
        for key in actual:
            if key not in expected:
                yield f"{_join('', key)}: not expected, got {_short(actual[key])}"


def item_mismatches(expected: str | Call, actual: ToolCall, mode: ArgsMode) -> Iterator[str]:
    """Lazily yield why one recorded call does not match one expected item (name first, then arguments)."""
    name = expected if isinstance(expected, str) else expected.name
    if actual.name != name:
        yield f"name: expected {name!r}, got {actual.name!r}"
        return
    if isinstance(expected, Call):
        yield from argument_mismatches(expected.arguments, actual_arguments(actual), mode)


def item_matches(expected: str | Call, actual: ToolCall, mode: ArgsMode) -> bool:
    """Whether one recorded call matches one expected item under an argument mode."""
    return next(item_mismatches(expected, actual, mode), None) is None


# --------------------------------------------------------------------------------------- sequence matching


@dataclass(frozen=True, slots=True)
class SequenceMatch:
    """The outcome of matching an expected list against actual calls, with what a failure message needs.

    `rows` pairs expected and actual indices for a side-by-side view (`None` on the side with no counterpart) with
    whether that row is acceptable; `first_bad` indexes `rows`; `missing`/`unexpected` are the expected and actual
    indices left unpaired that make the match fail.
    """

    ok: bool
    order: str
    rows: tuple[tuple[int | None, int | None, bool], ...]
    first_bad: int | None
    missing: tuple[int, ...]
    unexpected: tuple[int, ...]


def check_modes(order: str, args: str) -> None:
    """Reject an unknown order or args mode with the valid values."""
    if order not in ORDER_MODES:
        raise ValueError(f"order={order!r} is not a sequence mode; use one of {', '.join(map(repr, ORDER_MODES))}")
    if args not in ARGS_MODES:
        raise ValueError(f"args={args!r} is not an argument mode; use one of {', '.join(map(repr, ARGS_MODES))}")


def match_calls(
    expected: Sequence[Any], actual: Sequence[ToolCall], *, order: OrderMode = "strict", args: ArgsMode = "exact"
) -> SequenceMatch:
    """Match expected items against recorded calls under a sequence mode and an argument mode (module docstring)."""
    check_modes(order, args)
    exp = [as_expected(e) for e in expected]
    act = list(actual)

    def rel(i: int, j: int) -> bool:
        return item_matches(exp[i], act[j], args)

    if order == "strict":
        return _strict(len(exp), len(act), rel)
    if order == "subsequence":
        return _subsequence(len(exp), len(act), rel)
    names_e = [e if isinstance(e, str) else e.name for e in exp]
    names_a = [a.name for a in act]
    return match_multisets(len(exp), len(act), rel, order=order, key_e=names_e.__getitem__, key_a=names_a.__getitem__)


def _strict(n_e: int, n_a: int, rel: Callable[[int, int], bool]) -> SequenceMatch:
    rows: list[tuple[int | None, int | None, bool]] = []
    for i in range(max(n_e, n_a)):
        e = i if i < n_e else None
        a = i if i < n_a else None
        rows.append((e, a, e is not None and a is not None and rel(i, i)))
    bad = [k for k, r in enumerate(rows) if not r[2]]
    return SequenceMatch(
        ok=not bad,
        order="strict",
        rows=tuple(rows),
        first_bad=bad[0] if bad else None,
        missing=tuple(r[0] for r in rows if not r[2] and r[0] is not None),
        unexpected=tuple(r[1] for r in rows if not r[2] and r[1] is not None),
    )


def _subsequence(n_e: int, n_a: int, rel: Callable[[int, int], bool]) -> SequenceMatch:
    # Greedy leftmost embedding is optimal for a subsequence test (exchange argument: an earlier image never hurts).
    rows: list[tuple[int | None, int | None, bool]] = []
    i = 0
    for j in range(n_a):
        if i < n_e and rel(i, j):
            rows.append((i, j, True))
            i += 1
        else:
            rows.append((None, j, True))
    missing = tuple(range(i, n_e))
    first_bad = len(rows) if missing else None
    rows.extend((k, None, False) for k in missing)
    return SequenceMatch(
        ok=not missing, order="subsequence", rows=tuple(rows), first_bad=first_bad, missing=missing, unexpected=()
    )


def max_matching(
    n_left: int, n_right: int, rel: Callable[[int, int], bool], *, key_l: Any = None, key_r: Any = None
) -> dict[int, int]:
    """A maximum bipartite matching {left: right} of `rel` (Kuhn's augmenting paths, iterative).

    Only pairs with equal keys are tried when keys are given (tool names), which keeps the work per name group.
    Rights are tried in index order, so an in-order pairing is preferred when several exist.
    """
    if key_l is not None and key_r is not None:
        groups: dict[Any, list[int]] = {}
        for j in range(n_right):
            groups.setdefault(key_r(j), []).append(j)
        candidates: Callable[[int], Iterable[int]] = lambda i: groups.get(key_l(i), ())  # noqa: E731
    else:
        candidates = lambda i: range(n_right)  # noqa: E731
    adj_cache: dict[int, list[int]] = {}

    def adj(i: int) -> list[int]:
        got = adj_cache.get(i)
        if got is None:
            got = adj_cache[i] = [j for j in candidates(i) if rel(i, j)]
        return got

    match_l: dict[int, int] = {}
    match_r: dict[int, int] = {}
    for u in range(n_left):
        if not adj(u):
            continue
        visited: set[int] = set()
        parent: dict[int, int] = {}
        stack: list[tuple[int, Iterator[int]]] = [(u, iter(adj(u)))]
        found: int | None = None
        while stack and found is None:
            left, it = stack[-1]
            for r in it:
                if r in visited:
                    continue
                visited.add(r)
                parent[r] = left
                if r not in match_r:
                    found = r
                else:
                    stack.append((match_r[r], iter(adj(match_r[r]))))
                break
            else:
                stack.pop()
        if found is None:
            continue
        r = found
        while True:
            left = parent[r]
            previous = match_l.get(left)
            match_l[left] = r
            match_r[r] = left
            if left == u or previous is None:
                break
            r = previous
    return match_l


def match_multisets(
    n_e: int,
    n_a: int,
    rel: Callable[[int, int], bool],
    *,
    order: str,
    key_e: Any = None,
    key_a: Any = None,
) -> SequenceMatch:
    """The "unordered", "subset" and "superset" modes from one maximum matching of `rel` (expected x actual)."""
    pairs = max_matching(n_e, n_a, rel, key_l=key_e, key_r=key_a)
    by_actual = {a: e for e, a in pairs.items()}
    unmatched_e = [i for i in range(n_e) if i not in pairs]
    unmatched_a = [j for j in range(n_a) if j not in by_actual]
    missing_fails = order in ("unordered", "subset")
    extra_fails = order in ("unordered", "superset")
    ok = not (missing_fails and unmatched_e) and not (extra_fails and unmatched_a)

    # Rows follow the actual order; an unpaired expected item goes right after the actual call paired with the
    # nearest expected item before it (so it shows where it was due).
    keyed: list[tuple[float, int, tuple[int | None, int | None, bool]]] = []
    for j in range(n_a):
        e = by_actual.get(j)
        keyed.append((float(j), 0, (e, j, e is not None or not extra_fails)))
    for i in unmatched_e:
        anchor = next((pairs[k] for k in range(i - 1, -1, -1) if k in pairs), -1)
        keyed.append((anchor + 0.5, i, (i, None, not missing_fails)))
    keyed.sort(key=lambda t: (t[0], t[1]))
    rows = tuple(t[2] for t in keyed)
    first_bad = next((k for k, r in enumerate(rows) if not r[2]), None)
    return SequenceMatch(
        ok=ok,
        order=order,
        rows=rows,
        first_bad=first_bad,
        missing=tuple(unmatched_e) if missing_fails else (),
        unexpected=tuple(unmatched_a) if extra_fails else (),
    )


# ------------------------------------------------------------------------------------------------- helpers


def _is_data(value: Any) -> bool:
    # pytest.approx objects and similar compare with ==; they are not predicates even if some define __call__.
    return type(value).__module__.startswith("_pytest")


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _join(path: str, key: Any) -> str:
    if isinstance(key, str) and _IDENT.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def _kwargs_text(arguments: Mapping[str, Any], *, prefix: str = "") -> str:
    if not arguments:
        return ""
    simple = [k for k in arguments if isinstance(k, str) and _IDENT.fullmatch(k)]
    parts = [f"{k}={describe_value(arguments[k])}" for k in simple]
    odd = {k: v for k, v in arguments.items() if k not in simple}
    if odd:
        parts.append("**{" + ", ".join(f"{k!r}: {describe_value(v)}" for k, v in odd.items()) + "}")
    return prefix + ", ".join(parts)


def _truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def _short(value: Any, width: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the assertion
        text = f"<{type(value).__name__}>"
    return _truncate(text, width)
