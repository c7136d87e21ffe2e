"""`conventions._facts.compile_rules(rules)` applies field rules exactly as `Facts.set_first(attrs, rules)` does.

Checked on every rule set the GenAI reader compiles and on a synthetic one whose converters return None and "",
with generated attributes (each rule's keys present or not, empty and odd values) and fields already set.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agenttrace.conventions import genai
from pytest_agenttrace.conventions._facts import Facts, FieldRule, as_float, as_int, as_str_tuple, compile_rules

_SYNTHETIC: tuple[FieldRule, ...] = (
    ("a", ("k1", "k2", "k3"), None),
    ("b", ("k2",), lambda v: None if v == 0 else v),  # a converted None: the next key is not tried
    ("c", ("k3", "k4"), lambda v: "" if v == "x" else v),
    ("a", ("k4",), None),  # a field set by an earlier rule is kept
    ("d", (), None),  # no keys: nothing
    ("e", ("k5",), as_int),
    ("f", ("k5", "k1"), as_float),
    ("g", ("k6",), as_str_tuple),
)
RULE_SETS = {
    "tool": genai._TOOL_FIELDS,
    "agent": genai._AGENT_FIELDS,
    "retrieval": genai._RETRIEVAL_FIELDS,
    "llm": genai._LLM_FIELDS,
    "usage details": genai._USAGE_DETAIL_FIELDS,
    "synthetic": _SYNTHETIC,
}
VALUES = st.one_of(
    st.none(),
    st.just(""),
    st.just(()),
    st.just("x"),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    st.sampled_from(["12", "1.5", "nan", '["a", 1]', "stop", "  "]),
    st.lists(st.sampled_from(["stop", "length", ""]), max_size=3).map(tuple),
    st.lists(st.integers(0, 2), max_size=2),
)


def _keys(rules: tuple[FieldRule, ...]) -> list[str]:
    return sorted({k for _, names, _ in rules for k in names} | {"unrelated"})


@pytest.mark.parametrize("name", list(RULE_SETS))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_compiled_rules_match_set_first(name: str, data: st.DataObject) -> None:
    rules = RULE_SETS[name]
    attrs: dict[str, Any] = data.draw(st.dictionaries(st.sampled_from(_keys(rules)), VALUES, max_size=12))
    fields = sorted({key for key, _, _ in rules})
    preset: dict[str, Any] = data.draw(st.dictionaries(st.sampled_from(fields), VALUES, max_size=2))
    expected = Facts(None, dict(preset))
    expected.set_first(attrs, rules)
    got = dict(preset)
    compile_rules(rules)(attrs, got)
    # the same fields, values (types included) and order; reprs, because a converted "nan" is never equal to itself
    assert repr(list(got.items())) == repr(list(expected.fields.items()))


def test_the_reader_uses_its_compiled_rules() -> None:
    # (a reader that went back to an uncompiled copy of its rules would pass the test above and lose the speed-up)
    rec_attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": "7"}
    fields: dict[str, Any] = {}
    genai._SET_LLM_FIELDS(rec_attrs, fields)
    assert fields == {"request_model": "m", "input_tokens": 7}
    assert genai._SET_LLM_FIELDS.__name__ == "apply_rules"


def test_converter_results_none_or_empty_skip_the_field() -> None:
    apply = compile_rules(_SYNTHETIC)
    fields: dict[str, Any] = {}
    apply({"k2": 0, "k3": "x", "k4": "y"}, fields)
    # a: k2's 0 (k4 is a later rule of a field already set); b: 0 converts to None; c: "x" converts to "" and k4
    # is not tried
    assert fields == {"a": 0}
