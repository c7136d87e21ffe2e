"""`_fastinit.fast_constructor(cls)` builds the same objects as `cls(...)`, or is `cls` itself when it could not;
`fast_positional(cls)` builds them from every field in field order.

For every class the package builds through it: equal objects (==, repr, hash where hashable, each field the very
same value), still frozen and `dataclasses.replace`-able, the same signature, defaults and fresh default factories,
and the same TypeError for bad calls. Classes it must not serve (a `__post_init__`, a changed shape) get
themselves back.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import InitVar, dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agenttrace import _build, _capture, _model
from pytest_agenttrace._fastinit import fast_constructor, fast_positional
from pytest_agenttrace._model import AgentRun, LLMCall, Retrieval, ToolCall, Totals
from pytest_agenttrace._records import SpanEvent, SpanRecord

#: Every class the package builds through `fast_constructor`, with the constructor it uses.
SERVED: list[tuple[type, Any]] = [
    (Retrieval, _build._new_retrieval),
    (Totals, _model._new_totals),
    (SpanRecord, _capture._make_record),
]
IDS = [cls.__name__ for cls, _ in SERVED]
#: Every class the package builds through `fast_positional` (every field passed in field order).
POSITIONAL: list[tuple[type, Any]] = [
    (AgentRun, _build._new_agent_run),
    (LLMCall, _build._new_llm_call),
    (ToolCall, _build._new_tool_call),
]
POSITIONAL_IDS = [cls.__name__ for cls, _ in POSITIONAL]

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.tuples(st.text(max_size=3), st.integers()),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.lists(st.integers(), max_size=2),
    st.builds(SpanEvent, st.text(max_size=3)),
)


@pytest.mark.parametrize(("cls", "make"), SERVED, ids=IDS)
def test_the_package_uses_the_fast_path(cls: type, make: Any) -> None:
    assert make is not cls  # (a class that stopped qualifying would silently lose the speed-up)
    assert make is not None


@pytest.mark.parametrize(("cls", "make"), SERVED, ids=IDS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_objects_equal_the_class_constructor(cls: type, make: Any, data: st.DataObject) -> None:
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required or data.draw(st.booleans()):  # optional fields: given or left to their default
            kwargs[f.name] = data.draw(VALUES)
    fast, plain = make(**kwargs), cls(**kwargs)
    assert type(fast) is cls
    assert fast == plain
    assert plain == fast
    assert repr(fast) == repr(plain)
    for f in dataclasses.fields(cls):
        if f.name in kwargs:
            assert getattr(fast, f.name) is kwargs[f.name], f.name
        else:
            assert getattr(fast, f.name) == getattr(plain, f.name), f.name
    try:
        expected_hash = hash(plain)
    except TypeError:
        with pytest.raises(TypeError):
            hash(fast)
    else:
        assert hash(fast) == expected_hash
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.__setattr__(dataclasses.fields(cls)[0].name, 1)
    assert dataclasses.replace(fast) == plain
    assert type(dataclasses.replace(fast)) is cls


@pytest.mark.parametrize(("cls", "make"), SERVED, ids=IDS)
def test_positional_calls_match(cls: type, make: Any) -> None:
    positional = [p for p in inspect.signature(cls).parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    if positional:
        args = [f"v{i}" for i in range(len(positional))]
        assert make(*args) == cls(*args)
        assert repr(make(*args[:3])) == repr(cls(*args[:3]))
    else:  # keyword-only classes refuse positional arguments alike
        with pytest.raises(TypeError):
            make("v0")
        with pytest.raises(TypeError):
            cls("v0")


@pytest.mark.parametrize(("cls", "make"), SERVED, ids=IDS)
def test_same_signature_and_errors(cls: type, make: Any) -> None:
    def shape(fn: Any) -> list[tuple[str, Any, str]]:
        return [(p.name, p.kind, repr(p.default)) for p in inspect.signature(fn).parameters.values()]

    assert shape(make) == shape(cls)
    for bad in ({}, {"no_such_field": 1}):
        with pytest.raises(TypeError) as fast_error:
            make(**bad)
        with pytest.raises(TypeError) as plain_error:
            cls(**bad)
        assert type(fast_error.value) is type(plain_error.value)


def test_default_factories_give_each_object_its_own_value() -> None:
    make = _capture._make_record
    a, b = make("t", "s", "n"), make("t", "s", "n")
    assert a == b == SpanRecord("t", "s", "n")
    assert a.attributes == {} and a.attributes is not b.attributes
    assert a.resource is not b.resource


# ------------------------------------------------------------------------------------------- fallbacks


@dataclass(frozen=True, slots=True)
class _PostInit:
    x: int

    def __post_init__(self) -> None:
        if self.x < 0:
            raise ValueError("x")


@dataclass(frozen=True)
class _NoSlots:
    x: int


class _NotADataclass:
    __slots__ = ("x",)


@dataclass(frozen=True, slots=True)
class _WithInitVar:
    x: int
    y: InitVar[int] = 0


@dataclass(frozen=True, slots=True)
class _NotInInit:
    x: int
    y: int = field(default=0, init=False)


@dataclass(frozen=True, slots=True, init=False)
class _NoInit:
    x: int


@dataclass(frozen=True, slots=True)
class _HandWrittenInit:
    x: int

    def __init__(self, value: str) -> None:  # kept by @dataclass, which writes an __init__ only if there is none
        object.__setattr__(self, "x", int(value))


@dataclass(frozen=True, slots=True)
class _Base:
    x: int


@dataclass(frozen=True, slots=True)
class _Derived(_Base):  # `x` is a slot of the base: not set through this class's own descriptors
    y: int = 0


@pytest.mark.parametrize(
    "cls", [_PostInit, _NoSlots, _NotADataclass, _WithInitVar, _NotInInit, _NoInit, _HandWrittenInit, _Derived]
)
def test_falls_back_to_the_class_itself(cls: type) -> None:
    assert fast_constructor(cls) is cls


def test_post_init_still_runs_through_the_fallback() -> None:
    make = fast_constructor(_PostInit)
    with pytest.raises(ValueError):
        make(-1)


@dataclass(frozen=True, slots=True)
class _Mixed:
    a: int
    b: list[int] = field(default_factory=list)
    c: str = "c"
    _: dataclasses.KW_ONLY
    d: int = 4
    e: tuple[int, ...] = ()


def test_keyword_only_fields_and_factories_of_a_new_class() -> None:
    make = fast_constructor(_Mixed)
    assert make is not _Mixed
    assert make(1) == _Mixed(1)
    assert make(1, [2], "x", d=5, e=(1,)) == _Mixed(1, [2], "x", d=5, e=(1,))
    with pytest.raises(TypeError):
        make(1, [2], "x", 5)  # `d` is keyword-only, as in the class
    assert make(1).b is not make(1).b


# ------------------------------------------------------------------------------------------- fast_positional


@pytest.mark.parametrize(("cls", "make"), POSITIONAL, ids=POSITIONAL_IDS)
def test_positional_constructor_takes_every_field_in_order(cls: type, make: Any) -> None:
    assert make is not cls
    params = list(inspect.signature(make).parameters.values())
    assert [p.name for p in params] == [f.name for f in dataclasses.fields(cls)]
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty for p in params)


@pytest.mark.parametrize(("cls", "make"), POSITIONAL, ids=POSITIONAL_IDS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_positional_objects_equal_the_class_constructor(cls: type, make: Any, data: st.DataObject) -> None:
    names = [f.name for f in dataclasses.fields(cls)]
    values = [data.draw(VALUES) for _ in names]
    kwargs = dict(zip(names, values, strict=True))
    fast, by_name, plain = make(*values), make(**kwargs), cls(**kwargs)
    for obj in (fast, by_name):
        assert type(obj) is cls
        assert obj == plain and plain == obj
        assert repr(obj) == repr(plain)
        for name, value in kwargs.items():
            assert getattr(obj, name) is value, name
    try:
        expected_hash = hash(plain)
    except TypeError:
        pass
    else:
        assert hash(fast) == expected_hash
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.__setattr__(names[0], 1)
    assert dataclasses.replace(fast) == plain


@pytest.mark.parametrize(("cls", "make"), POSITIONAL, ids=POSITIONAL_IDS)
def test_positional_constructor_refuses_a_missing_or_extra_field(cls: type, make: Any) -> None:
    n = len(dataclasses.fields(cls))
    with pytest.raises(TypeError):
        make(*range(n - 1))
    with pytest.raises(TypeError):
        make(*range(n + 1))


def test_positional_falls_back_to_the_class_constructor() -> None:
    make = fast_positional(_PostInit)
    assert make(1) == _PostInit(1)
    with pytest.raises(ValueError):
        make(-1)  # `__post_init__` still runs
    assert fast_positional(_Derived)(1, 2) == _Derived(1, 2)
    with pytest.raises(TypeError, match="needs a dataclass"):
        fast_positional(_NotADataclass)
