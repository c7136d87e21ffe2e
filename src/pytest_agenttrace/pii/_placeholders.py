"""Placeholders: stable, format-preserving stand-ins derived from HMAC-SHA256(salt, kind + value).

Every placeholder comes from a reserved or test range (so `agenttrace scan` can tell it from real data):
e-mail under `example.com`, phones in fictional ranges (US 555-01xx, UK Ofcom drama numbers, ...), cards under
well-known test prefixes, IBANs with a zeroed bank code, IPs from TEST-NET / `2001:db8::/32`, keys marked
`REDACTED`. `attempt` > 0 asks for another candidate when the first collides with another value.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import string

import phonenumbers
from stdnum import iban as _iban
from stdnum import luhn

__all__ = [
    "FAMILY_NAMES",
    "GIVEN_NAMES",
    "Digest",
    "card_placeholder",
    "email_placeholder",
    "generic_placeholder",
    "iban_placeholder",
    "ip_placeholder",
    "is_placeholder_card",
    "is_placeholder_iban",
    "is_placeholder_name",
    "is_placeholder_phone",
    "is_reserved_email_domain",
    "name_token_placeholder",
    "phone_placeholder",
    "secret_placeholder",
    "address_placeholder",
]


class Digest:
    """An endless keyed byte stream for one (kind, value, attempt): HMAC-SHA256 in counter mode."""

    __slots__ = ("_buf", "_counter", "_key", "_msg")

    def __init__(self, salt: str, kind: str, canonical: str, attempt: int = 0) -> None:
        self._key = salt.encode("utf-8")
        self._msg = f"{kind}\x00{canonical}\x00{attempt}".encode()
        self._counter = 0
        self._buf = b""

    def take(self, n: int) -> bytes:
        while len(self._buf) < n:
            block = hmac.new(self._key, self._msg + self._counter.to_bytes(4, "big"), hashlib.sha256).digest()
            self._buf += block
            self._counter += 1
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def hex(self, n: int) -> str:
        return self.take((n + 1) // 2).hex()[:n]

    def below(self, n: int) -> int:
        """A number in range(n) (64 bits of the stream modulo n: bias is negligible for small n)."""
        return int.from_bytes(self.take(8), "big") % n

    def digits(self, n: int) -> str:
        return "".join(str(self.below(10)) for _ in range(n))


# ------------------------------------------------------------------------------------------------------ e-mail

_RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost", "local"})
_RESERVED_DOMAINS = ("example.com", "example.net", "example.org")


def is_reserved_email_domain(domain: str) -> bool:
    """RFC 2606 / 6761 names that can never be a real mailbox (our placeholders live there)."""
    d = domain.lower().rstrip(".")
    if d.rsplit(".", 1)[-1] in _RESERVED_TLDS:
        return True
    return any(d == r or d.endswith("." + r) for r in _RESERVED_DOMAINS)


def email_placeholder(d: Digest) -> str:
    return f"user-{d.hex(8)}@example.com"


# ------------------------------------------------------------------------------------------------------- phones

# Fictional ranges: (country calling code, national-number prefix, digits drawn after it).
_NANP_AREAS = ("202", "212", "213", "305", "312", "404", "415", "503", "512", "617", "702", "713", "801", "919")
_RESERVED_PHONE: dict[str, tuple[int, str, int]] = {
    "GB": (44, "2079460", 3),  # Ofcom drama numbers 020 7946 0000-0999
    "FR": (33, "19900", 4),  # ARCEP fiction numbers 01 99 00 xx xx
    "AU": (61, "25550", 4),  # ACMA fictional (02) 5550 xxxx
}
_PLACEHOLDER_NATIONAL = re.compile(
    r"[2-9]\d\d55501\d\d"  # NANP 555-0100..0199
    r"|2079460\d{3}|1134960\d{3}|1614960\d{3}|1184960\d{3}|1174960\d{3}|2890180\d{3}|7700900\d{3}"  # Ofcom
    r"|19900\d{4}|26191\d{4}|35301\d{4}|46571\d{4}|53649\d{4}|63998\d{4}"  # ARCEP
    r"|25550\d{4}|35550\d{4}|75550\d{4}|85550\d{4}|491570\d{3}"  # ACMA
)


def is_placeholder_phone(number: phonenumbers.PhoneNumber) -> bool:
    """Whether a parsed number lies in a fictional range (ours or anyone's: not a real subscriber)."""
    return bool(_PLACEHOLDER_NATIONAL.fullmatch(str(number.national_number)))


def phone_placeholder(d: Digest, region: str | None) -> phonenumbers.PhoneNumber:
    """A valid number in the fictional range of `region`; regions without one get a US 555-01xx number."""
    spec = _RESERVED_PHONE.get(region or "")
    if spec is not None:
        cc, prefix, n = spec
        national = prefix + d.digits(n)
    else:
        cc = 1
        national = _NANP_AREAS[d.below(len(_NANP_AREAS))] + "55501" + d.digits(2)
    return phonenumbers.PhoneNumber(country_code=cc, national_number=int(national))


def render_phone(original: str, placeholder: phonenumbers.PhoneNumber, *, same_region: bool) -> str:
    """Write the placeholder roughly as the original was written (international, national, bare digits)."""
    fmt = phonenumbers.PhoneNumberFormat
    stripped = original.strip()
    digits_only = stripped.lstrip("+").isdigit()
    if stripped.startswith("+") or stripped.startswith("00") or not same_region:
        if digits_only:
            e164 = phonenumbers.format_number(placeholder, fmt.E164)
            return e164 if stripped.startswith("+") else e164[1:]
        return phonenumbers.format_number(placeholder, fmt.INTERNATIONAL)
    national = phonenumbers.format_number(placeholder, fmt.NATIONAL)
    if digits_only:
        return re.sub(r"\D", "", national)
    return national


# -------------------------------------------------------------------------------------------------------- cards

# brand -> (detection prefixes, placeholder prefix). Placeholder prefixes are those of well-known test numbers.
_CARD_BRANDS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("amex", re.compile(r"3[47]"), "378282"),
    ("diners", re.compile(r"3(?:0[0-5]|[68])"), "305693"),
    ("jcb", re.compile(r"35(?:2[89]|[3-8])"), "353011"),
    ("visa", re.compile(r"4"), "400000"),
    ("mastercard", re.compile(r"5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)"), "555555"),
    ("discover", re.compile(r"6(?:011|5|4[4-9])"), "601111"),
)
_TEST_CARDS = frozenset(
    {
        "4111111111111111",
        "4242424242424242",
        "4012888888881881",
        "4000056655665556",
        "4222222222222",
        "5555555555554444",
        "5105105105105100",
        "5200828282828210",
        "2223003122003222",
        "378282246310005",
        "371449635398431",
        "378734493671000",
        "6011111111111117",
        "6011000990139424",
        "30569309025904",
        "38520000023237",
        "3530111333300000",
        "3566002020360505",
    }
)


