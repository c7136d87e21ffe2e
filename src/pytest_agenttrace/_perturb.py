"""Perturbed tool outputs for property tests: the values, the hypothesis strategies, replay and capture helpers.

The public face is `pytest_agenttrace.strategies`. A `Perturbation` replaces the output of the tool call recorded at
one step of a cassette (and, unless `once=True`, of every later call of that tool: the backend stays broken). It
becomes `ToolOverride`s, so it is replayed by the ordinary cassette machinery. Kinds are ordered from least to most
disruptive, which is the order hypothesis shrinks towards.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import functools
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ._errors import AgentTraceError
from .cassettes._format import Cassette, ToolError, ToolInteraction
from .cassettes._session import ToolOverride, use_cassette
from .cassettes._tools import RecordedToolError

if TYPE_CHECKING:
    from ._live import LiveTrace
    from ._model import Trace
    from .cassettes._session import ReplaySession

__all__ = [
    "DEFAULT_ERRORS",
    "KINDS",
    "Perturbation",
    "PerturbationError",
    "capture",
    "from_schema",
    "infer_schema",
    "perturbations",
    "replaying",
]

#: Perturbation kinds, least to most disruptive (hypothesis shrinks towards the first).
KINDS: tuple[str, ...] = ("none", "empty", "error", "timeout", "truncate", "reorder", "schema")

#: The failures an `error` perturbation raises by default (shrinks towards the first).
DEFAULT_ERRORS: tuple[ToolError, ...] = (
    ToolError(type="RuntimeError", message="internal error"),
    ToolError(type="ConnectionError", message="connection reset by peer"),
    ToolError(type="PermissionError", message="permission denied"),
    ToolError(type="ValueError", message="malformed response from backend"),
)
_TIMEOUT = ToolError(type="TimeoutError", message="timed out")

#: Default size caps when a schema gives none (small values keep examples fast and counterexamples readable).
_MAX_ITEMS = 5
_MAX_LENGTH = 40


class PerturbationError(AgentTraceError, ValueError):
    """A strategy or perturbation was given something it cannot use (the message names it and the fix)."""


# ---------------------------------------------------------------------------------------------- JSON schema

_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$schema", "$id", "$comment", "format"})
_SUPPORTED = _ANNOTATIONS | {
    "type",
    "enum",
    "const",
    "anyOf",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
}
_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))


def _json_leaves() -> SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(_CHARS, max_size=_MAX_LENGTH),
    )


def _any_json() -> SearchStrategy[Any]:
    return st.recursive(
        _json_leaves(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(_CHARS, max_size=10), inner, max_size=3)
        ),
        max_leaves=8,
    )


def _unique_key(value: Any) -> str:
    """JSON Schema equality for `uniqueItems`: 1 == 1.0, but True != 1."""

    def norm(v: Any) -> Any:
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        if isinstance(v, (int, float)):
            return int(v) if float(v).is_integer() else v
        if isinstance(v, Mapping):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [norm(x) for x in v]
        return v

    return json.dumps(norm(value), sort_keys=True)


def _bound(schema: Mapping[str, Any], key: str, exclusive_key: str) -> tuple[float | None, bool]:
    """(bound, exclusive) from `minimum`/`exclusiveMinimum` in draft 4 (boolean) or draft 6+ (number) form."""
    value = schema.get(key)
    exclusive = schema.get(exclusive_key)
    if isinstance(exclusive, bool):
        return value, exclusive and value is not None
    if isinstance(exclusive, (int, float)):
        if value is None:
            return exclusive, True
        # both given: the tighter one wins
        tighter = max(value, exclusive) if key == "minimum" else min(value, exclusive)
        return tighter, tighter == exclusive
    return value, False


def from_schema(schema: Mapping[str, Any] | bool, *, _where: str = "#") -> SearchStrategy[Any]:
    """A strategy for JSON values valid against `schema` (the common subset; unsupported keywords are refused).

    Supported: `type` (one or a list), `enum`, `const`, `anyOf`, `properties`/`required`/`additionalProperties`,
    `items`/`minItems`/`maxItems`/`uniqueItems`, `minLength`/`maxLength`, `minimum`/`maximum`/
    `exclusiveMinimum`/`exclusiveMaximum`; annotations (`title`, `description`, `format`, ...) are ignored.
    """
    if schema is True or (isinstance(schema, Mapping) and not (set(schema) - _ANNOTATIONS)):
        return _any_json()
    if schema is False:
        raise PerturbationError(f"JSON schema at {_where} is `false`: no value is valid; give a satisfiable schema")
    if not isinstance(schema, Mapping):
        raise PerturbationError(f"JSON schema at {_where} must be an object (a dict), got {schema!r}")
    unknown = sorted(set(schema) - _SUPPORTED)
    if unknown:
        raise PerturbationError(
            f"JSON schema keyword(s) {', '.join(map(repr, unknown))} at {_where} are not supported by from_schema "
            f"(supported: {', '.join(sorted(_SUPPORTED - _ANNOTATIONS))}); simplify the schema or pass a hypothesis "
            "strategy for this tool instead: schemas={'tool_name': st.builds(...)}"
        )
    if "const" in schema:
        return st.just(copy.deepcopy(schema["const"]))
    if "enum" in schema:
        values = schema["enum"]
        if not isinstance(values, list) or not values:
            raise PerturbationError(f"JSON schema 'enum' at {_where} must be a non-empty list, got {values!r}")
        return st.sampled_from(values).map(copy.deepcopy)
    if "anyOf" in schema:
        branches = schema["anyOf"]
        if not isinstance(branches, list) or not branches:
            raise PerturbationError(f"JSON schema 'anyOf' at {_where} must be a non-empty list, got {branches!r}")
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return st.one_of(
            [from_schema({**rest, **branch}, _where=f"{_where}/anyOf/{i}") for i, branch in enumerate(branches)]
        )
    typ = schema.get("type")
    if typ is None:
        if "properties" in schema or "required" in schema:
            typ = "object"
        elif "items" in schema or "minItems" in schema or "maxItems" in schema:
            typ = "array"
        elif "minLength" in schema or "maxLength" in schema:
            typ = "string"
        elif any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
            typ = "number"
        else:
            return _any_json()
    if isinstance(typ, list):
        if not typ:
            raise PerturbationError(f"JSON schema 'type' at {_where} is an empty list; name at least one type")
        return st.one_of([_typed(schema, t, _where) for t in typ])
    return _typed(schema, typ, _where)


def _typed(schema: Mapping[str, Any], typ: Any, where: str) -> SearchStrategy[Any]:
    if typ not in _TYPES:
        raise PerturbationError(f"JSON schema type {typ!r} at {where} is not one of {', '.join(_TYPES)}")
    if typ == "null":
        return st.none()
    if typ == "boolean":
        return st.booleans()
    if typ in ("integer", "number"):
        lo, lo_ex = _bound(schema, "minimum", "exclusiveMinimum")
        hi, hi_ex = _bound(schema, "maximum", "exclusiveMaximum")
        if typ == "integer":
            ilo = None if lo is None else (math.floor(lo) + 1 if lo_ex else math.ceil(lo))
            ihi = None if hi is None else (math.ceil(hi) - 1 if hi_ex else math.floor(hi))
            if ilo is not None and ihi is not None and ilo > ihi:
                raise PerturbationError(f"JSON schema at {where}: no integer lies between {lo!r} and {hi!r}")
            return st.integers(min_value=ilo, max_value=ihi)
        if lo is not None and hi is not None and (lo > hi or (lo == hi and (lo_ex or hi_ex))):
            raise PerturbationError(f"JSON schema at {where}: no number lies between {lo!r} and {hi!r}")
        return st.floats(
            min_value=lo,
            max_value=hi,
            exclude_min=lo_ex,
            exclude_max=hi_ex,
            allow_nan=False,
            allow_infinity=False,
        )
    if typ == "string":
        min_len = int(schema.get("minLength", 0))
        max_len = int(schema.get("maxLength", max(min_len, _MAX_LENGTH)))
        if min_len > max_len:
            raise PerturbationError(f"JSON schema at {where}: minLength {min_len} > maxLength {max_len}")
        return st.text(_CHARS, min_size=min_len, max_size=max_len)
    if typ == "array":
        items = schema.get("items", True)
        if isinstance(items, list):
            raise PerturbationError(
                f"JSON schema at {where}: tuple-form 'items' (a list of schemas) is not supported; "
                "use one schema for every item"
            )
        inner = from_schema(items, _where=f"{where}/items")
        min_items = int(schema.get("minItems", 0))
        max_items = int(schema.get("maxItems", max(min_items, _MAX_ITEMS)))
        if min_items > max_items:
            raise PerturbationError(f"JSON schema at {where}: minItems {min_items} > maxItems {max_items}")
        unique = _unique_key if schema.get("uniqueItems") else None
        return st.lists(inner, min_size=min_items, max_size=max_items, unique_by=unique)
    # object
    props = schema.get("properties") or {}
    if not isinstance(props, Mapping):
        raise PerturbationError(f"JSON schema 'properties' at {where} must be an object, got {props!r}")
    required = schema.get("required") or []
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise PerturbationError(f"JSON schema 'required' at {where} must be a list of names, got {required!r}")
    extra = schema.get("additionalProperties", True)

    def prop(name: str) -> SearchStrategy[Any]:
        if name in props:
            return from_schema(props[name], _where=f"{where}/properties/{name}")
        if isinstance(extra, Mapping):
            return from_schema(extra, _where=f"{where}/additionalProperties")
        if extra is False:
            raise PerturbationError(
                f"JSON schema at {where}: {name!r} is required but not in 'properties' and additionalProperties "
                "is false: no value is valid"
            )
        return _any_json()

    return st.fixed_dictionaries(
        {name: prop(name) for name in required},
        optional={name: prop(name) for name in props if name not in required},
    )


def infer_schema(value: Any) -> dict[str, Any]:
    """A JSON schema describing the shape of a recorded value: same keys (all required), same types, any sizes."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, (list, tuple)):
        distinct: list[dict[str, Any]] = []
        for item in value:
            s = infer_schema(item)
            if s not in distinct:
                distinct.append(s)
        items: dict[str, Any] = {} if not distinct else distinct[0] if len(distinct) == 1 else {"anyOf": distinct}
        return {"type": "array", "items": items}
    if isinstance(value, Mapping):
        props = {str(k): infer_schema(v) for k, v in value.items()}
        return {"type": "object", "properties": props, "required": list(props)}
    return {}


