"""Property: any generated e-mail, phone or card put anywhere in a trace is gone after pseudonymization, each value
maps to one placeholder, and what replay matches on (tool names, argument keys, request/record agreement) holds."""

from __future__ import annotations

import json
from typing import Any

import phonenumbers
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pii_support import TID
from stdnum import luhn

from pytest_agenttrace import SpanEvent, SpanRecord, Trace
from pytest_agenttrace.pii import Pseudonymizer
from pytest_agenttrace.pii._placeholders import is_placeholder_card, is_placeholder_phone

SLOTS = ("user", "args", "result", "nested", "final", "attribute", "event")

_label = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
_local = st.lists(st.from_regex(r"[a-z0-9][a-z0-9_+-]{0,6}", fullmatch=True), min_size=1, max_size=3).map(".".join)
_tld = st.sampled_from(["com", "io", "de", "net", "co.uk", "org", "shop"])
emails = st.builds(lambda lo, d, t: f"{lo}@{d}.{t}", _local, _label, _tld).filter(
    lambda e: not e.endswith(("@example.com", "@example.net", "@example.org"))
)


@st.composite
def phones(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(["US", "GB", "DE", "FR", "AU"]))
    kind = draw(st.sampled_from([phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE]))
    example = phonenumbers.example_number_for_type(region, kind)
    national = str(example.national_number)
    tail = draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    number = phonenumbers.PhoneNumber(country_code=example.country_code, national_number=int(national[:-4] + tail))
    assume(phonenumbers.is_valid_number(number) and not is_placeholder_phone(number))
    styles = [phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164]
    if region == "US":
        styles.append(phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, draw(st.sampled_from(styles)))


@st.composite
def cards(draw: st.DrawFn) -> str:
    prefix, length = draw(st.sampled_from([("4", 16), ("51", 16), ("37", 15), ("6011", 16), ("3530", 16), ("4", 13)]))
    body = prefix + draw(st.from_regex(rf"[0-9]{{{length - len(prefix) - 1}}}", fullmatch=True))
    number = body + luhn.calc_check_digit(body)
    if is_placeholder_card(number):
        number = "4539148803436467"
    if draw(st.booleans()) and length == 16:
        number = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    return number


pii_values = st.one_of(emails, phones(), cards())


def build(texts: dict[str, str]) -> list[SpanRecord]:
    """A one-tool trace whose free-text slots carry the given texts."""

    def rec(sid: str, name: str, parent: str | None, t: int, **attrs: Any) -> SpanRecord:
        events = attrs.pop("_events", ())
        return SpanRecord(
            trace_id=TID,
            span_id=sid.rjust(16, "0"),
            parent_id=parent.rjust(16, "0") if parent else None,
            name=name,
            start_ns=t,
            end_ns=t + 5,
            attributes=attrs,
            events=events,
        )

    args = {"query": texts["args"], "limit": 3}
    result = {"rows": [{"note": texts["result"]}], "raw": json.dumps({"text": texts["nested"]})}
    call = {"type": "tool_call", "id": "call_1", "name": "search", "arguments": args}
    response = {"type": "tool_call_response", "id": "call_1", "response": result}
    user = {"role": "user", "parts": [{"type": "text", "content": texts["user"]}]}
    asked = {"role": "assistant", "parts": [call]}
    answer = {"role": "assistant", "parts": [{"type": "text", "content": texts["final"]}], "finish_reason": "stop"}
    chat = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini"}
    return [
        rec(
            "a",
            "invoke_agent helper",
            None,
            0,
            **{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "helper", "app.note": texts["attribute"]},
            _events=(SpanEvent(name="log", time_ns=1, attributes={"message": texts["event"]}),),
        ),
        rec(
            "c1",
            "chat",
            "a",
            10,
            **chat,
            **{"gen_ai.input.messages": json.dumps([user]), "gen_ai.output.messages": json.dumps([asked])},
        ),
        rec(
            "t1",
            "execute_tool search",
            "a",
            20,
            **{
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "search",
                "gen_ai.tool.call.id": "call_1",
                "gen_ai.tool.call.arguments": json.dumps(args),
                "gen_ai.tool.call.result": json.dumps(result),
            },
        ),
        rec(
            "c2",
            "chat",
            "a",
            30,
            **chat,
            **{
                "gen_ai.input.messages": json.dumps([user, asked, {"role": "tool", "parts": [response]}]),
                "gen_ai.output.messages": json.dumps([answer]),
            },
        ),
    ]


def slot_text(trace: Trace, slot: str) -> str:
    """Where each slot's text ends up in the normalized trace."""
    (tool,) = trace.tool_calls
    texts = {
        "user": lambda: trace.llm_calls[0].input_messages[-1].text,
        "args": lambda: tool.arguments["query"],
        "result": lambda: tool.result["rows"][0]["note"],
        "nested": lambda: json.loads(tool.result["raw"])["text"],
        "final": lambda: trace.final_output,
        "attribute": lambda: trace.records[0].attributes["app.note"],
        "event": lambda: trace.records[0].events[0].attributes["message"],
    }
    return str(texts[slot]())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    placements=st.lists(st.tuples(pii_values, st.lists(st.sampled_from(SLOTS), min_size=1, max_size=3)), max_size=4),
    filler=st.sampled_from(["see", "Order A1043 for", "mail:", "(", "note - "]),
)
def test_generated_pii_is_gone_and_replay_keys_hold(placements: list[tuple[str, list[str]]], filler: str) -> None:
    texts = {slot: f"{filler} {slot} text" for slot in SLOTS}
    for value, slots in placements:
        for slot in slots:
            texts[slot] += f" {value} ."
    trace = Trace.from_records(build(texts))
    p = Pseudonymizer("property-salt")
    out = p.transform_trace(trace)
    dumped = json.dumps([r.to_dict() for r in out.records], ensure_ascii=False)
    dumped += json.dumps(out.to_json(), default=str, ensure_ascii=False)
    for value, slots in placements:
        assert value not in dumped
        placeholder = p.placeholder(value)
        assert placeholder is not None
        for slot in slots:
            assert placeholder in slot_text(out, slot)  # the same placeholder wherever the value was
    assert out.tool_names == trace.tool_names == ["search"]
    (tool,) = out.tool_calls
    assert sorted(tool.arguments) == ["limit", "query"] and tool.arguments["limit"] == 3
    assert out.llm_calls[0].tool_call_requests[0].arguments == tool.arguments
    assert out.llm_calls[1].input_messages[-1].tool_results[0].result == tool.result
    again = Pseudonymizer("property-salt").transform_trace(Trace.from_records(build(texts)))
    assert again.records == out.records  # deterministic
