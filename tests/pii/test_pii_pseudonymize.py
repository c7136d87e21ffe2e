"""Pseudonymizing a whole trace: no original left, one placeholder per value everywhere, replay keys unchanged."""

from __future__ import annotations

import json
import re

import phonenumbers
import pytest
from pii_support import (
    API_KEY,
    CARD,
    EMAIL,
    IBAN,
    IP,
    NAME,
    ORIGINALS,
    OTHER_NAME,
    PHONE,
    PHONE_NATIONAL,
    STREET,
    dump_records,
    support_records,
)
from stdnum import iban as stdnum_iban
from stdnum import luhn

from pytest_agenttrace import ConfigError, SpanRecord, Trace
from pytest_agenttrace.pii import Pseudonymizer


@pytest.fixture(scope="module")
def original() -> Trace:
    return Trace.from_records(support_records())


def pseudonymize(trace: Trace, salt: str = "test-salt") -> tuple[Trace, Pseudonymizer]:
    p = Pseudonymizer(salt)
    return p.transform_trace(trace), p


def test_no_original_value_is_left_anywhere(original: Trace) -> None:
    before = dump_records(original.records)
    assert all(value in before for value in ORIGINALS)  # the scenario really carries them
    out, _ = pseudonymize(original)
    after = dump_records(out.records)
    left = [value for value in ORIGINALS if value in after]
    assert left == []
    # nor in the normalized view that convert and cassettes read (messages, arguments, results, final output)
    normalized = json.dumps(out.to_json(), default=str)
    assert [value for value in ORIGINALS if value in normalized] == []


def test_each_value_gets_one_placeholder_everywhere(original: Trace) -> None:
    out, p = pseudonymize(original)
    email_ph = p.placeholder(EMAIL)
    name_ph = p.placeholder(NAME)
    assert email_ph is not None and name_ph is not None
    assert re.fullmatch(r"user-[0-9a-f]{8}@example\.com", email_ph)
    lookup, send = out.tool_calls
    assert lookup.arguments == {"email": email_ph}
    assert lookup.result["customer"]["email"] == email_ph
    assert lookup.result["customer"]["name"] == name_ph
    assert send.arguments["to"] == email_ph
    assert send.arguments["subject"] == f"Refund for {name_ph}"
    first_name = name_ph.split()[0]
    assert send.arguments["body"].startswith(f"Dear {first_name},")  # the first name alone, in free text
    user_message = out.llm_calls[0].input_messages[-1].text
    assert name_ph in user_message and email_ph in user_message
    assert out.final_output.startswith(f"Done, {name_ph}:")
    assert f"Ms. {name_ph.split()[1]}," in out.final_output
    assert out.records[0].attributes["user.email"] == email_ph
    assert email_ph in out.records[0].events[0].attributes["content"]


def test_placeholders_keep_the_format(original: Trace) -> None:
    _, p = pseudonymize(original)
    phone = p.placeholder(PHONE)
    national = p.placeholder(PHONE_NATIONAL)
    assert phone is not None and national is not None
    parsed = phonenumbers.parse(phone)
    assert phonenumbers.is_valid_number(parsed) and phone.startswith("+1 ")
    assert phonenumbers.parse(national, "US") == parsed  # two spellings of one number: one number
    assert re.fullmatch(r"\(\d{3}\) 555-01\d\d", national)
    card = p.placeholder(CARD)
    assert card is not None and re.fullmatch(r"4\d{3} \d{4} \d{4} \d{4}", card) and luhn.is_valid(card.replace(" ", ""))
    iban = p.placeholder(IBAN)
    assert iban is not None and iban.startswith("DE") and stdnum_iban.is_valid(iban)
    ip = p.placeholder(IP)
    assert ip is not None and ip.startswith(("192.0.2.", "198.51.100.", "203.0.113."))
    key = p.placeholder(API_KEY)
    assert key is not None and key.startswith("sk-REDACTED")
    street = p.placeholder(STREET)
    assert street is not None and street.endswith("Example Street")
    other = p.placeholder(OTHER_NAME)
    assert other is not None and len(other.split()) == 2 and other != p.placeholder(NAME)