def card_brand(digits: str) -> str | None:
    """The brand whose IIN range the number falls in (None: not a payment card we recognise)."""
    for brand, prefix, _ in _CARD_BRANDS:
        if prefix.match(digits):
            return brand
    return None


def is_placeholder_card(digits: str) -> bool:
    """Well-known test numbers and numbers under the test prefixes our placeholders use."""
    return digits in _TEST_CARDS or any(digits.startswith(p) for _, _, p in _CARD_BRANDS)


def card_placeholder(d: Digest, digits: str) -> str:
    """A Luhn-valid number of the same length under the brand's test prefix."""
    brand = card_brand(digits)
    prefix = next((p for b, _, p in _CARD_BRANDS if b == brand), "400000")
    body = prefix + d.digits(len(digits) - len(prefix) - 1)
    return body + luhn.calc_check_digit(body)


def render_digits(original: str, digits: str) -> str:
    """Put `digits` into the original's layout (`4111 1111 ...`, `4111-1111-...`)."""
    it = iter(digits)
    return "".join(next(it) if c.isdigit() else c for c in original)


# -------------------------------------------------------------------------------------------------------- IBANs


def is_placeholder_iban(compact: str) -> bool:
    """Our IBANs zero the first four characters of the BBAN (no bank has such a code)."""
    return len(compact) > 8 and all(c in "0X" for c in compact[4:8])


def iban_placeholder(d: Digest, compact: str) -> str:
    """A checksum-valid IBAN of the same country and shape, bank code zeroed; see `is_placeholder_iban`."""
    country, bban = compact[:2], compact[4:]
    for _ in range(64):
        chars = []
        for i, c in enumerate(bban):
            if i < 4:
                chars.append("X" if c.isalpha() else "0")
            elif c.isdigit():
                chars.append(str(d.below(10)))
            else:
                chars.append(string.ascii_uppercase[d.below(26)])
        new_bban = "".join(chars)
        check = _iban.calc_check_digits(country + "00" + new_bban)
        candidate = country + check + new_bban
        if _iban.is_valid(candidate):  # national check digits (FR, BE, ES...) hold for some draws only
            return candidate
    return candidate  # checksum-valid at the IBAN level even when a national check fails


def render_iban(original: str, compact: str) -> str:
    if " " in original.strip():
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact


# ---------------------------------------------------------------------------------------------------------- IPs

_TEST_NETS = ("192.0.2.", "198.51.100.", "203.0.113.")


def ip_placeholder(d: Digest, address: str) -> str:
    """IPv4 -> TEST-NET-1/2/3, IPv6 -> 2001:db8::/32 (RFC 5737, RFC 3849)."""
    if ipaddress.ip_address(address).version == 4:
        return f"{_TEST_NETS[d.below(3)]}{1 + d.below(254)}"
    groups = [d.hex(4).lstrip("0") or "0" for _ in range(4)]
    return str(ipaddress.IPv6Address("2001:db8::" + ":".join(groups)))


