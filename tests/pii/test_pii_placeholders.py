"""Placeholders are valid values of their kind, from reserved ranges, and recognised as ours by the detectors."""

from __future__ import annotations

import ipaddress

import phonenumbers
import pytest
from stdnum import iban, luhn

from pytest_agenttrace.pii import Detector
from pytest_agenttrace.pii._placeholders import (
    Digest,
    card_placeholder,
    iban_placeholder,
    ip_placeholder,
    is_placeholder_phone,
    phone_placeholder,
    render_phone,
)

SEEDS = [f"value-{i}" for i in range(40)]


@pytest.mark.parametrize("region", ["US", "GB", "FR", "AU", "DE", None])
def test_phone_placeholders_are_valid_fictional_numbers(region: str | None) -> None:
    for seed in SEEDS:
        number = phone_placeholder(Digest("s", "phone", seed), region)
        assert phonenumbers.is_valid_number(number), number
        assert is_placeholder_phone(number)
        expected_cc = {"GB": 44, "FR": 33, "AU": 61}.get(region or "", 1)
        assert number.country_code == expected_cc


def test_phone_rendering_follows_the_original() -> None:
    number = phonenumbers.parse("+1 202-555-0142")
    assert render_phone("+1 (415) 555-2671", number, same_region=True) == "+1 202-555-0142"
    assert render_phone("+14155552671", number, same_region=True) == "+12025550142"
    assert render_phone("(415) 555-2671", number, same_region=True) == "(202) 555-0142"
    assert render_phone("4155552671", number, same_region=True) == "2025550142"
    assert render_phone("030 1234567", number, same_region=False) == "+1 202-555-0142"


@pytest.mark.parametrize("card", ["4539148803436467", "5500005555555559", "340000000000009", "6011000400000000"])
def test_card_placeholders_are_luhn_valid_same_length_same_brand(card: str) -> None:
    for seed in SEEDS:
        ph = card_placeholder(Digest("s", "card", seed), card)
        assert luhn.is_valid(ph) and len(ph) == len(card) and ph[0] == card[0]
        assert Detector().text_hits(ph) == []  # a test-prefix number: never reported


@pytest.mark.parametrize("number", ["DE89370400440532013000", "GB82WEST12345698765432", "FR1420041010050500013M02606"])
def test_iban_placeholders_are_valid_for_the_country(number: str) -> None:
    for seed in SEEDS:
        ph = iban_placeholder(Digest("s", "iban", seed), number)
        assert ph[:2] == number[:2] and len(ph) == len(number)
        assert iban.is_valid(ph), ph
        assert Detector().text_hits(ph) == []


def test_ip_placeholders_are_documentation_addresses() -> None:
    for seed in SEEDS:
        v4 = ipaddress.ip_address(ip_placeholder(Digest("s", "ip", seed), "81.2.69.142"))
        v6 = ipaddress.ip_address(ip_placeholder(Digest("s", "ip", seed), "2a00:1450::1"))
        assert not v4.is_global and str(v4).startswith(("192.0.2.", "198.51.100.", "203.0.113."))
        assert v6 in ipaddress.ip_network("2001:db8::/32")


def test_digest_depends_on_salt_kind_value_and_attempt() -> None:
    base = Digest("s", "email", "a@b.io").hex(16)
    assert base == Digest("s", "email", "a@b.io").hex(16)
    others = {
        Digest("t", "email", "a@b.io").hex(16),
        Digest("s", "phone", "a@b.io").hex(16),
        Digest("s", "email", "a@b.iO").hex(16),
        Digest("s", "email", "a@b.io", 1).hex(16),
    }
    assert base not in others and len(others) == 4
    long = Digest("s", "k", "v")
    assert len(long.take(100)) == 100  # counter mode: any length
