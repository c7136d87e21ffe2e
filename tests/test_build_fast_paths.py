"""The builder's fast paths are the same rules as the plain forms they replace (one property per shortcut).

- `read_span` asks only the GenAI reader when no other convention's claim keys or names are on the span, and
  returns a single module's reading unmerged: both equal the full merge of every module's reading.
- each convention module's `CLAIM_KEYS` / `CLAIM_NAMES` are what its `extract` needs to have an opinion.
- `Facts.set_first(attrs, rules)` is `set(field, convert(first(attrs, *keys)))` per rule.
- `parse_json_maybe` decodes exactly what `json.loads` of the stripped string accepts.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agenttrace import SpanRecord
from pytest_agenttrace._model import parse_json_maybe
from pytest_agenttrace.conventions import FIELD_ORDER, ROLE_ORDER, Facts, genai, read_span
from pytest_agenttrace.conventions._facts import as_float, as_int, as_str_tuple, first
from pytest_agenttrace.formats import read_records

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_FILES = sorted((ROOT / "fixtures" / "traces").glob("*.otlp.json")) + sorted(
    (ROOT.parent / "shared" / "fixtures" / "traces").glob("*/*.json")
)
OTHER_MODULES = tuple(m for m in dict.fromkeys((*ROLE_ORDER, *FIELD_ORDER)) if m is not genai)


def fixture_records() -> Iterator[SpanRecord]:
    for path in FIXTURE_FILES:
        try:
            yield from read_records(path)
        except Exception:  # a shared fixture this reader does not take (covered by its own tests)
            continue


RECORDS = list(fixture_records())


def merged_reading(rec: SpanRecord) -> Facts | None:
    """Every module asked and merged (the rule of `conventions` as written before any shortcut)."""
    found = {mod: f for mod in dict.fromkeys((*ROLE_ORDER, *FIELD_ORDER)) if (f := mod.extract(rec)) is not None}
    if not found:
        return None
    role = next((f.role for mod in ROLE_ORDER if (f := found.get(mod)) is not None and f.role is not None), None)
    merged = Facts(role=role)
    for mod in FIELD_ORDER:
        if mod in found:
            for k, v in found[mod].fields.items():
                merged.fields.setdefault(k, v)
    return merged


def test_fixture_records_cover_every_convention() -> None:
    assert len(RECORDS) > 100
    claimed = {mod.__name__ for mod in OTHER_MODULES for rec in RECORDS if mod.extract(rec) is not None}
    assert len(claimed) >= 3, claimed  # the merge path below is exercised, not only the GenAI-only one


def test_read_span_equals_the_full_merge_on_fixture_spans() -> None:
    for rec in RECORDS:
        assert read_span(rec) == merged_reading(rec), rec.name


def test_claim_keys_are_what_each_module_needs_on_fixture_spans() -> None:
    for mod in OTHER_MODULES:
        for rec in RECORDS:
            stripped = {k: v for k, v in rec.attributes.items() if k not in mod.CLAIM_KEYS}
            name = "x" if rec.name in mod.CLAIM_NAMES else rec.name
            assert mod.extract(SpanRecord(rec.trace_id, rec.span_id, name, attributes=stripped)) is None, mod


@pytest.mark.parametrize("mod", OTHER_MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_claim_keys_are_what_each_module_needs_on_its_own_vocabulary(mod: Any) -> None:
    """Any one or two of the strings a reader tests for, as keys (and any one as the span name): no opinion unless
    a claim key or name is among them."""
    words = sorted(string_constants(mod))
    keys = [w for w in words if w not in mod.CLAIM_KEYS]
    names = ["span", *(w for w in words if w not in mod.CLAIM_NAMES)]
    values = ["x", 1, "TOOL", "tool", "chat", '{"output_tools": [{"name": "t"}]}']
    spans = [("span", {k1: v, k2: v}) for i, k1 in enumerate(keys) for k2 in keys[i:] for v in values]
    spans += [(name, {k: v}) for name in names for k in keys for v in values]
    for name, attrs in spans:
        assert mod.extract(SpanRecord("0" * 32, "1" * 16, name, attributes=attrs)) is None, (name, attrs)


def string_constants(module: Any) -> set[str]:
    """Every string literal in a module's source: the attribute keys and span names its reader can test for."""
    tree = ast.parse(Path(module.__file__).read_text())
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


