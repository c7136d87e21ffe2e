"""The builder's fast paths are the same rules as the plain forms they replace (one property per shortcut).

- `read_span` asks only the GenAI reader when no other convention's claim keys or names are on the span, and
  returns a single module's reading unmerged: both equal the full merge of every module's reading.
- each convention module's `CLAIM_KEYS` / `CLAIM_NAMES` are what its `extract` needs to have an opinion.
- `compile_rules(rules)` is `set(field, convert(first(attrs, *keys)))` per rule, and the GenAI reader uses it.
- `parse_json_maybe` decodes exactly what `json.loads` of the stripped string accepts.
- the GenAI reader (one role lookup per operation name, model-call extras read only when one of their keys or an
  event is on the span) equals the reader as first written, and the converters' fast paths equal their plain forms.
- `Trace.steps` (one stable sort by start, agents listed first) is the order by (start, agent before other steps).
- `trace_cost` (the price table validated once per trace) prices, fails and warns as `price_call` per call did.
"""

from __future__ import annotations

import ast
import json
import math
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agenttrace import SpanRecord
from pytest_agenttrace._model import AgentRun, LLMCall, Retrieval, ToolCall, Trace, parse_json_maybe
from pytest_agenttrace._records import SpanEvent
from pytest_agenttrace.conventions import FIELD_ORDER, ROLE_ORDER, Facts, genai, read_span
from pytest_agenttrace.conventions._facts import as_float, as_int, as_str_tuple, compile_rules, first, suffix_after
from pytest_agenttrace.cost import UnknownPriceError, UnknownPriceWarning, price_call, trace_cost
from pytest_agenttrace.formats import read_records

ROOT = Path(__file__).resolve().parents[1]
#: Third-party traces (read when present, never copied: see ../shared/fixtures/traces/SOURCES.md).
SHARED_TRACES = ROOT.parent / "shared" / "fixtures" / "traces"
FIXTURE_FILES = sorted((ROOT / "fixtures" / "traces").glob("*.otlp.json")) + sorted(SHARED_TRACES.glob("*/*.json"))
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


def _claimed(records: list[SpanRecord]) -> set[str]:
    return {mod.__name__.rsplit(".", 1)[-1] for mod in OTHER_MODULES for rec in records if mod.extract(rec)}


def test_fixture_records_cover_other_conventions() -> None:
    """The merge path below is exercised, not only the GenAI-only one: the project's own fixtures hold
    OpenInference and pydantic-ai spans."""
    assert len(RECORDS) > 100
    assert {"openinference", "pydantic_ai"} <= _claimed(RECORDS)


@pytest.mark.skipif(not SHARED_TRACES.is_dir(), reason=f"third-party traces not found at {SHARED_TRACES}")
def test_shared_fixture_records_cover_more_conventions() -> None:
    claimed = _claimed(RECORDS)
    assert len(claimed) >= 3, claimed


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
CONVERTERS = st.sampled_from([None, as_int, as_float, as_str_tuple, lambda v: "" if v == 1 else v])


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
def test_compiled_rules_are_set_of_first(attrs: dict[str, Any], rules: list[Any], preset: dict[str, Any]) -> None:
    fast, plain = dict(preset), Facts(fields=dict(preset))
    compile_rules([(key, tuple(names), convert) for key, names, convert in rules])(attrs, fast)
    set_first_plain(plain, attrs, rules)
    # the same fields, values (types included) and order; reprs, because a converted "nan" never equals itself
    assert repr(list(fast.items())) == repr(list(plain.fields.items()))


def set_first_plain(f: Facts, attrs: dict[str, Any], rules: Any) -> None:
    """What a compiled rule set does, as first written."""
    for key, names, convert in rules:
        value = first(attrs, *names)
        f.set(key, convert(value) if convert is not None and value is not None else value)


def test_the_genai_reader_uses_compiled_rules() -> None:
    # (a reader that went back to looping over its rules would still pass the properties here, only slower)
    for rules in ("TOOL", "AGENT", "RETRIEVAL", "LLM", "USAGE_DETAIL"):
        assert getattr(genai, f"_SET_{rules}_FIELDS").__name__ == "apply_rules"
    fields: dict[str, Any] = {}
    genai._SET_LLM_FIELDS({"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": "7", "x": 1}, fields)
    assert fields == {"request_model": "m", "input_tokens": 7}


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


# ------------------------------------------------------------------------------------------ the GenAI reader


