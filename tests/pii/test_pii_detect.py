"""Each detector on what it must find and what it must leave alone (ids, hashes, versions, our placeholders)."""

from __future__ import annotations

import pytest

from pytest_agenttrace.pii import Detector


def kinds(text: str, **kw: object) -> list[tuple[str, str]]:
    return [(h.kind, h.value) for h in Detector(**kw).text_hits(text)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe+x@acme-mail.co.uk now", [("email", "jane.doe+x@acme-mail.co.uk")]),
        ("'o'brien@acme.io'", [("email", "o'brien@acme.io")]),
        ("Contact: Jane@Acme.COM.", [("email", "Jane@Acme.COM")]),
        ("user-1a2b3c4d@example.com and a@b.test", []),  # reserved domains: placeholders, never real
        ("call (415) 555-2671 or +44 20 7123 4567", [("phone", "(415) 555-2671"), ("phone", "+44 20 7123 4567")]),
        ("fictional (202) 555-0123 and +44 20 7946 0123", []),
        ("ts 1732550000 and 1732550000123 and 2024-05-01", []),
        ("card 4539 1488 0343 6467 ok", [("card", "4539 1488 0343 6467")]),
        ("card 4539-1488-0343-6467", [("card", "4539-1488-0343-6467")]),
        ("luhn fails 4539 1488 0343 6468", []),
        ("no brand 1234567812345670", []),
        ("test cards 4242424242424242 4000001234567899", []),
        ("IBAN DE89 3704 0044 0532 0130 00 Bank", [("iban", "DE89 3704 0044 0532 0130 00")]),
        ("GB82WEST12345698765432", [("iban", "GB82WEST12345698765432")]),
        ("bad checksum DE88370400440532013000", []),
        ("from 81.2.69.142 and 2a00:1450:4001:81b::200e", [("ip", "81.2.69.142"), ("ip", "2a00:1450:4001:81b::200e")]),
        ("local 10.0.0.1 127.0.0.1 192.168.1.1 ::1 fe80::1 192.0.2.7 2001:db8::1", []),
        ("key sk-proj-Q8vLr2TzX4mN7pWc9KdH3sJf end", [("secret", "sk-proj-Q8vLr2TzX4mN7pWc9KdH3sJf")]),
        ("ghp_0123456789abcdefghijABCDEFGHIJ012345", [("secret", "ghp_0123456789abcdefghijABCDEFGHIJ012345")]),
        ("AKIAIOSFODNN7EXAMPLE", [("secret", "AKIAIOSFODNN7EXAMPLE")]),
        ("ASIAY34FZKBOKMUTVV7A", [("secret", "ASIAY34FZKBOKMUTVV7A")]),
        ("the token internationalization step", []),
        ("Authorization: Bearer abcDEF123456ghiJKL789", [("secret", "abcDEF123456ghiJKL789")]),
        ("password=hunter22", [("secret", "hunter22")]),
        ("max_tokens: 1000, token_type: bearer", []),
        ("blob Zx8Qw2Lm9Pv4Rt7Yk3Nb6Hc1Jd5Fg0Se8Wa2Qx", [("secret", "Zx8Qw2Lm9Pv4Rt7Yk3Nb6Hc1Jd5Fg0Se8Wa2Qx")]),
        ("chatcmpl-9pQ3vXaB7cD8eF9gH0iJ1kL2mN3oP4qR5sT", []),  # ids are not keys
        ("sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", []),
        ("uuid 550e8400-e29b-41d4-a716-446655440000", []),
        ("sk-REDACTED0123456789ab", []),
    ],
)
def test_text_detectors(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


def test_custom_patterns_and_allowlist() -> None:
    assert kinds("EMP-123456 and jane@acme.io", patterns=[("employee_id", r"EMP-\d{6}")]) == [
        ("employee_id", "EMP-123456"),
        ("email", "jane@acme.io"),
    ]
    assert kinds("jane@acme.io", allowlist=["JANE@acme.io"]) == []


def test_phone_regions() -> None:
    assert kinds("ring 020 7123 4567") == []
    assert kinds("ring 020 7123 4567", phone_regions=["GB"]) == [("phone", "020 7123 4567")]


def names(data: object, **kw: object) -> list[tuple[str, str]]:
    return [(h.kind, h.value) for h in Detector(**kw).walk(data) if h.kind in ("name", "address")]  # type: ignore[arg-type]


def test_names_come_from_person_fields() -> None:
    assert names({"customer": {"name": "Jane Doe", "id": 7}}) == [("name", "Jane Doe")]
    assert names({"customers": [{"name": "Ana de la Cruz"}]}) == [("name", "Ana de la Cruz")]
    assert names({"name": "Jane Doe", "email": "x"}) == [("name", "Jane Doe")]
    assert names({"customer_name": "jane doe"}) == [("name", "jane doe")]
    assert names({"customer": "Jane Doe"}) == [("name", "Jane Doe")]
    assert names({"last_name": "Doe"}) == [("name", "Doe")]


def test_name_fields_of_tools_agents_and_products_are_not_people() -> None:
    assert names({"name": "Jane Doe"}) == []  # no person context
    assert names({"customer": {"name": "get_order"}}) == []
    assert names({"customer": {"name": "Jane Doe", "type": "function"}}) == []
    assert names({"user": {"role": "user", "name": "Jane"}}) == []
    assert names({"customer": "cus_12345"}) == []


def test_addresses_and_field_secrets() -> None:
    det = Detector()
    found = [(h.kind, h.value) for h in det.walk({"address": {"line1": "1 Main St", "city": "Paris", "zip": "75001"}})]
    assert found == [("address", "1 Main St"), ("address", "75001")]
    secrets = [(h.kind, h.value) for h in det.walk({"password": "hunter2", "token": "Hello", "api_key": "abc"})]
    assert secrets == [("secret", "hunter2")]


def test_json_strings_and_truncated_json_are_read() -> None:
    det = Detector()
    nested = '{"customer": {"name": "Jane Doe"}, "note": "{\\"email\\": \\"jane@acme.io\\"}"}'
    assert {(h.kind, h.value) for h in det.string_hits(nested)} == {("name", "Jane Doe"), ("email", "jane@acme.io")}
    truncated = '{"customer_name": "Jane Doe", "email": "jane@acme.io", "notes": "long text that was cu'
    assert {(h.kind, h.value) for h in det.string_hits(truncated)} == {("name", "Jane Doe"), ("email", "jane@acme.io")}
    python_repr = "{'customer': {'name': 'Jane Doe'}}"
    assert [(h.kind, h.value) for h in det.string_hits(python_repr)] == [("name", "Jane Doe")]


def test_otel_user_attributes() -> None:
    from pytest_agenttrace import SpanRecord

    rec = SpanRecord(
        trace_id="a" * 32,
        span_id="b" * 16,
        name="agent",
        attributes={"user.full_name": "Jane Doe", "user.id": "u-4411", "server.address": "api.openai.com"},
    )
    assert {(h.kind, h.value) for h in Detector().record_hits(rec)} == {("name", "Jane Doe"), ("user_id", "u-4411")}


def test_skip_fake_names_for_scans() -> None:
    data = {"customer": {"name": "Sakura Ashdown"}}
    assert names(data) == [("name", "Sakura Ashdown")]
    assert names(data, skip_fake_names=True) == []