FIXTURE_KEYS = sorted({k for rec in RECORDS for k in rec.attributes})
#: Per reader: the keys and names it tests for, plus keys seen in real traces (so spans look like a mix).
KEYS = [st.sampled_from(sorted(string_constants(m))) | st.sampled_from(FIXTURE_KEYS) for m in (*OTHER_MODULES, genai)]
VALUES = st.one_of(
    st.none(),
    st.just(""),
    st.just(()),
    st.booleans(),
    st.integers(-3, 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["chat", "execute_tool", "invoke_agent", "TOOL", "LLM", "AGENT", "tool", "agent", '{"a": 1}']),
    st.tuples(st.text(max_size=5)),
)


@st.composite
def spans(draw: st.DrawFn) -> SpanRecord:
    """A span whose attributes come mostly from one or two readers' vocabularies."""
    keys = st.one_of(*draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=2)))
    attrs = draw(st.dictionaries(keys, VALUES, max_size=8))
    name = draw(st.sampled_from(["chat gpt", "execute_tool t", "invoke_agent a", "span", ""]) | keys)
    return SpanRecord("0" * 32, "1" * 16, name, attributes=attrs)


@settings(max_examples=600, deadline=None)
@given(rec=spans())
def test_read_span_equals_the_full_merge_on_generated_spans(rec: SpanRecord) -> None:
    assert read_span(rec) == merged_reading(rec)
    for mod in OTHER_MODULES:
        if mod.CLAIM_KEYS.isdisjoint(rec.attributes) and rec.name not in mod.CLAIM_NAMES:
            assert mod.extract(rec) is None, mod


RULE_KEYS = ("a", "b", "c")
CONVERTERS = st.sampled_from([None, as_int, as_float, as_str_tuple])


@settings(max_examples=300, deadline=None)
@given(
    attrs=st.dictionaries(st.sampled_from(RULE_KEYS), VALUES, max_size=3),
    rules=st.lists(
        st.tuples(
            st.sampled_from(["x", "y"]), st.lists(st.sampled_from(RULE_KEYS), min_size=1, max_size=3), CONVERTERS
        ),
        max_size=4,
    ),
    preset=st.dictionaries(st.sampled_from(["x", "y"]), st.integers(), max_size=1),
)
def test_set_first_is_set_of_first(attrs: dict[str, Any], rules: list[Any], preset: dict[str, Any]) -> None:
    fast, plain = Facts(fields=dict(preset)), Facts(fields=dict(preset))
    fast.set_first(attrs, [(key, tuple(names), convert) for key, names, convert in rules])
    for key, names, convert in rules:
        value = first(attrs, *names)
        plain.set(key, convert(value) if convert is not None and value is not None else value)
    assert fast.fields == plain.fields
    assert list(fast.fields) == list(plain.fields)


def loads_or_same(value: Any) -> Any:
    """`parse_json_maybe` as first written: `json.loads` of the stripped string when it may be JSON."""
    if isinstance(value, str):
        s = value.strip()
        if (
            s[:1] in ("{", "[", '"')
            or s in ("true", "false", "null")
            or re.fullmatch(r"-?\d+(\.\d+)?([eE][+-]?\d+)?", s)
        ):
            try:
                return json.loads(s)
            except ValueError:
                return value
    return value


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(
    doc=JSONISH,
    before=st.sampled_from(["", " ", "\n\t", "\u00a0", "\ufeff"]),
    after=st.sampled_from(["", " ", "\r\n", "x", " ]", "}", "\u2003", ", 1"]),
)
def test_parse_json_maybe_is_json_loads_of_the_stripped_text(doc: Any, before: str, after: str) -> None:
    text = before + json.dumps(doc) + after
    assert repr(parse_json_maybe(text)) == repr(loads_or_same(text))


@pytest.mark.parametrize(
    "text",
    ["", " ", "[", "{}", "[1,]", "1e5", "-0", "01", "1 2", '"a" "b"', "nan", "NaN", "[NaN]", "true ", " null", "{"],
)
def test_parse_json_maybe_on_edge_strings(text: str) -> None:
    assert repr(parse_json_maybe(text)) == repr(loads_or_same(text))


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet='{}[]",:0123456789.eE+- \ntruefalsn\\', max_size=16))
def test_parse_json_maybe_on_json_like_noise(text: str) -> None:
    assert repr(parse_json_maybe(text)) == repr(loads_or_same(text))
