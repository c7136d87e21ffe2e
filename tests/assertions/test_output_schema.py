"""assert_output_schema on values, a trace's final output, and a tool's arguments or results."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pytest_agenttrace import ConfigError, ToolCall, Trace
from pytest_agenttrace.assertions import AgentAssertionError, assert_output_schema

ANSWER = {
    "type": "object",
    "required": ["order_id", "refunded"],
    "properties": {"order_id": {"type": "string"}, "refunded": {"type": "number", "minimum": 0}},
}


def failure(fn, *args, **kwargs) -> AgentAssertionError:
    with pytest.raises(AgentAssertionError) as info:
        fn(*args, **kwargs)
    return info.value


def test_value_passes_and_fails_with_json_paths() -> None:
    assert_output_schema({"order_id": "A1", "refunded": 25.0}, ANSWER)
    err = failure(assert_output_schema, {"order_id": 7, "refunded": -1}, ANSWER)
    assert err.summary == "the value does not match the schema:"
    assert err.details == ("  $.order_id: 7 is not of type 'string'", "  $.refunded: -1 is less than the minimum of 0")


def test_json_strings_dataclasses_and_pydantic_models_are_data() -> None:
    assert_output_schema('{"order_id": "A1", "refunded": 1}', ANSWER)

    @dataclass
    class Answer:
        order_id: str
        refunded: float

    assert_output_schema(Answer("A1", 1.0), ANSWER)
    pydantic = pytest.importorskip("pydantic")

    class Model(pydantic.BaseModel):
        order_id: str
        refunded: float

    failure(assert_output_schema, Model(order_id="A1", refunded=-2), ANSWER)


def test_final_output_of_a_trace() -> None:
    t = Trace(records=(), roots=(), nodes={}, final_output='{"order_id": "A1", "refunded": "lots"}')
    err = failure(assert_output_schema, t, ANSWER)
    assert err.summary == "the final output does not match the schema:"
    assert "$.refunded: 'lots' is not of type 'number'" in err.brief()
    assert "trace:" in str(err)
    empty = Trace(records=(), roots=(), nodes={})
    assert failure(assert_output_schema, empty, ANSWER).summary == "the trace has no final output to validate"


def test_tool_arguments_and_results() -> None:
    calls = [
        ToolCall(name="refund_order", arguments={"order_id": "A1"}, result={"order_id": "A1", "refunded": 5}),
        ToolCall(name="refund_order", arguments='{"order_id": 9}', result={"order_id": "A2"}),
    ]
    t = Trace(records=(), roots=(), nodes={}, tool_calls=calls)
    args_schema = {"type": "object", "properties": {"order_id": {"type": "string"}}}
    err = failure(assert_output_schema, t, args_schema, tool="refund_order", part="arguments")
    assert err.summary == "1 of 2 calls to 'refund_order' has arguments that do not match the schema"
    assert "#2 refund_order(order_id=9):" in err.brief() and "$.order_id: 9 is not of type 'string'" in err.brief()
    err = failure(assert_output_schema, t, ANSWER, tool="refund_order")
    assert "$: 'refunded' is a required property" in err.brief()
    assert "never called" in failure(assert_output_schema, t, ANSWER, tool="nope").summary


def test_invalid_schema_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="invalid JSON schema"):
        assert_output_schema({}, {"type": 12})
    with pytest.raises(TypeError, match="needs a trace"):
        assert_output_schema({}, ANSWER, tool="x")