def plain_genai_extract(rec: SpanRecord) -> Facts | None:
    """`genai.extract` as first written: a membership test per operation set, `first` and `set` for every field,
    and `_llm_extras` asked on every model-call span."""
    a = rec.attributes
    op = a.get("gen_ai.operation.name")
    name = rec.name
    role = None
    if isinstance(op, str):
        opl = op.lower()
        if opl in genai.LLM_OPERATIONS:
            role = "llm"
        elif opl in genai.TOOL_OPERATIONS:
            role = "tool"
        elif opl in genai.AGENT_OPERATIONS:
            role = "agent"
        elif opl in genai.RETRIEVAL_OPERATIONS:
            role = "retrieval"
    if role is None:
        if name.startswith(("execute_tool ", "anthropic.custom_tool_use ")):
            role = "tool"
        elif name.startswith("invoke_agent "):
            role = "agent"
        elif "gen_ai.tool.name" in a and op is None:
            role = "tool"
        elif ("gen_ai.request.model" in a or "gen_ai.response.model" in a) and (
            "gen_ai.usage.input_tokens" in a
            or "gen_ai.usage.prompt_tokens" in a
            or "gen_ai.input.messages" in a
            or "gen_ai.prompt.0.content" in a
            or "gen_ai.prompt.0.role" in a
        ):
            role = "llm"
    if role is None and not any(k.startswith("gen_ai.") for k in a):
        return None
    f = Facts(role=role)  # type: ignore[arg-type]
    f.set("operation", op)
    if role == "tool":
        f.set(
            "name",
            first(a, "gen_ai.tool.name")
            or suffix_after(name, "execute_tool ")
            or suffix_after(name, "anthropic.custom_tool_use ")
            or name,
        )
        set_first_plain(f, a, genai._TOOL_FIELDS)
    elif role == "agent":
        f.set("name", first(a, "gen_ai.agent.name") or suffix_after(name, "invoke_agent ") or name)
        set_first_plain(f, a, genai._AGENT_FIELDS)
    elif role == "retrieval":
        f.set("name", first(a, "gen_ai.data_source.id") or name)
        set_first_plain(f, a, genai._RETRIEVAL_FIELDS)
    else:
        set_first_plain(f, a, genai._LLM_FIELDS)
        genai._llm_extras(rec, f)
    return f


def test_genai_reader_equals_its_plain_form_on_fixture_spans() -> None:
    for rec in RECORDS:
        assert repr(genai.extract(rec)) == repr(plain_genai_extract(rec)), rec.name


GENAI_KEYS = st.sampled_from(sorted(string_constants(genai))) | st.sampled_from(FIXTURE_KEYS)
OPERATIONS = st.sampled_from(
    sorted(genai.LLM_OPERATIONS | genai.TOOL_OPERATIONS | genai.AGENT_OPERATIONS | genai.RETRIEVAL_OPERATIONS)
)
GENAI_VALUES = (
    VALUES
    | OPERATIONS
    | OPERATIONS.map(str.upper)
    | st.sampled_from(['[{"role": "user", "content": "hi"}]', '["stop"]', "1.5", " 7 ", "nan"])
)
EVENT_NAMES = st.sampled_from(
    [*genai._INPUT_EVENTS, "gen_ai.choice", "gen_ai.content.prompt", "gen_ai.content.completion", "exception"]
)


@st.composite
def genai_spans(draw: st.DrawFn) -> SpanRecord:
    """A span in the GenAI vocabulary: operation names in any case, the model-call extras' keys, message events."""
    attrs = draw(st.dictionaries(GENAI_KEYS, GENAI_VALUES, max_size=8))
    if draw(st.booleans()):
        attrs["gen_ai.operation.name"] = draw(OPERATIONS | OPERATIONS.map(str.title) | VALUES)
    events = draw(
        st.lists(
            st.builds(SpanEvent, EVENT_NAMES, st.just(0), st.dictionaries(GENAI_KEYS, GENAI_VALUES, max_size=3)),
            max_size=2,
        )
    )
    name = draw(st.sampled_from(["chat gpt", "execute_tool t", "invoke_agent a", "anthropic.custom_tool_use x", ""]))
    return SpanRecord("0" * 32, "1" * 16, name, attributes=attrs, events=tuple(events))


@settings(max_examples=800, deadline=None)
@given(rec=genai_spans())
def test_genai_reader_equals_its_plain_form_on_generated_spans(rec: SpanRecord) -> None:
    # (compared by repr: same fields in the same order, and a NaN read twice is two unequal floats)
    assert repr(genai.extract(rec)) == repr(plain_genai_extract(rec))
    assert repr(read_span(rec)) == repr(merged_reading(rec))


