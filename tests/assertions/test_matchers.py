"""Value matchers, `call(...)`, argument modes and sequence modes, one rule per test."""

from __future__ import annotations

import re
from unittest import mock

import pytest

from pytest_agenttrace import ConfigError, ToolCall
from pytest_agenttrace.assertions import ANY, Call, call, matches_schema
from pytest_agenttrace.assertions._matchers import (
    argument_mismatches,
    as_expected,
    item_matches,
    match_calls,
    value_matches,
    value_mismatches,
)


def tc(name: str, arguments: object = None) -> ToolCall:
    return ToolCall(name=name, arguments=arguments)


# ------------------------------------------------------------------------------------------------ values


def test_any_matches_everything() -> None:
    for v in (None, 0, "x", {"a": 1}, [1, 2]):
        assert value_matches(ANY, v)
    assert value_matches(mock.ANY, {"a": 1})


def test_regex_must_fullmatch_a_string() -> None:
    pat = re.compile(r"A\d+")
    assert value_matches(pat, "A1043")
    assert not value_matches(pat, "xA1043")  # search would match; fullmatch does not
    assert not value_matches(pat, "A1043x")
    assert not value_matches(pat, 1043)


def test_approx_works_by_equality() -> None:
    assert value_matches(pytest.approx(0.3), 0.1 + 0.2)
    assert not value_matches(pytest.approx(0.3), 0.31)
    assert value_matches({"amount": pytest.approx(25.0)}, {"amount": 25.0000000001})


def test_callable_true_matches_false_or_raising_does_not() -> None:
    assert value_matches(lambda v: v > 0, 3)
    assert not value_matches(lambda v: v > 0, -3)
    assert not value_matches(lambda v: v > 0, "text")  # TypeError -> mismatch, not a crash
    (line,) = value_mismatches(lambda v: v > 0, "text")
    assert "raised TypeError" in line and "'text'" in line


def test_a_class_is_an_isinstance_check() -> None:
    assert value_matches(str, "x")
    assert not value_matches(str, 3)
    assert not value_matches(int, "3")


def test_plain_dict_means_equal_not_schema() -> None:
    schema_like = {"type": "string"}
    assert not value_matches(schema_like, "hello")
    assert value_matches(schema_like, {"type": "string"})
    assert not value_matches({"a": 1}, {"a": 1, "b": 2})


def test_nested_matchers_inside_dicts_and_lists() -> None:
    expected = {"items": [{"sku": re.compile("MUG-.*"), "qty": ANY}]}
    assert value_matches(expected, {"items": [{"sku": "MUG-01", "qty": 2}]})
    assert not value_matches(expected, {"items": [{"sku": "CUP-01", "qty": 2}]})


def test_list_and_tuple_are_interchangeable() -> None:
    assert value_matches([1, 2], (1, 2))
    assert value_matches((1, 2), [1, 2])
    assert not value_matches([1, 2], [2, 1])


def test_matches_schema() -> None:
    m = matches_schema({"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}})
    assert value_matches(m, {"id": "A1"})
    assert not value_matches(m, {"id": 1})
    (line,) = value_mismatches({"order": m}, {"order": {"id": 1}})
    assert line.startswith("order: does not match the schema: $.id: 1 is not of type 'string'")


def test_matchers_compare_by_what_they_match() -> None:
    long_a = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(10)}}
    long_b = {**long_a, "required": ["p9"]}
    assert matches_schema(long_a) == matches_schema(dict(long_a))
    assert matches_schema(long_a) != matches_schema(long_b)  # same truncated repr, different schema
    assert ANY == ANY and matches_schema(long_a) != ANY
    assert {"a": ANY} == {"a": 123}  # inside plain data too


def test_matches_schema_rejects_an_invalid_schema() -> None:
    with pytest.raises(ConfigError, match=r"invalid JSON schema at \$\.type"):
        matches_schema({"type": "no-such-type"})


def test_mismatch_lines_name_path_expected_and_actual() -> None:
    lines = list(value_mismatches({"a": {"b": [1, 2]}, "c": 1}, {"a": {"b": [1, 3]}, "d": 2}))
    assert lines == ["a.b[1]: expected 2, got 3", "c: missing, expected 1", "d: not expected, got 2"]


def test_describe_has_no_memory_addresses() -> None:
    def positive(v: int) -> bool:
        return v > 0

    text = repr(call("f", a=positive, b=lambda v: True, c=str, d=re.compile("x"), e=ANY))
    assert "0x" not in text
    assert text == "call('f', a=<positive>, b=<lambda>, c=str, d=re.compile('x'), e=ANY)"