# ------------------------------------------------------------------------------------------------------ secrets


def secret_placeholder(d: Digest, prefix: str) -> str:
    return f"{prefix}REDACTED{d.hex(12)}"


# ----------------------------------------------------------------------------------------------------- addresses


def address_placeholder(d: Digest, value: str) -> str:
    """A street address, or a postal code of the same shape starting with `00` for code-like values."""
    if re.fullmatch(r"[0-9A-Za-z -]{2,10}", value) and any(c.isdigit() for c in value) and " " not in value.strip():
        out = []
        for i, c in enumerate(value):
            if c.isdigit():
                out.append("0" if i < 2 else str(d.below(10)))
            elif c.isalpha():
                out.append("X")
            else:
                out.append(c)
        return "".join(out)
    return f"{1 + d.below(998)} Example Street"


def is_placeholder_address(value: str) -> bool:
    return "Example Street" in value or bool(re.fullmatch(r"00[0-9X -]*", value))


def generic_placeholder(d: Digest, kind: str) -> str:
    return f"{kind}-redacted-{d.hex(8)}"


# --------------------------------------------------------------------------------------------------------- names

GIVEN_NAMES: tuple[str, ...] = (
    "Alice", "Amara", "Anika", "Bianca", "Carmen", "Chiara", "Dalia", "Elena", "Emeka", "Farida", "Greta",
    "Hana", "Ingrid", "Isabel", "Jonas", "Kenji", "Lars", "Leila", "Lorenzo", "Malik", "Marta", "Mateo",
    "Nadia", "Nikolai", "Noor", "Oskar", "Priya", "Rafael", "Rosalind", "Sakura", "Selma", "Tariq", "Tomas",
    "Ulrike", "Valentin", "Wanda", "Xavier", "Yara", "Yusuf", "Zofia", "Anders", "Benedikt", "Cosima",
    "Dmitri", "Esther", "Fabian", "Gustavo", "Helga", "Ilse", "Joaquin", "Kasimir", "Linnea", "Magnus",
    "Nils", "Ottilie", "Paloma", "Quentin", "Renata", "Soren", "Thea", "Ugo", "Vera", "Wilhelmina", "Ximena",
)  # fmt: skip
FAMILY_NAMES: tuple[str, ...] = (
    "Abernathy", "Bergstrom", "Castellano", "Dragomir", "Eriksen", "Fairweather", "Galloway", "Halvorsen",
    "Ibarra", "Jablonski", "Kowalczyk", "Lindqvist", "Marchetti", "Nakamura", "Okonkwo", "Pellegrini",
    "Quintero", "Rasmussen", "Szabo", "Takahashi", "Underhill", "Vasquez", "Wojcik", "Yamamoto", "Zielinski",
    "Achterberg", "Bellweather", "Carrow", "Delacroix", "Esposito", "Fenwick", "Grimaldi", "Holloway",
    "Ivanova", "Jorgensen", "Kirkland", "Lockhart", "Montague", "Nordby", "Oyelaran", "Prescott",
    "Quarry", "Rothwell", "Sandoval", "Thornbury", "Umbridge", "Vantongeren", "Whitlock", "Yilmaz", "Zamora",
    "Ashdown", "Blackwood", "Coldwell", "Dunmore", "Everly", "Fitzroy", "Greenhalgh", "Hartigan",
    "Illingworth", "Jessop", "Kinsella", "Larkspur", "Merriweather", "Northcott",
)  # fmt: skip
_GIVEN = frozenset(GIVEN_NAMES)
_FAMILY = frozenset(FAMILY_NAMES)


def name_token_placeholder(salt: str, canonical: str, *, family: bool, attempt: int) -> str:
    """A fake given or family name: the list walked from a keyed start, then double-barrelled names."""
    pool = FAMILY_NAMES if family else GIVEN_NAMES
    if attempt < len(pool):
        return pool[(Digest(salt, "name", canonical).below(len(pool)) + attempt) % len(pool)]
    d = Digest(salt, "name", canonical, attempt)
    return f"{pool[d.below(len(pool))]}-{pool[d.below(len(pool))]}"


def match_case(original: str, fake: str) -> str:
    """`jane` -> `alice`, `JANE` -> `ALICE`, `Jane` -> `Alice`."""
    if original.isupper() and len(original) > 1:
        return fake.upper()
    if original.islower():
        return fake.lower()
    return fake


def is_placeholder_name(value: str) -> bool:
    """Whether every token of a name comes from our fake-name lists (a scan does not report those)."""
    tokens = [t for t in re.split(r"[\s-]+", value) if t]
    return bool(tokens) and all(t.capitalize() in _GIVEN or t.capitalize() in _FAMILY for t in tokens)