def test_extra_keys_are_every_key_the_extras_read() -> None:
    """A model-call span without events and without any of `_EXTRA_KEYS` is skipped: `_llm_extras` tests no other
    attribute (every string it or its rule tables name is in the set, or is not an attribute key)."""
    tree = ast.parse(Path(genai.__file__).read_text())
    extras = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "_llm_extras")
    keys = {n.value for n in ast.walk(extras) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    keys = {k for k in keys if k.startswith("gen_ai.")}
    keys |= {k for _, names, _ in genai._USAGE_DETAIL_FIELDS for k in names} | set(genai._COST_PARTS)
    keys |= set(genai._STREAM_KEYS) | genai._MESSAGE_KEYS
    assert keys <= genai._EXTRA_KEYS
    for key in sorted(keys):
        for value in ("x", 1, 0.5, True, "[]", ()):
            rec = SpanRecord("0" * 32, "1" * 16, "chat m", attributes={"gen_ai.operation.name": "chat", key: value})
            assert repr(genai.extract(rec)) == repr(plain_genai_extract(rec)), key


def plain_as_int(value: Any) -> int | None:
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
        return int(value) if math.isfinite(value) else None
    return None


def plain_as_float(value: Any) -> float | None:
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


def plain_as_str_tuple(value: Any) -> tuple[str, ...]:
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


class _Int(int):
    pass


class _Float(float):
    pass


CONVERTER_INPUTS = (
    VALUES
    | st.integers().map(_Int)
    | st.floats(allow_nan=True).map(_Float)
    | st.lists(st.integers() | st.text(max_size=3), max_size=3)
    | st.tuples(st.booleans(), st.floats(allow_nan=True))
    | st.sampled_from(["1e3", "-2.5", "inf", "nan", '["a", 1]', "[]"])
)


@settings(max_examples=600, deadline=None)
@given(value=CONVERTER_INPUTS)
def test_converters_equal_their_plain_forms(value: Any) -> None:
    for fast, plain in ((as_int, plain_as_int), (as_float, plain_as_float), (as_str_tuple, plain_as_str_tuple)):
        got, want = fast(value), plain(value)
        assert type(got) is type(want) and repr(got) == repr(want), (fast.__name__, value)


# -------------------------------------------------------------------------------------------- step order

STEP_TIMES = st.integers(0, 3)


@st.composite
def step_lists(draw: st.DrawFn) -> dict[str, list[Any]]:
    n = draw(st.integers(0, 5))
    agents = [AgentRun(name=f"a{i}", span_id=f"a{i}", start_ns=draw(STEP_TIMES)) for i in range(n)]
    n = draw(st.integers(0, 5))
    llm = [LLMCall(span_id=f"l{i}", start_ns=draw(STEP_TIMES)) for i in range(n)]
    n = draw(st.integers(0, 5))
    tools = [ToolCall(name=f"t{i}", start_ns=draw(STEP_TIMES)) for i in range(n)]
    n = draw(st.integers(0, 2))
    retrievals = [Retrieval(span_id=f"r{i}", start_ns=draw(STEP_TIMES)) for i in range(n)]
    return {"agents": agents, "llm_calls": llm, "tool_calls": tools, "retrievals": retrievals}


@settings(max_examples=300, deadline=None)
@given(steps=step_lists())
def test_steps_are_ordered_by_start_with_agents_first(steps: dict[str, list[Any]]) -> None:
    trace = Trace(records=(), roots=(), nodes={}, **steps)
    listed = [*steps["agents"], *steps["llm_calls"], *steps["tool_calls"], *steps["retrievals"]]
    expected = sorted(listed, key=lambda s: (s.start_ns, 0 if isinstance(s, AgentRun) else 1))
    assert [id(s) for s in trace.steps] == [id(s) for s in expected]


# -------------------------------------------------------------------------------------------------- cost


def _unpriced_trace() -> Trace:
    calls = [
        LLMCall(span_id="a", request_model="no-such-model-xyz", input_tokens=10, output_tokens=1),
        LLMCall(span_id="b", recorded_cost_usd=0.25),
        LLMCall(span_id="c", request_model="my-model", input_tokens=1_000_000, output_tokens=0),
    ]
    return Trace(records=(), roots=(), nodes={}, llm_calls=calls)


PRICES = {"my-model": {"input_per_mtok": 2.0, "output_per_mtok": 4.0}}


def _price_each(trace: Trace) -> float:
    return sum(price_call(c, prices=PRICES, on_unknown="warn").cost_usd for c in trace.llm_calls)  # type: ignore[return-value]


def test_trace_cost_equals_the_sum_of_call_prices_and_warns_from_the_same_place() -> None:
    trace = _unpriced_trace()
    with warnings.catch_warnings(record=True) as per_call:
        warnings.simplefilter("always")
        expected = float(_price_each(trace))
    with warnings.catch_warnings(record=True) as whole:
        warnings.simplefilter("always")
        got = trace_cost(trace, prices=PRICES, on_unknown="warn")
    assert got == expected == 2.25
    assert [(w.category, str(w.message)) for w in whole] == [(w.category, str(w.message)) for w in per_call]
    assert [w.category for w in whole] == [UnknownPriceWarning]
    # where each points: `price_call`'s caller's caller (here, the line above), `trace_cost`'s own sum
    assert per_call[0].filename == __file__
    assert whole[0].filename.endswith("cost.py")
    with pytest.raises(UnknownPriceError) as per_call_error:
        price_call(trace.llm_calls[0], prices=PRICES)
    with pytest.raises(UnknownPriceError) as whole_error:
        trace_cost(trace, prices=PRICES)
    assert str(whole_error.value) == str(per_call_error.value)