# ------------------------------------------------------------------------------------------------- calls


def test_call_repr_and_immutability() -> None:
    c = call("refund_order", order_id="A1043")
    assert repr(c) == "call('refund_order', order_id='A1043')"
    with pytest.raises(AttributeError):
        c.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        c.arguments["order_id"] = "B"  # read-only mapping
    assert repr(call("x", **{"my-key": 1})) == "call('x', **{'my-key': 1})"


def test_call_equals_a_tool_call_it_matches_exactly() -> None:
    actual = tc("get_order", {"order_id": "A1043"})
    assert call("get_order", order_id="A1043") == actual
    assert actual == call("get_order", order_id=re.compile("A.*"))
    assert call("get_order") != actual  # exact: no arguments expected
    assert [actual] == [call("get_order", order_id="A1043")]
    assert call("a", x=1) == call("a", x=1) and call("a", x=1) != call("a", x=2)


def test_as_expected_rejects_other_types() -> None:
    with pytest.raises(TypeError, match=r"call\('name', arg=\.\.\.\)"):
        as_expected(42)
    assert as_expected(tc("a", '{"x": 1}')) == call("a", x=1)


# ------------------------------------------------------------------------------------------ argument modes


def test_exact_subset_ignore() -> None:
    actual = tc("refund_order", {"order_id": "A1043", "amount": 25.0})
    full = call("refund_order", order_id="A1043", amount=25.0)
    part = call("refund_order", order_id="A1043")
    wrong = call("refund_order", order_id="A1044")
    assert item_matches(full, actual, "exact") and item_matches(part, actual, "subset")
    assert not item_matches(part, actual, "exact")
    assert not item_matches(wrong, actual, "subset") and item_matches(wrong, actual, "ignore")
    assert not item_matches(call("get_order"), actual, "ignore")  # the name always counts
    assert item_matches("refund_order", actual, "exact")  # a bare name matches on the name only


def test_json_string_and_none_arguments() -> None:
    assert item_matches(call("a", x=1), tc("a", '{"x": 1}'), "exact")
    assert item_matches(call("a"), tc("a", None), "exact")
    assert not item_matches(call("a", x=1), tc("a", "not json"), "subset")
    assert list(argument_mismatches({"x": 1}, "not json", "exact")) == ["arguments: expected {'x': 1}, got 'not json'"]


# ------------------------------------------------------------------------------------------ sequence modes

ACTUAL = [tc("a", {"i": 1}), tc("b", {"i": 2}), tc("a", {"i": 3})]


@pytest.mark.parametrize(
    ("expected", "order", "ok"),
    [
        (["a", "b", "a"], "strict", True),
        (["a", "a", "b"], "strict", False),
        (["a", "b"], "strict", False),
        (["a", "a", "b"], "unordered", True),
        (["a", "b"], "unordered", False),
        (["a", "a"], "subsequence", True),
        (["b", "a"], "subsequence", True),
        (["b", "b"], "subsequence", False),
        (["a", "a", "b"], "subsequence", False),  # all present, wrong order
        (["a", "a", "b"], "subset", True),
        (["b", "a"], "subset", True),
        (["a", "a", "a"], "subset", False),
        (["a", "b", "a", "c"], "superset", True),
        (["a", "b"], "superset", False),
        ([], "subset", True),
        ([], "superset", False),
    ],
)
def test_sequence_modes(expected: list[str], order: str, ok: bool) -> None:
    assert match_calls(expected, ACTUAL, order=order, args="exact").ok is ok  # type: ignore[arg-type]


def test_unordered_needs_a_real_pairing_not_greedy() -> None:
    # The first expected item could take either call; greedy pairing with the first would strand the second.
    actual = [tc("a", {"x": 1, "y": 1}), tc("a", {"x": 1, "y": 2})]
    expected = [call("a", x=1), call("a", y=1)]
    assert match_calls(expected, actual, order="unordered", args="subset").ok


def test_unknown_modes_are_rejected_with_the_valid_values() -> None:
    with pytest.raises(ValueError, match="'strict', 'subsequence', 'unordered', 'subset', 'superset'"):
        match_calls([], [], order="any")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'exact', 'subset', 'ignore'"):
        match_calls([], [], args="loose")  # type: ignore[arg-type]


def test_call_is_not_a_call_kwarg_holder_for_name() -> None:
    # `name` is positional-only, so a tool argument called "name" works.
    c = call("lookup", name="Ada")
    assert isinstance(c, Call) and dict(c.arguments) == {"name": "Ada"}