def test_replay_keys_and_trajectory_are_unchanged(original: Trace) -> None:
    out, _ = pseudonymize(original)
    assert out.tool_names == original.tool_names == ["lookup_customer", "send_email"]
    assert [sorted(t.arguments) for t in out.tool_calls] == [sorted(t.arguments) for t in original.tool_calls]
    assert [t.call_id for t in out.tool_calls] == [t.call_id for t in original.tool_calls]
    assert [(c.request_model, c.finish_reasons, c.input_tokens) for c in out.llm_calls] == [
        (c.request_model, c.finish_reasons, c.input_tokens) for c in original.llm_calls
    ]
    assert [r.name for r in out.records] == [r.name for r in original.records]
    assert [sorted(r.attributes) for r in out.records] == [sorted(r.attributes) for r in original.records]
    # what the model asked for is what the tool span recorded, and the tool's result is what the model read next
    for i, tool_call in enumerate(out.tool_calls):
        requested = out.llm_calls[i].tool_call_requests[0]
        assert requested.arguments == tool_call.arguments
        fed_back = out.llm_calls[i + 1].input_messages[-1].tool_results[0]
        assert fed_back.result == tool_call.result


def test_deterministic_for_a_salt_and_different_across_salts(original: Trace) -> None:
    first, _ = pseudonymize(original, "salt-a")
    again, _ = pseudonymize(Trace.from_records(support_records()), "salt-a")
    other, _ = pseudonymize(original, "salt-b")
    assert dump_records(first.records) == dump_records(again.records)
    assert first.tool_calls[0].arguments != other.tool_calls[0].arguments


def test_json_strings_keep_their_style() -> None:
    p = Pseudonymizer("s")
    compact = json.dumps({"email": EMAIL, "n": 1}, separators=(",", ":"))
    spaced = json.dumps({"email": EMAIL, "n": 1})
    out_compact, out_spaced = p.transform([compact, spaced])
    ph = p.placeholder(EMAIL)
    assert out_compact == f'{{"email":"{ph}","n":1}}'
    assert out_spaced == f'{{"email": "{ph}", "n": 1}}'


def test_escaped_spellings_inside_json_are_replaced() -> None:
    p = Pseudonymizer("s")
    raw = json.dumps({"customer": {"name": "José Núñez", "email": EMAIL}})  # ensure_ascii: Jos\u00e9 N\u00fa\u00f1ez
    nested = json.dumps({"payload": raw})  # a JSON string inside a JSON string
    out = p.transform({"result": nested, "text": "José Núñez called"})
    fake = p.placeholder("José Núñez")
    assert fake is not None
    assert "Jos" not in json.dumps(out, ensure_ascii=False) and "\\u00e9" not in out["result"]
    inner = json.loads(json.loads(out["result"])["payload"])
    assert inner == {"customer": {"name": fake, "email": p.placeholder(EMAIL)}}
    assert out["text"] == f"{fake} called"
    assert raw.startswith('{"customer": {') and json.loads(out["result"])["payload"].startswith('{"customer": {')


def test_pieces_agree_when_the_whole_trace_is_discovered_first(original: Trace) -> None:
    whole, p_whole = pseudonymize(original)
    p = Pseudonymizer("test-salt")
    p.discover(original)
    # a piece with no field naming the customer: the name is still replaced, the same way
    piece = p.replace({"note": f"{NAME} wrote from {EMAIL}"})
    assert piece == {"note": f"{p_whole.placeholder(NAME)} wrote from {p_whole.placeholder(EMAIL)}"}
    assert p.replace(original.tool_calls[1].arguments) == whole.tool_calls[1].arguments


def test_plugs_into_cassette_from_trace(original: Trace) -> None:
    cassettes = pytest.importorskip("pytest_agenttrace.cassettes")
    p = Pseudonymizer("test-salt")
    p.discover(original)
    piecewise = cassettes.Cassette.from_trace(original, transform=p.replace).to_yaml()
    assert [value for value in ORIGINALS if value in piecewise] == []
    whole = cassettes.Cassette.from_trace(Pseudonymizer("test-salt").transform_trace(original)).to_yaml()
    strip = re.compile(r"^\s*(converted_at|recorded_at):.*$", re.M)
    assert strip.sub("", piecewise) == strip.sub("", whole)


