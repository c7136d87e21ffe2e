"""Property tests of the matcher semantics: implications between modes, duality, argument-mode consistency, and
the matching algorithms against brute force."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agenttrace import ToolCall
from pytest_agenttrace.assertions import Call, call
from pytest_agenttrace.assertions._matchers import (
    ARGS_MODES,
    ORDER_MODES,
    match_calls,
    match_multisets,
    max_matching,
)

names = st.sampled_from(["a", "b", "c"])
arguments = st.dictionaries(st.sampled_from(["x", "y"]), st.integers(0, 2), max_size=2)
tool_calls = st.builds(lambda n, a: ToolCall(name=n, arguments=a), names, arguments)
concrete_calls = st.builds(lambda n, a: call(n, **a), names, arguments)
expected_items = st.one_of(names, concrete_calls)
actual_lists = st.lists(tool_calls, max_size=6)
expected_lists = st.lists(expected_items, max_size=6)
args_modes = st.sampled_from(ARGS_MODES)

PROPS = settings(max_examples=300, deadline=None)


def ok(expected: list, actual: list, order: str, args: str) -> bool:
    return match_calls(expected, actual, order=order, args=args).ok  # type: ignore[arg-type]


def as_actual(c: Call) -> ToolCall:
    return ToolCall(name=c.name, arguments=dict(c.arguments))


@PROPS
@given(expected_lists, actual_lists, args_modes)
def test_implications_between_sequence_modes(expected: list, actual: list, args: str) -> None:
    strict, subseq, unordered, subset, superset = (ok(expected, actual, o, args) for o in ORDER_MODES)
    assert not strict or unordered
    assert not unordered or superset
    assert not strict or subseq
    assert not subseq or subset
    # Mendelsohn-Dulmage: a matching saturating each side exists iff one saturates both.
    assert unordered == (subset and superset)


@PROPS
@given(expected_lists, actual_lists)
def test_argument_modes_are_monotone(expected: list, actual: list) -> None:
    for order in ORDER_MODES:
        exact, subset, ignore = (ok(expected, actual, order, m) for m in ARGS_MODES)
        assert not exact or subset, order
        assert not subset or ignore, order


@PROPS
@given(st.lists(concrete_calls, max_size=6), actual_lists, st.sampled_from(["exact", "ignore"]))
def test_subset_and_superset_are_duals(expected: list[Call], actual: list[ToolCall], args: str) -> None:
    # With concrete values the item relation is symmetric, so swapping the roles of the lists is the transpose.
    swapped_expected = [Call.from_tool_call(a) for a in actual]
    swapped_actual = [as_actual(e) for e in expected]
    assert ok(expected, actual, "subset", args) == ok(swapped_expected, swapped_actual, "superset", args)
    assert ok(expected, actual, "superset", args) == ok(swapped_expected, swapped_actual, "subset", args)
    assert ok(expected, actual, "unordered", args) == ok(swapped_expected, swapped_actual, "unordered", args)


relations = st.integers(0, 5).flatmap(
    lambda n: st.integers(0, 5).flatmap(
        lambda m: st.tuples(
            st.just(n), st.just(m), st.lists(st.lists(st.booleans(), min_size=m, max_size=m), min_size=n, max_size=n)
        )
    )
)


def brute_force_matching_size(n: int, m: int, rel: list[list[bool]]) -> int:
    best = 0
    for k in range(min(n, m), 0, -1):
        for lefts in itertools.combinations(range(n), k):
            for rights in itertools.permutations(range(m), k):
                if all(rel[i][j] for i, j in zip(lefts, rights, strict=True)):
                    return k
    return best


@PROPS
@given(relations)
def test_max_matching_is_maximum_and_valid(data: tuple[int, int, list[list[bool]]]) -> None:
    n, m, rel = data
    pairs = max_matching(n, m, lambda i, j: rel[i][j])
    assert len(set(pairs.values())) == len(pairs)  # one-to-one
    assert all(rel[i][j] for i, j in pairs.items())
    assert len(pairs) == brute_force_matching_size(n, m, rel)


@PROPS
@given(relations)
def test_duality_for_any_relation(data: tuple[int, int, list[list[bool]]]) -> None:
    n, m, rel = data
    subset = match_multisets(n, m, lambda i, j: rel[i][j], order="subset")
    superset = match_multisets(m, n, lambda j, i: rel[i][j], order="superset")
    assert subset.ok == superset.ok


@PROPS
@given(expected_lists, actual_lists, args_modes)
def test_subsequence_greedy_agrees_with_brute_force(expected: list, actual: list, args: str) -> None:
    def matches(e: object, a: ToolCall) -> bool:
        return match_calls([e], [a], order="strict", args=args).ok  # type: ignore[arg-type]

    brute = any(
        all(matches(e, actual[j]) for e, j in zip(expected, idx, strict=True))
        for idx in itertools.combinations(range(len(actual)), len(expected))
    )
    assert ok(expected, actual, "subsequence", args) == brute


@PROPS
@given(actual_lists, st.randoms(use_true_random=False), args_modes)
def test_a_trace_matches_itself_its_permutations_and_its_parts(actual: list[ToolCall], rnd, args: str) -> None:
    expected = [Call.from_tool_call(a) for a in actual]
    assert ok(expected, actual, "strict", args)
    shuffled = expected[:]
    rnd.shuffle(shuffled)
    assert ok(shuffled, actual, "unordered", args)
    keep = sorted(rnd.sample(range(len(expected)), rnd.randint(0, len(expected))))
    part = [expected[i] for i in keep]
    assert ok(part, actual, "subsequence", args)
    assert ok(part, actual, "subset", args)
    assert ok(expected + part, actual, "superset", args)


@PROPS
@given(expected_lists, actual_lists)
def test_bare_names_behave_like_ignore_mode(expected: list, actual: list) -> None:
    names_only = [e if isinstance(e, str) else e.name for e in expected]
    for order in ORDER_MODES:
        assert ok(names_only, actual, order, "exact") == ok(expected, actual, order, "ignore")