# ------------------------------------------------------------------------------------------- output changes


def _empty_like(value: Any) -> Any:
    """An empty result of the same shape: `[]`, `""`, a dict with its lists emptied (or `{}` when it has none)."""
    if isinstance(value, (list, tuple)):
        return []
    if isinstance(value, str):
        return ""
    if isinstance(value, Mapping):
        if any(isinstance(v, (list, tuple)) for v in value.values()):
            return {k: [] if isinstance(v, (list, tuple)) else copy.deepcopy(v) for k, v in value.items()}
        return {}
    return None


def _longest_string(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        return max((_longest_string(v) for v in value.values()), default=0)
    if isinstance(value, (list, tuple)):
        return max((_longest_string(v) for v in value), default=0)
    return 0


def _truncated(value: Any, limit: int) -> Any:
    """Every string longer than `limit` characters cut to its first `limit` (dict keys untouched)."""
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, Mapping):
        return {k: _truncated(v, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_truncated(v, limit) for v in value]
    return value


_JsonPath = tuple[Any, ...]


def _reorderable(value: Any, path: _JsonPath = ()) -> list[_JsonPath]:
    """Paths of the lists in `value` that a permutation can change (two or more distinct items)."""
    out: list[_JsonPath] = []
    if isinstance(value, (list, tuple)):
        if len({_unique_key(v) for v in value}) > 1:
            out.append(path)
        for i, v in enumerate(value):
            out.extend(_reorderable(v, (*path, i)))
    elif isinstance(value, Mapping):
        for k, v in value.items():
            out.extend(_reorderable(v, (*path, k)))
    return out


def _get(value: Any, path: _JsonPath) -> Any:
    for key in path:
        value = value[key]
    return value


def _replaced(value: Any, path: _JsonPath, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, Mapping):
        return {k: _replaced(v, rest, new) if k == head else copy.deepcopy(v) for k, v in value.items()}
    return [_replaced(v, rest, new) if i == head else copy.deepcopy(v) for i, v in enumerate(value)]


def _permuted(items: Sequence[Any], order: Sequence[int]) -> list[Any]:
    if list(order) == list(range(len(items))):  # never the identity: rotate by one
        order = [*range(1, len(items)), 0]
    return [copy.deepcopy(items[i]) for i in order]


# --------------------------------------------------------------------------------------------------- errors


def _as_tool_error(value: Any, *, kind: str) -> ToolError:
    if isinstance(value, ToolError):
        return value
    if isinstance(value, BaseException):
        cls = type(value)
        name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
        message = value.args[0] if len(value.args) == 1 and isinstance(value.args[0], str) else str(value)
        return ToolError(type=name, message=message)
    if isinstance(value, type) and issubclass(value, BaseException):
        return ToolError(type=value.__qualname__ if value.__module__ == "builtins" else value.__name__, message="")
    raise PerturbationError(
        f"a {kind!r} perturbation's output must be an exception, an exception class or a ToolError, got {value!r}"
    )


def _exception_type(error: ToolError) -> type[BaseException]:
    name = error.type or "RuntimeError"
    cls: Any
    if "." in name:
        module_name, _, qual = name.rpartition(".")
        module = sys.modules.get(module_name)
        cls = getattr(module, qual, None) if module is not None else None
    else:
        cls = getattr(builtins, name, None)
    return cls if isinstance(cls, type) and issubclass(cls, Exception) else RecordedToolError


@functools.lru_cache(maxsize=256)
def _raising_class(error: ToolError) -> type[BaseException]:
    """An exception class whose no-argument constructor gives this error (a fresh instance per raise).

    `ToolOverride(raises=instance)` would re-raise one instance on every call, growing its traceback; a class is
    instantiated anew. It subclasses the recorded type and keeps its name, so `except ConnectionError` works.
    """
    base = _exception_type(error)
    if base is not RecordedToolError:
        try:
            return _subclass(base, error)
        except Exception:  # the recorded type needs other constructor arguments
            pass
    return _subclass(RecordedToolError, error)


def _subclass(base: type[BaseException], error: ToolError) -> type[BaseException]:
    message = error.message
    init: Callable[..., None]
    if base is RecordedToolError:

        def init_recorded(self: Any, *args: Any) -> None:
            RecordedToolError.__init__(self, *(args or (message,)), type_name=error.type)

        init = init_recorded
    else:

        def init_plain(self: Any, *args: Any) -> None:
            base.__init__(self, *(args or ((message,) if message else ())))

        init = init_plain
    cls = type(base.__name__, (base,), {"__init__": init, "__module__": base.__module__})
    cls.__qualname__ = base.__qualname__
    cls()  # fails here, not at raise time, when the type needs other arguments
    return cls


def _error_repr(error: ToolError) -> str:
    return f"{(error.type or 'RuntimeError').rsplit('.', 1)[-1]}({error.message!r})"


# ----------------------------------------------------------------------------------------------- the value


@dataclass(frozen=True, kw_only=True)
class Perturbation:
    """One changed tool output: the call recorded at `step` (1-based, as in the cassette) to `tool` gets `output`.

    `kind` is one of `KINDS`. For `error` and `timeout`, `output` is the failure raised (a `ToolError`, or an
    exception given as `RuntimeError('boom')`); for the result kinds it is the value returned; for `none` it is
    unused. Unless `once=True`, every later call of the same tool gets the same output (a broken backend stays
    broken, so an agent's retries see the fault too). Its repr is valid Python: paste it into `@example(...)`.
    """

    step: int
    tool: str
    kind: str
    output: Any = None
    once: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise PerturbationError(f"Perturbation kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if isinstance(self.step, bool) or not isinstance(self.step, int) or self.step < 1:
            raise PerturbationError(
                f"Perturbation step must be an int >= 1 (tool calls count from 1), got {self.step!r}"
            )
        if not isinstance(self.tool, str) or not self.tool:
            raise PerturbationError(f"Perturbation tool must be the tool's name, got {self.tool!r}")
        if self.kind == "timeout":
            object.__setattr__(
                self, "output", _TIMEOUT if self.output is None else _as_tool_error(self.output, kind="timeout")
            )
        elif self.kind == "error":
            object.__setattr__(self, "output", _as_tool_error(self.output, kind="error"))

    def __hash__(self) -> int:
        return hash((self.step, self.tool, self.kind, repr(self.output), self.once))

    def __repr__(self) -> str:
        parts = [f"step={self.step!r}", f"tool={self.tool!r}", f"kind={self.kind!r}"]
        if self.kind in ("error", "timeout"):
            parts.append(f"output={_error_repr(self.output)}")
        elif self.kind != "none":
            parts.append(f"output={self.output!r}")
        if self.once:
            parts.append("once=True")
        return f"Perturbation({', '.join(parts)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints a falsifying example with this (not with how the strategy built the value)."""
        printer.text(repr(self))

    def describe(self) -> str:
        """One line for messages: `step 2 (search_kb): error -> RuntimeError('internal error') from step 2 on`."""
        if self.kind == "none":
            return f"step {self.step} ({self.tool}): unchanged"
        out = _error_repr(self.output) if self.kind in ("error", "timeout") else repr(self.output)
        scope = "" if self.once else f" from step {self.step} on"
        return f"step {self.step} ({self.tool}): {self.kind} -> {out}{scope}"

    def _override(self, step: int | None) -> ToolOverride:
        if self.kind == "timeout":
            return ToolOverride(step=step, name=self.tool, timeout=True)
        if self.kind == "error":
            return ToolOverride(step=step, name=self.tool, raises=_raising_class(self.output))
        return ToolOverride(step=step, name=self.tool, result=copy.deepcopy(self.output))

    def to_overrides(self, cassette: Cassette | str | os.PathLike[str] | None = None) -> list[ToolOverride]:
        """The `ToolOverride`s that replay this perturbation (`[]` for kind `none`).

        `once=True`: one override at `step`. Otherwise one override for every call of the tool, preceded by
        overrides that answer the tool's calls *before* `step` with their recordings; those need `cassette`
        (without it, a tool also called before `step` would be perturbed there too). Results are deep copies.
        """
        if self.kind == "none":
            return []
        if self.once:
            return [self._override(self.step)]
        pins: list[ToolOverride] = []
        if cassette is not None:
            recorded = _cassette(cassette).tools
            for i, rec in enumerate(recorded[: self.step - 1], 1):
                if rec.name == self.tool:
                    pins.append(_pin(i, rec))
        return [*pins, self._override(None)]


def _pin(step: int, rec: ToolInteraction) -> ToolOverride:
    if rec.error is not None:
        return ToolOverride(step=step, name=rec.name, raises=_raising_class(rec.error))
    return ToolOverride(step=step, name=rec.name, result=copy.deepcopy(rec.result))


@functools.lru_cache(maxsize=32)
def _load(path: str, mtime_ns: int, size: int) -> Cassette:
    return Cassette.load(path)


def _cassette(cassette: Cassette | str | os.PathLike[str]) -> Cassette:
    if isinstance(cassette, Cassette):
        return cassette
    p = Path(cassette)
    try:
        stat = p.stat()
    except FileNotFoundError:
        raise PerturbationError(
            f"cassette {os.fspath(cassette)!r} does not exist; record it first (record mode 'once') "
            "or give the path relative to the current directory"
        ) from None
    return _load(str(p), stat.st_mtime_ns, stat.st_size)


def _cassette_path(cassette: Cassette | str | os.PathLike[str]) -> Path:
    if isinstance(cassette, Cassette):
        if cassette.path is None:
            raise PerturbationError(
                "replaying() needs a cassette file: this Cassette was not loaded from or saved to one; "
                "call cassette.save(path) first or pass the path"
            )
        return cassette.path
    return Path(cassette)


# ----------------------------------------------------------------------------------------------- strategies


@dataclass(frozen=True)
class _StepPlan:
    """What can be changed at one recorded step, and how much (fixed per step, whatever the kind drawn)."""

    step: int
    rec: ToolInteraction
    kinds: frozenset[str]
    longest: int
    paths: tuple[_JsonPath, ...]
    schema: SearchStrategy[Any] | None


def _plan(step: int, rec: ToolInteraction, schema: Any) -> _StepPlan:
    failed = rec.error is not None
    longest = 0 if failed else _longest_string(rec.result)
    paths = () if failed else tuple(_reorderable(rec.result))
    if schema is None and not failed:
        schema = infer_schema(rec.result)
    strategy = None if schema is None else schema if isinstance(schema, SearchStrategy) else from_schema(schema)
    kinds = {"none", "empty", "error", "timeout"}
    if longest:
        kinds.add("truncate")
    if paths:
        kinds.add("reorder")
    if strategy is not None:
        kinds.add("schema")
    return _StepPlan(step, rec, frozenset(kinds), longest, paths, strategy)


@dataclass(frozen=True)
class _Draws:
    """The small components drawn for one step; only those of the drawn kind are used."""

    cut: int
    path: _JsonPath
    order: tuple[int, ...]


def _draws(draw: Any, plan: _StepPlan) -> _Draws:
    cut = draw(st.integers(1, plan.longest)) if plan.longest else 0
    path: _JsonPath = ()
    order: tuple[int, ...] = ()
    if plan.paths:
        path = draw(st.sampled_from(plan.paths))
        order = tuple(draw(st.permutations(range(len(_get(plan.rec.result, path))))))
    return _Draws(cut, path, order)


@st.composite
def _perturbation(
    draw: Any, plans: Sequence[_StepPlan], kinds: Sequence[str], errors: Sequence[ToolError], once: bool
) -> Perturbation:
    """Kind first, then step, then the small components of every step's changes, whatever the kind and step;
    a random result (kind `schema`) last.

    What is drawn after the kind and the step does not depend on them (and the random result, drawn only for
    `schema`, comes last), so the shrinker can lower either, to a less disruptive kind or an earlier step,
    without invalidating the rest. A `one_of` per kind would make the later draws change shape and stop the
    shrink at the first kind that failed.
    """
    n = len(plans)
    kind = draw(st.sampled_from(kinds))
    start = draw(st.integers(0, n - 1)) if n > 1 else 0
    error = draw(st.sampled_from(errors))
    components = [_draws(draw, plan) for plan in plans]
    index = next((start + j) % n for j in range(n) if kind in plans[(start + j) % n].kinds)
    plan, got = plans[index], components[index]
    base = plan.rec.result
    output: Any = None
    if kind == "error":
        output = error
    elif kind == "empty":
        output = _empty_like(base)
    elif kind == "truncate":
        # Strings longer than the longest minus `cut` are cut: shrinks towards cutting one character.
        output = _truncated(base, plan.longest - got.cut)
    elif kind == "reorder":
        output = _replaced(base, got.path, _permuted(_get(base, got.path), got.order))
    elif kind == "schema":
        assert plan.schema is not None
        output = draw(plan.schema)
    return Perturbation(step=plan.step, tool=plan.rec.name, kind=kind, output=output, once=once)


def perturbations(
    cassette: Cassette | str | os.PathLike[str],
    *,
    steps: Iterable[int] | None = None,
    tools: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
    schemas: Mapping[str, Mapping[str, Any] | SearchStrategy[Any]] | None = None,
    errors: Sequence[BaseException | type[BaseException] | ToolError] | None = None,
    once: bool = False,
) -> SearchStrategy[Perturbation]:
    """Perturbations of the tool outputs recorded in `cassette` (a `Cassette` or a path).

    `steps`: 1-based tool-call steps to perturb (default: all recorded); `tools`: only calls of these tools;
    `kinds`: any of `KINDS` (default: all), shrunk in `KINDS` order whatever order they are given in; `schemas`:
    tool name -> JSON schema (or strategy) of its result for kind `schema` (default: the shape of the recorded
    result, see `infer_schema`); `errors`: the failures of kind `error`; `once`: perturb only that one call.
    A kind that cannot change a step (nothing to reorder, no text to truncate) is skipped for that step.
    """
    cas = _cassette(cassette)
    recorded = cas.tools
    if not recorded:
        raise PerturbationError(
            f"cassette {cas.path or '<in memory>'} has no recorded tool calls, so there is nothing to perturb; "
            "record the agent's run first"
        )
    if isinstance(kinds, str):
        raise PerturbationError(f"kinds={kinds!r} must be a tuple of kinds, e.g. kinds=({kinds!r},)")
    wanted_kinds = KINDS if kinds is None else tuple(kinds)
    unknown = [k for k in wanted_kinds if k not in KINDS]
    if unknown:
        raise PerturbationError(f"kinds={kinds!r}: {', '.join(map(repr, unknown))} not in {KINDS!r}")
    ordered = [k for k in KINDS if k in wanted_kinds]
    if steps is None:
        chosen = list(range(1, len(recorded) + 1))
    else:
        chosen = sorted(set(steps))
        bad = [s for s in chosen if isinstance(s, bool) or not isinstance(s, int) or not 1 <= s <= len(recorded)]
        if bad:
            raise PerturbationError(
                f"steps {bad!r} are not recorded tool calls: the cassette has {len(recorded)} "
                f"(steps 1-{len(recorded)}: {', '.join(f'{i}={t.name}' for i, t in enumerate(recorded, 1))})"
            )
    if tools is not None:
        names = {tools} if isinstance(tools, str) else set(tools)
        missing = names - {t.name for t in recorded}
        if missing:
            raise PerturbationError(
                f"tools {sorted(missing)!r} never called in the cassette; recorded tools: "
                f"{sorted({t.name for t in recorded})!r}"
            )
        chosen = [s for s in chosen if recorded[s - 1].name in names]
        if not chosen:
            raise PerturbationError(f"no step among {steps!r} calls one of the tools {sorted(names)!r}")
    error_values = tuple(_as_tool_error(e, kind="error") for e in (DEFAULT_ERRORS if errors is None else errors))
    if not error_values:
        raise PerturbationError("errors=() leaves kind 'error' nothing to raise; give at least one exception")
    schemas = dict(schemas or {})
    plans = [_plan(step, recorded[step - 1], schemas.get(recorded[step - 1].name)) for step in chosen]
    available = [k for k in ordered if any(k in p.kinds for p in plans)]
    missing_kinds = [k for k in ordered if k not in available]
    if missing_kinds and kinds is not None:
        kind = missing_kinds[0]
        raise PerturbationError(
            f"kind {kind!r} cannot change the output of any chosen step ({_describe_steps(recorded, chosen)}): "
            f"{_why_not(kind)}; drop it from kinds="
        )
    if not available:
        raise PerturbationError(f"no kind among {ordered!r} applies to the chosen steps")
    return _perturbation(plans, available, error_values, once)


def _describe_steps(recorded: Sequence[ToolInteraction], chosen: Sequence[int]) -> str:
    return ", ".join(f"step {s} {recorded[s - 1].name}" for s in chosen)


def _why_not(kind: str) -> str:
    return {
        "truncate": "their results hold no text",
        "reorder": "their results hold no list of two or more different items",
        "schema": "they recorded errors and no schema was given in schemas=",
    }.get(kind, "nothing to change")


# --------------------------------------------------------------------------------------------- replay, capture


@contextlib.contextmanager
def replaying(
    cassette: Cassette | str | os.PathLike[str],
    perturbation: Perturbation | None = None,
    *,
    mode: str = "none",
    http: bool = False,
    tools: Mapping[str, str] | None = None,
) -> Iterator[ReplaySession]:
    """Replay `cassette`'s tool calls with `perturbation` applied, for one hypothesis example (a fresh session).

    LLM HTTP replay is off by default (`http=False`): a perturbed conversation differs from the recorded one, so
    recorded LLM responses cannot answer it; answer the model with a scripted fake (see the robustness example).
    `tools` maps tool names to dotted paths to patch, as in `use_cassette`. Use this, not the `agent_cassette`
    fixture, inside `@given`: function-scoped fixtures are not reset between examples.
    """
    path = _cassette_path(cassette)
    overrides = perturbation.to_overrides(cassette if isinstance(cassette, Cassette) else path) if perturbation else []
    with use_cassette(path, mode=mode, overrides=overrides, http=http, tools=tools) as session:
        yield session


def _note_trajectory(records: Sequence[Any]) -> None:
    """`note()` the trajectory of `records` when inside a hypothesis test (built apart from the caller's trace, so a
    warning about an odd trace is raised where the test looks at it, not here)."""
    from hypothesis import note
    from hypothesis.control import currently_in_test_context

    if not currently_in_test_context():
        return
    import warnings

    from ._model import Trace

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text = _trajectory(Trace.from_records(tuple(records), source="strategies.capture()"))
    except Exception as exc:  # never mask the test's own failure
        text = f"trajectory of this example: not available ({type(exc).__name__}: {exc})"
    note(text)


@contextlib.contextmanager
def capture(*, provider: Any = None, forward: bool = False, note: bool = True) -> Iterator[LiveTrace]:
    """Collect the spans that end during the block into a trace (a `LiveTrace`, complete when the block exits).

    Spans come from `provider` (an SDK `TracerProvider`) or the global SDK provider (one is installed when none
    is set), through the plugin's capture processor, with or without `--agenttrace`. They are not passed on to
    the `--agenttrace` session unless `forward=True`: each hypothesis example is a run of its own, and since
    hypothesis seeds `random` per example, the SDK repeats span ids from one example to the next. With
    `note=True`, inside a hypothesis test the trajectory is `note()`d: a falsifying example prints it.
    """
    from . import _capture
    from ._live import LiveTrace
    from ._records import SpanRecord

    if provider is not None:
        _capture.attach(provider)
    else:
        captured, current = _capture.ensure_global_provider()
        if captured is None:
            raise AgentTraceError(
                f"capture() cannot read spans from the global tracer provider {type(current).__qualname__!r} "
                "(not an OpenTelemetry SDK TracerProvider); pass the SDK provider your instrumentation uses: "
                "capture(provider=...)"
            )
    records: list[SpanRecord] = []
    outer = _capture._active_sink if forward else None

    def sink(record: SpanRecord) -> None:
        records.append(record)
        if outer is not None:
            outer(record)

    trace = LiveTrace(lambda: records, source="strategies.capture()")
    _capture.push_sink(sink)
    try:
        yield trace
    finally:
        _capture.pop_sink(sink)
        if note:
            _note_trajectory(records)


def _trajectory(trace: Trace, *, max_lines: int = 40) -> str:
    from ._render import render_tree

    return "trajectory of this example:\n" + render_tree(trace, max_value=100, max_lines=max_lines)
