"""`pytest_agenttrace.strategies`: perturbations of recorded tool outputs, their shrinking, repr and replay."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample
from hypothesis.vendor.pretty import pretty

from pytest_agenttrace.cassettes import Cassette, ToolError, ToolInteraction, ToolOverride, tool
from pytest_agenttrace.strategies import (
    DEFAULT_ERRORS,
    KINDS,
    Perturbation,
    PerturbationError,
    capture,
    from_schema,
    infer_schema,
    perturbations,
    replaying,
)

FAST = settings(max_examples=40, deadline=None, database=None, derandomize=True)
FIND = settings(database=None, derandomize=True, max_examples=500)

ORDER = {"order_id": "A1", "total": 25.0, "status": "delivered"}
POLICIES = [
    {"id": "P1", "text": "Broken items are refunded in full."},
    {"id": "P2", "text": "Returns within 30 days."},
    {"id": "P3", "text": "Late deliveries get a voucher."},
]
REFUND = {"refund_id": "R1", "ok": True}


def _cassette() -> Cassette:
    return Cassette(
        tools=[
            ToolInteraction(name="get_order", arguments={"order_id": "A1"}, result=ORDER),
            ToolInteraction(name="search_kb", arguments={"query": "refund"}, result=POLICIES),
            ToolInteraction(name="refund_order", arguments={"order_id": "A1", "amount": 25.0}, result=REFUND),
        ]
    )


CASSETTE = _cassette()


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


# ------------------------------------------------------------------------------------------ each kind


@FAST
@given(p=perturbations(CASSETTE, steps=[2], kinds=("none",)))
def test_none_changes_nothing(p: Perturbation) -> None:
    assert (p.step, p.tool, p.kind, p.output) == (2, "search_kb", "none", None)
    assert p.to_overrides() == []


@pytest.mark.parametrize(
    ("step", "expected"),
    [(1, {}), (2, []), (3, {})],
)
def test_empty_is_the_empty_value_of_the_recorded_shape(step: int, expected: Any) -> None:
    p = find(perturbations(CASSETTE, steps=[step], kinds=("empty",)), lambda _: True, settings=FIND)
    assert p.output == expected


def test_empty_keeps_a_dicts_other_keys_and_empties_its_lists() -> None:
    c = Cassette(tools=[ToolInteraction(name="search", result={"query": "x", "hits": [1, 2], "total": 2})])
    p = find(perturbations(c, kinds=("empty",)), lambda _: True, settings=FIND)
    assert p.output == {"query": "x", "hits": [], "total": 2}


@FAST
@given(p=perturbations(CASSETTE, kinds=("error",)))
def test_error_raises_one_of_the_default_failures(p: Perturbation) -> None:
    assert p.output in DEFAULT_ERRORS
    [override] = p.to_overrides()
    assert override.name == p.tool and override.step is None
    assert isinstance(override.raises, type)
    raised = override.raises()
    assert type(raised).__name__ == p.output.type
    assert str(raised) == p.output.message


@FAST
@given(p=perturbations(CASSETTE, kinds=("timeout",)))
def test_timeout_becomes_a_timeout_override(p: Perturbation) -> None:
    assert p.output == ToolError(type="TimeoutError", message="timed out")
    assert p.to_overrides() == [ToolOverride(name=p.tool, timeout=True)]


@FAST
@given(p=perturbations(CASSETTE, kinds=("truncate",)))
def test_truncate_cuts_the_longest_strings_and_keeps_the_shape(p: Perturbation) -> None:
    recorded = CASSETTE.tools[p.step - 1].result
    before, after = _strings(recorded), _strings(p.output)
    assert len(before) == len(after)
    assert all(b.startswith(a) for a, b in zip(after, before, strict=True))
    assert max(map(len, after)) < max(map(len, before))
    assert infer_schema(p.output) == infer_schema(recorded)


@FAST
@given(p=perturbations(CASSETTE, kinds=("reorder",)))
def test_reorder_permutes_a_list_and_never_returns_it_unchanged(p: Perturbation) -> None:
    assert p.step == 2  # the only step with a list
    assert p.output != POLICIES
    assert sorted(p.output, key=repr) == sorted(POLICIES, key=repr)


@FAST
@given(p=perturbations(CASSETTE, kinds=("schema",)))
def test_schema_results_have_the_recorded_shape(p: Perturbation) -> None:
    jsonschema.validate(p.output, infer_schema(CASSETTE.tools[p.step - 1].result))


SEARCH_SCHEMA = {
    "type": "object",
    "properties": {
        "hits": {
            "type": "array",
            "minItems": 1,
            "maxItems": 3,
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "minLength": 2, "maxLength": 4},
                    "score": {"type": "number", "minimum": 0, "maximum": 1},
                    "rank": {"type": "integer", "exclusiveMinimum": 0, "maximum": 10},
                    "kind": {"enum": ["policy", "faq"]},
                },
                "required": ["id", "score"],
                "additionalProperties": False,
            },
        },
        "next": {"type": ["string", "null"]},
    },
    "required": ["hits"],
}


@FAST
@given(p=perturbations(CASSETTE, steps=[2], kinds=("schema",), schemas={"search_kb": SEARCH_SCHEMA}))
def test_schema_results_validate_against_the_given_schema(p: Perturbation) -> None:
    jsonschema.Draft202012Validator(SEARCH_SCHEMA).validate(p.output)


def test_a_strategy_can_stand_in_for_a_schema() -> None:
    strategy = perturbations(CASSETTE, steps=[2], kinds=("schema",), schemas={"search_kb": st.just(["x"])})
    assert find(strategy, lambda _: True, settings=FIND).output == ["x"]


def test_kinds_that_cannot_change_a_step_are_skipped_unless_asked_for() -> None:
    seen = set()

    @settings(FAST, max_examples=100)
    @given(p=perturbations(CASSETTE, steps=[1]))
    def collect(p: Perturbation) -> None:
        seen.add(p.kind)

    collect()
    assert "reorder" not in seen  # get_order's result holds no list
    assert {"empty", "error", "timeout", "truncate", "schema"} <= seen
    with pytest.raises(PerturbationError, match=r"kind 'reorder' cannot change .*step 1 get_order.*no list"):
        perturbations(CASSETTE, steps=[1], kinds=("error", "reorder"))


# ------------------------------------------------------------------------------------------ shrinking


def test_shrinking_reaches_the_least_disruptive_failing_kind() -> None:
    """A property that breaks on timeouts and on every more disruptive kind shrinks to a timeout."""
    for seed_free in (FIND, settings(FIND, derandomize=False)):
        p = find(perturbations(CASSETTE), lambda p: KINDS.index(p.kind) >= KINDS.index("timeout"), settings=seed_free)
        assert (p.kind, p.step) == ("timeout", 1)


def test_shrinking_through_given_reports_the_minimal_error() -> None:
    """The planted bug: any exception at step 2 breaks the property; hypothesis reports the plainest one."""
    seen: list[Perturbation] = []

    @settings(FAST, max_examples=60, report_multiple_bugs=False)
    @given(p=perturbations(CASSETTE, steps=[2], kinds=("empty", "error", "timeout", "reorder", "schema")))
    def prop(p: Perturbation) -> None:
        seen.append(p)
        assert p.kind not in ("error", "timeout"), "the agent retried forever"

    with pytest.raises(AssertionError, match="retried forever") as excinfo:
        prop()
    minimal = Perturbation(step=2, tool="search_kb", kind="error", output=RuntimeError("internal error"))
    assert seen[-1] == minimal
    notes = "\n".join(excinfo.value.__notes__)
    assert "p=Perturbation(step=2, tool='search_kb', kind='error', output=RuntimeError('internal error'))" in notes


def test_shrinking_a_truncation_cuts_as_little_as_breaks_the_property() -> None:
    p = find(
        perturbations(CASSETTE, steps=[2], kinds=("truncate",)),
        lambda p: not any("refunded" in s for s in _strings(p.output)),
        settings=FIND,
    )
    assert p.output[0]["text"] == "Broken items are refunde"  # one character fewer would still say "refunded"


def test_shrinking_a_schema_result_finds_the_boundary_value() -> None:
    schema = {"type": "object", "properties": {"count": {"type": "integer", "minimum": 0}}, "required": ["count"]}
    p = find(
        perturbations(CASSETTE, steps=[3], kinds=("schema",), schemas={"refund_order": schema}),
        lambda p: p.output["count"] > 10,
        settings=FIND,
    )
    assert p.output == {"count": 11}


def test_shrinking_prefers_the_earliest_step() -> None:
    p = find(perturbations(CASSETTE, kinds=("error",)), lambda p: p.step >= 2, settings=FIND)
    assert (p.step, p.output) == (2, DEFAULT_ERRORS[0])


# ----------------------------------------------------------------------------------------------- repr


@pytest.mark.parametrize(
    ("perturbation", "text"),
    [
        (
            Perturbation(step=2, tool="search_kb", kind="error", output=RuntimeError("boom")),
            "Perturbation(step=2, tool='search_kb', kind='error', output=RuntimeError('boom'))",
        ),
        (
            Perturbation(step=2, tool="search_kb", kind="timeout"),
            "Perturbation(step=2, tool='search_kb', kind='timeout', output=TimeoutError('timed out'))",
        ),
        (
            Perturbation(step=1, tool="get_order", kind="empty", output={}),
            "Perturbation(step=1, tool='get_order', kind='empty', output={})",
        ),
        (
            Perturbation(step=2, tool="search_kb", kind="reorder", output=[2, 1], once=True),
            "Perturbation(step=2, tool='search_kb', kind='reorder', output=[2, 1], once=True)",
        ),
        (
            Perturbation(step=3, tool="refund_order", kind="none"),
            "Perturbation(step=3, tool='refund_order', kind='none')",
        ),
    ],
)
def test_repr_names_step_tool_kind_and_output_and_evaluates_back(perturbation: Perturbation, text: str) -> None:
    assert repr(perturbation) == text
    assert pretty(perturbation) == text  # what hypothesis prints for a falsifying example
    names = {"Perturbation": Perturbation, "RuntimeError": RuntimeError, "TimeoutError": TimeoutError}
    assert eval(text, names) == perturbation  # paste it into @example(...)


def test_describe_says_what_changes_and_from_when() -> None:
    p = Perturbation(step=2, tool="search_kb", kind="error", output=ConnectionError("down"))
    assert p.describe() == "step 2 (search_kb): error -> ConnectionError('down') from step 2 on"
    once = Perturbation(step=2, tool="search_kb", kind="empty", output=[], once=True)
    assert once.describe() == "step 2 (search_kb): empty -> []"


def test_perturbations_are_hashable_and_compare_by_value() -> None:
    a = Perturbation(step=2, tool="search_kb", kind="schema", output=[{"id": "x"}])
    b = Perturbation(step=2, tool="search_kb", kind="schema", output=[{"id": "x"}])
    assert a == b and hash(a) == hash(b)
    assert a != Perturbation(step=2, tool="search_kb", kind="schema", output=[{"id": "y"}])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"step": 0, "tool": "t", "kind": "empty"}, "step must be an int >= 1"),
        ({"step": 1, "tool": "", "kind": "empty"}, "tool must be the tool's name"),
        ({"step": 1, "tool": "t", "kind": "explode"}, "kind 'explode' is not one of none, empty"),
        ({"step": 1, "tool": "t", "kind": "error", "output": "boom"}, "must be an exception"),
    ],
)
def test_invalid_perturbations_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(PerturbationError, match=message):
        Perturbation(**kwargs)


# ---------------------------------------------------------------------------------------- overrides


def test_once_is_a_single_override_at_that_step() -> None:
    p = Perturbation(step=2, tool="search_kb", kind="empty", output=[], once=True)
    assert p.to_overrides() == [ToolOverride(step=2, name="search_kb", result=[])]


def test_persistent_overrides_answer_earlier_calls_of_the_tool_with_their_recordings() -> None:
    c = Cassette(
        tools=[
            ToolInteraction(name="search", arguments={"q": "a"}, result=["a"]),
            ToolInteraction(name="search", arguments={"q": "b"}, error=ToolError(type="KeyError", message="gone")),
            ToolInteraction(name="search", arguments={"q": "c"}, result=["c"]),
        ]
    )
    p = Perturbation(step=3, tool="search", kind="empty", output=[])
    first, second, rest = p.to_overrides(c)
    assert first == ToolOverride(step=1, name="search", result=["a"])
    assert (second.step, second.name) == (2, "search")
    assert isinstance(second.raises, type) and issubclass(second.raises, KeyError)
    assert rest == ToolOverride(name="search", result=[])


def test_results_are_copied_so_an_agent_cannot_change_the_printed_example() -> None:
    p = Perturbation(step=2, tool="search_kb", kind="reorder", output=[{"id": "P2"}, {"id": "P1"}])
    [override] = p.to_overrides()
    override.result[0]["id"] = "mutated"
    assert p.output == [{"id": "P2"}, {"id": "P1"}]


def test_each_raise_is_a_fresh_exception_of_the_recorded_type() -> None:
    [override] = Perturbation(step=1, tool="t", kind="error", output=ConnectionError("reset")).to_overrides()
    assert isinstance(override.raises, type)
    first, second = override.raises(), override.raises()
    assert first is not second
    assert isinstance(first, ConnectionError) and repr(first) == "ConnectionError('reset')"


def test_an_exception_type_that_needs_other_arguments_is_raised_as_recorded_tool_error() -> None:
    from pytest_agenttrace.cassettes import RecordedToolError

    error = ToolError(type="UnicodeDecodeError", message="bad byte")
    [override] = Perturbation(step=1, tool="t", kind="error", output=error).to_overrides()
    raised = override.raises()  # type: ignore[misc,operator]
    assert isinstance(raised, RecordedToolError) and str(raised) == "UnicodeDecodeError: bad byte"


# ------------------------------------------------------------------------------------ from_schema


SCHEMAS = [
    {"type": "null"},
    {"type": "boolean"},
    {"type": "integer", "minimum": -3, "maximum": 3},
    {"type": "integer", "exclusiveMinimum": 1.5, "exclusiveMaximum": 4},
    {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
    {"type": "string", "minLength": 3, "maxLength": 5},
    {"enum": ["a", 1, None]},
    {"const": {"fixed": [1, 2]}},
    {"anyOf": [{"type": "string", "maxLength": 1}, {"type": "integer", "minimum": 100}]},
    {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 4, "uniqueItems": True},
    {"type": "object", "required": ["a"], "additionalProperties": {"type": "boolean"}},
    {"properties": {"x": {"type": "number"}}, "required": ["x"]},
    {"title": "anything"},
    True,
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=repr)
def test_from_schema_values_validate(schema: Any) -> None:
    validator = jsonschema.Draft202012Validator(schema)

    @FAST
    @given(value=from_schema(schema))
    def check(value: Any) -> None:
        validator.validate(value)

    check()


def test_from_schema_understands_draft4_boolean_exclusive_bounds() -> None:
    schema = {"type": "integer", "minimum": 0, "exclusiveMinimum": True, "maximum": 2, "exclusiveMaximum": True}
    assert find(from_schema(schema), lambda _: True, settings=FIND) == 1
    jsonschema.Draft4Validator.check_schema(schema)


def test_from_schema_without_size_limits_keeps_values_small() -> None:
    big = find(from_schema({"type": "array", "items": {"type": "string"}}), lambda v: len(v) >= 5, settings=FIND)
    assert len(big) == 5
    with pytest.raises(NoSuchExample):
        find(from_schema({"type": "array"}), lambda v: len(v) > 5, settings=settings(FIND, max_examples=100))


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "string", "pattern": "^a$"}, r"keyword\(s\) 'pattern' at # are not supported.*schemas="),
        ({"type": "object", "properties": {"a": {"$ref": "#/x"}}}, r"'\$ref' at #/properties/a"),
        ({"type": "array", "items": [{"type": "string"}]}, "tuple-form 'items'"),
        ({"type": "integer", "minimum": 3, "maximum": 2}, "no integer lies between 3 and 2"),
        ({"type": "strin"}, "type 'strin' at # is not one of"),
        ({"required": ["a"], "additionalProperties": False}, "'a' is required but not in 'properties'"),
        (False, "no value is valid"),
    ],
)
def test_from_schema_refuses_what_it_cannot_honour(schema: Any, message: str) -> None:
    with pytest.raises(PerturbationError, match=message):
        from_schema(schema)


@settings(FAST, suppress_health_check=[HealthCheck.too_slow])
@given(value=from_schema(True))
def test_a_value_validates_against_its_inferred_schema(value: Any) -> None:
    jsonschema.validate(value, infer_schema(value))


def test_infer_schema_describes_the_shape() -> None:
    assert infer_schema({"a": [1, "x"], "b": None}) == {
        "type": "object",
        "properties": {
            "a": {"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]}},
            "b": {"type": "null"},
        },
        "required": ["a", "b"],
    }


# ------------------------------------------------------------------------------------ bad arguments


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": [4]}, r"steps \[4\] are not recorded tool calls: the cassette has 3 \(steps 1-3: 1=get_order"),
        ({"tools": ["nope"]}, r"tools \['nope'\] never called in the cassette; recorded tools: \['get_order'"),
        ({"steps": [1], "tools": ["search_kb"]}, r"no step among \[1\] calls one of the tools \['search_kb'\]"),
        ({"kinds": "error"}, r"kinds='error' must be a tuple of kinds, e.g. kinds=\('error',\)"),
        ({"kinds": ("errors",)}, r"'errors' not in \('none'"),
        ({"errors": ()}, "errors=\\(\\) leaves kind 'error' nothing to raise"),
    ],
)
def test_bad_arguments_are_refused_up_front(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(PerturbationError, match=message):
        perturbations(CASSETTE, **kwargs)


def test_a_cassette_without_tool_calls_or_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PerturbationError, match="has no recorded tool calls"):
        perturbations(Cassette())
    with pytest.raises(PerturbationError, match="does not exist; record it first"):
        perturbations(tmp_path / "missing.yaml")
    with pytest.raises(PerturbationError, match=r"needs a cassette file.*cassette.save\(path\)"), replaying(Cassette()):
        pass


def test_custom_errors_are_used() -> None:
    strategy = perturbations(CASSETTE, steps=[1], kinds=("error",), errors=[PermissionError("nope"), KeyError])
    found = find(strategy, lambda p: p.output.type == "KeyError", settings=FIND)
    assert found.output == ToolError(type="KeyError", message="")


# ----------------------------------------------------------------------------- replay and capture

RAN: list[str] = []


@tool
def lookup(order_id: str) -> dict[str, Any]:
    RAN.append("lookup")
    return {"order_id": order_id}


@tool
def search(query: str) -> list[str]:
    RAN.append("search")
    return [f"live {query}"]


def retrying_agent(*, attempts: int) -> list[Any]:
    """A tools-only agent: search twice, looking the order up in between; each search retried on failure."""
    out: list[Any] = []
    for step in (lambda: search("a"), lambda: lookup("A1"), lambda: search("b")):
        for _ in range(attempts):
            try:
                out.append(step())
                break
            except Exception as exc:
                out.append(f"{type(exc).__name__}: {exc}")
    return out


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    return Cassette(
        tools=[
            ToolInteraction(name="search", arguments={"query": "a"}, result=["x1", "x2"]),
            ToolInteraction(name="lookup", arguments={"order_id": "A1"}, result={"order_id": "A1"}),
            ToolInteraction(name="search", arguments={"query": "b"}, result=["y1", "y2"]),
        ]
    ).save(tmp_path / "tools.yaml")


@pytest.fixture
def global_provider(fresh_otel_globals: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh global SDK provider for capture(); the tool chokepoint's cached tracer is reset to use it."""
    from pytest_agenttrace import _capture
    from pytest_agenttrace.cassettes import _tools

    monkeypatch.setattr(_tools, "_TRACER", None)
    _capture.ensure_global_provider()
    RAN.clear()
    yield