def test_allowlist_fields_and_patterns() -> None:
    p = Pseudonymizer(
        "s",
        fields={"employee": "name", "badge": "badge"},
        patterns=[("order", r"\bA\d{4}\b")],
        allowlist=["support@acme-mail.com"],
    )
    data = {
        "employee": "Grace Hopper",
        "badge": "B-7781",
        "text": "Order A1043: Grace wrote to support@acme-mail.com and jane@acme-mail.com",
    }
    out = p.transform(data)
    assert out["employee"] != "Grace Hopper" and out["badge"].startswith("badge-redacted-")
    assert "A1043" not in out["text"] and "order-redacted-" in out["text"]
    assert "support@acme-mail.com" in out["text"] and "jane@acme-mail.com" not in out["text"]
    assert "Grace" not in out["text"]
    assert p.report() == {"badge": 1, "email": 1, "name": 1, "order": 1}


def test_name_fields_that_are_not_people_are_left_alone() -> None:
    p = Pseudonymizer("s")
    data = {
        "tools": [{"name": "Lookup Customer", "description": "find a customer", "parameters": {}}],
        "agent": {"name": "Triage Agent", "instructions": "route"},
        "product": {"name": "Blue Widget", "price": 9.5},
        "parts": [{"type": "tool_call", "name": "Send Mail", "arguments": {}}],
    }
    assert p.transform(data) == data
    assert p.report() == {}


def test_numbers_structure_and_keys() -> None:
    p = Pseudonymizer("s")
    data = {"phone": 4155552671, "note": "call 4155552671", "ok": True, "ratio": 0.5, "n": None}
    out = p.transform(data)
    assert isinstance(out["phone"], int) and out["phone"] != 4155552671
    assert out["note"] == f"call {out['phone']}"
    assert (out["ok"], out["ratio"], out["n"]) == (True, 0.5, None)


def test_different_originals_never_share_a_placeholder() -> None:
    p = Pseudonymizer("s")
    people = [{"customer": {"name": f"Person{i} Family{i}"}} for i in range(150)]
    names = [f"Cust{chr(65 + i % 26)}{chr(97 + i // 26)}x" for i in range(150)]
    out = p.transform([people, [{"first_name": n} for n in names]])
    fakes = [x["customer"]["name"] for x in out[0]]
    assert len(set(fakes)) == len(fakes)
    firsts = [x["first_name"] for x in out[1]]
    assert len(set(firsts)) == len(firsts)


def test_report_counts_kinds_never_values(original: Trace) -> None:
    _, p = pseudonymize(original)
    report = p.report()
    assert report == {"address": 1, "card": 1, "email": 2, "iban": 1, "ip": 1, "name": 2, "phone": 1, "secret": 1}
    assert all(isinstance(v, int) for v in report.values())
    assert p.occurrences()["email"] > report["email"]
    mapping = p.mapping()
    assert mapping[p.placeholder(EMAIL) or ""] == EMAIL


def test_a_salt_is_required() -> None:
    with pytest.raises(ConfigError, match="AGENTTRACE_PII_SALT"):
        Pseudonymizer("")


def test_records_without_pii_are_returned_equal() -> None:
    rec = SpanRecord(trace_id="a" * 32, span_id="b" * 16, name="chat", attributes={"gen_ai.request.model": "gpt-4o"})
    p = Pseudonymizer("s")
    assert p.transform_records([rec]) == [rec]


def test_a_name_keeps_its_fake_whatever_the_case() -> None:
    p = Pseudonymizer("s")
    out = p.transform({"customer_name": "Jane Doe", "note": "JANE DOE, jane doe, Jane, DOE; jane stays"})
    given, family = out["customer_name"].split()
    expected = f"{given.upper()} {family.upper()}, {given.lower()} {family.lower()}, {given}, {family.upper()}"
    assert out["note"] == expected + "; jane stays"  # a lone lowercase token is too often a word to replace