def test_replaying_applies_the_perturbation_from_its_step_on(recorded: Path, global_provider: None) -> None:
    p = Perturbation(step=3, tool="search", kind="error", output=ConnectionError("down"))
    with capture() as trace, replaying(recorded, p) as session:
        out = retrying_agent(attempts=3)
    # step 1 is the same tool but before step 3: replayed as recorded; the retries of step 3 fail too
    assert out == [
        ["x1", "x2"],
        {"order_id": "A1"},
        "ConnectionError: down",
        "ConnectionError: down",
        "ConnectionError: down",
    ]
    assert [c.source for c in session.calls] == ["override", "replayed", "override", "override", "override"]
    assert trace.tool_names == ["search", "lookup", "search", "search", "search"]
    assert [c.error for c in trace.tool_calls] == [None, None, *["ConnectionError: down"] * 3]
    assert RAN == []  # no real tool ran


def test_once_perturbs_only_that_call(recorded: Path, global_provider: None) -> None:
    p = Perturbation(step=1, tool="search", kind="reorder", output=["x2", "x1"], once=True)
    with replaying(recorded, p):
        assert retrying_agent(attempts=1) == [["x2", "x1"], {"order_id": "A1"}, ["y1", "y2"]]


def test_replaying_inside_given_gives_every_example_a_fresh_session(recorded: Path, global_provider: None) -> None:
    kinds: Counter[str] = Counter()

    @settings(FAST, max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(p=perturbations(recorded, steps=[3]))
    def prop(p: Perturbation) -> None:
        with capture() as trace, replaying(recorded, p):
            out = retrying_agent(attempts=2)
        kinds[p.kind] += 1
        assert trace.tool_names[:2] == ["search", "lookup"]
        assert out[0] == ["x1", "x2"]  # never perturbed: before the step
        if p.kind in ("error", "timeout"):
            assert len(out) == 4 and all(isinstance(o, str) for o in out[2:])
        elif p.kind == "none":
            assert out[2] == ["y1", "y2"]
        else:
            assert out[2] == p.output

    prop()
    assert {"none", "empty", "error", "timeout", "truncate", "reorder", "schema"} <= set(kinds)


def test_a_failing_example_notes_its_trajectory(recorded: Path, global_provider: None) -> None:
    @settings(FAST, report_multiple_bugs=False, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(p=perturbations(recorded, steps=[3], kinds=("empty", "timeout")))
    def prop(p: Perturbation) -> None:
        with capture() as trace, replaying(recorded, p):
            retrying_agent(attempts=2)
        assert not trace.errors, "a tool failed"

    with pytest.raises(AssertionError, match="a tool failed") as excinfo:
        prop()
    notes = "\n".join(excinfo.value.__notes__)
    assert "p=Perturbation(step=3, tool='search', kind='timeout', output=TimeoutError('timed out'))" in notes
    assert "trajectory of this example:" in notes
    assert "tool search(query='b') -> ERROR" in notes


def test_capture_collects_only_the_block_and_forwards_only_when_asked(global_provider: None) -> None:
    from pytest_agenttrace import _capture

    outer: list[Any] = []
    _capture.push_sink(outer.append)
    try:
        lookup("A0")  # before the blocks: in neither trace
        with capture(note=False) as private:
            lookup("A1")
        with capture(forward=True, note=False) as forwarded:
            lookup("A2")
        lookup("A3")
    finally:
        _capture.pop_sink(outer.append)
    assert [c.arguments for c in private.tool_calls] == [{"order_id": "A1"}]
    assert [c.arguments for c in forwarded.tool_calls] == [{"order_id": "A2"}]
    assert [r.attributes["gen_ai.tool.call.arguments"] for r in outer] == [
        '{"order_id": "A0"}',
        '{"order_id": "A2"}',
        '{"order_id": "A3"}',
    ]


def test_capture_reads_a_given_provider() -> None:
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider()
    with capture(provider=provider, note=False) as trace, provider.get_tracer("t").start_as_current_span("work"):
        pass
    assert [r.name for r in trace.records] == ["work"]


def test_importing_the_package_does_not_import_hypothesis() -> None:
    code = (
        "import sys, pytest_agenttrace, pytest_agenttrace.cassettes, pytest_agenttrace.plugin; "
        "pytest_agenttrace.Cassette; assert 'hypothesis' not in sys.modules, 'hypothesis imported'; "
        "from pytest_agenttrace import strategies; assert 'hypothesis' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
