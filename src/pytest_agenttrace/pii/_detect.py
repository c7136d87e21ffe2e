"""Detectors: find PII-looking values in free text and in data, with the field names around them.

Free text: e-mail, phone numbers (`phonenumbers`), payment cards (Luhn + issuer ranges) and IBANs (`python-stdnum`),
public IP addresses, API keys and tokens (known prefixes, `Bearer`, `key=value`, long high-entropy tokens), custom
regexes. Data: the same in every string (JSON strings are parsed and walked), plus values of fields whose names mark
personal data (`name`, `customer`, `email`, `phone`, `address`, ...). Placeholders of our own are not reported.
"""

from __future__ import annotations

import ast
import ipaddress
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import phonenumbers
from stdnum import iban as _iban
from stdnum import luhn

from .._records import SpanRecord
from ._fields import (
    AMBIGUOUS_NAME_FIELDS,
    DEFAULT_PII_FIELDS,
    FAMILY_NAME_FIELDS,
    PERSON_CONTAINERS,
    PII_ATTRIBUTE_KEYS,
    SECRET_FIELDS,
    STRUCTURAL_SIBLINGS,
    field_kinds,
    normalize_key,
)
from ._placeholders import (
    card_brand,
    is_placeholder_address,
    is_placeholder_card,
    is_placeholder_iban,
    is_placeholder_name,
    is_placeholder_phone,
    is_reserved_email_domain,
)

__all__ = ["Detector", "Hit"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One detected value: its kind, the exact text found, what identifies it across spellings, where it was.

    `canonical` is shared by all spellings of one value (an e-mail lowercased, a phone in E.164, a card's digits);
    `detail` is kind-specific: a phone's region, `family` for a family name, a key's kept prefix.
    """

    kind: str
    value: str
    canonical: str
    path: str = ""
    detail: str = ""


# ------------------------------------------------------------------------------------------------------ patterns

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9_%+-][A-Za-z0-9._%+'-]*@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|[Xx][Nn]--[A-Za-z0-9-]{1,59})(?![\w-])"
)
_CARD = re.compile(r"(?<![\w.+-])\d(?:[ -]?\d){12,18}(?![\w]|[.,]\d)")
_IBAN = re.compile(r"(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?!\w)")
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)"
)
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]{3,39}(?![\w:])")
_PHONE_PREFILTER = re.compile(r"\d(?:[\s().\-/]{0,3}\d){6}")

#: (prefix kept in the placeholder, pattern of the whole key). Order matters: more specific first.
_KEY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (prefix, re.compile(rf"(?<![\w-]){pattern}(?![\w-])"))
    for prefix, pattern in (
        ("sk-ant-", r"sk-ant-[A-Za-z0-9_-]{20,}"),
        ("sk-lf-", r"sk-lf-[A-Za-z0-9-]{20,}"),
        ("pk-lf-", r"pk-lf-[A-Za-z0-9-]{20,}"),
        ("sk-", r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
        ("sk_live_", r"sk_live_[A-Za-z0-9]{16,}"),
        ("sk_test_", r"sk_test_[A-Za-z0-9]{16,}"),
        ("rk_live_", r"rk_live_[A-Za-z0-9]{16,}"),
        ("github_pat_", r"github_pat_[A-Za-z0-9_]{30,}"),
        ("gh", r"gh[pousr]_[A-Za-z0-9]{30,}"),
        ("xox", r"xox[abposr]-[A-Za-z0-9-]{10,}"),
        ("AKIA", r"(?:AKIA|ASIA)[A-Z0-9]{16}"),
        ("AIza", r"AIza[0-9A-Za-z_-]{35}"),
        ("glpat-", r"glpat-[A-Za-z0-9_-]{20,}"),
        ("hf_", r"hf_[A-Za-z0-9]{30,}"),
        ("npm_", r"npm_[A-Za-z0-9]{36}"),
        ("pypi-", r"pypi-[A-Za-z0-9_-]{50,}"),
        ("lsv2_", r"lsv2_(?:pt|sk)_[A-Za-z0-9_]{20,}"),
        ("gsk_", r"gsk_[A-Za-z0-9]{40,}"),
        ("xai-", r"xai-[A-Za-z0-9]{40,}"),
        ("eyJ", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    )
)
#: Substrings one of which a text must hold for the pattern to be tried (default: the prefix's first two chars).
_KEY_QUICK: dict[str, tuple[str, ...]] = {"AKIA": ("AKIA", "ASIA")}
_BEARER = re.compile(r"(?i:\b(?:bearer|basic|token))\s+([A-Za-z0-9._~+/=-]{16,})")
_KEY_VALUE = re.compile(
    r"(?i:\b(?:api[_-]?key|secret|token|password|passwd|access[_-]?key))[\"']?\s*[:=]\s*[\"']?([^\s\"',;&]{8,})"
)
_HIGH_ENTROPY = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/_-]{32,256}={0,2}(?![\w+/=-])")
_ID_PREFIXES = (
    "chatcmpl-", "call_", "toolu_", "msg_", "resp_", "run_", "fc_", "rs_", "req_", "asst_", "thread_", "file-",
    "batch_", "gen-", "trace_", "span_", "step_", "ws_", "org-", "proj_", "sess_", "ft:", "cmpl-", "evt_", "item_",
)  # fmt: skip
_HEX_OR_UUID = re.compile(r"[0-9a-fA-F-]+")

_NAME_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019.-][^\W\d_]+)*\.?")
_NAME_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "del", "la", "le", "bin", "al", "y"})
_ADDRESS_PARTS = frozenset(
    {"line1", "line2", "street", "streetaddress", "address1", "address2", "postalcode", "postcode", "zip", "zipcode"}
)
_TEXT_FIELD = re.compile(
    r"[\"']?(?P<key>[A-Za-z_][\w.-]{0,40})[\"']?\s*[:=]\s*(?P<q>[\"'])(?P<val>[^\"'\\\n]{1,200})(?P=q)"
)
_SECRET_KEYS = frozenset(normalize_key(k) for k in SECRET_FIELDS)
_STRONG_SECRET_KEYS = frozenset({"password", "passwd", "secret", "clientsecret", "privatekey", "apikey", "xapikey"})
_MAX_PARSE_CHARS = 5_000_000
#: Values of secret fields that are obviously not secrets (test code, templates, our placeholders).
_DUMMY_SECRET = re.compile(
    r"(?i)fake|dummy|test|example|placeholder|changeme|redacted|xxxx|\*\*\*|^your[-_ ]|^<.*>$|^\$\{.*\}$|^\{\{.*\}\}$"
)


def _entropy(s: str) -> float:
    counts = Counter(s)
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]"


class Detector:
    """Finds PII-looking values; shared by the pseudonymizer (which replaces them) and `agenttrace scan`.

    `fields`: field name -> kind (or names, kinds inferred); `patterns`: (kind, regex) pairs; `allowlist`: values
    never reported (case-insensitive); `phone_regions`: regions tried for numbers written without `+`;
    `skip_fake_names`: do not report names made only of our fake names (a scan of pseudonymized files);
    `once_per_string`: report nothing for a string already read (the pseudonymizer needs values, not places).
    """

    def __init__(
        self,
        *,
        fields: Mapping[str, str] | Iterable[str] = DEFAULT_PII_FIELDS,
        patterns: Iterable[tuple[str, str | re.Pattern[str]]] = (),
        allowlist: Iterable[str] = (),
        phone_regions: Iterable[str] = ("US",),
        skip_fake_names: bool = False,
        once_per_string: bool = False,
    ) -> None:
        self.fields = field_kinds(fields)
        self.patterns = tuple((kind, re.compile(p) if isinstance(p, str) else p) for kind, p in patterns)
        self.allowlist = frozenset(a.lower() for a in allowlist)
        self.phone_regions = tuple(r.upper() for r in phone_regions) or ("US",)
        self.skip_fake_names = skip_fake_names
        # the pseudonymizer needs each value once, not each place: chat histories repeat every earlier message
        self._seen: set[str] | None = set() if once_per_string else None

    # -- free text ---------------------------------------------------------------------------------------
    def text_hits(self, text: str, path: str = "") -> list[Hit]:
        """Pattern hits in free text, non-overlapping (custom patterns, keys, e-mail, IBAN, card, IP, phone)."""
        found: list[tuple[int, int, Hit]] = []
        masked = text
        for finder in (
            self._custom,
            self._keys,
            self._emails,
            self._ibans,
            self._cards,
            self._ips,
            self._phones,
        ):
            accepted = []
            for start, end, hit in finder(masked, path):
                if any(start < e and s < end for s, e, _ in found):
                    continue
                if hit.value.lower() in self.allowlist or hit.canonical.lower() in self.allowlist:
                    continue
                found.append((start, end, hit))
                accepted.append((start, end))
            # later detectors must not read across a value already found (`+49 30 120000 . 0@a.com`)
            for start, end in accepted:
                masked = masked[:start] + " " * (end - start) + masked[end:]
        found.sort(key=lambda t: t[0])
        return [h for _, _, h in found]

    def _custom(self, text: str, path: str) -> Iterator[tuple[int, int, Hit]]:
        for kind, rx in self.patterns:
            for m in rx.finditer(text):
                group = "value" if "value" in rx.groupindex else (1 if rx.groups else 0)
                value = m.group(group)
                if value and "redacted" not in value.lower():
                    yield m.start(group), m.end(group), Hit(kind, value, value, path)

    def _keys(self, text: str, path: str) -> Iterator[tuple[int, int, Hit]]:
        for prefix, rx in _KEY_PATTERNS:
            if not any(q in text for q in _KEY_QUICK.get(prefix, (prefix[:2],))):
                continue
            for m in rx.finditer(text):
                value = m.group(0)
                if "REDACTED" not in value:
                    yield m.start(), m.end(), Hit("secret", value, value, path, prefix)
        for rx in (_BEARER, _KEY_VALUE):
            for m in rx.finditer(text):
                value = m.group(1)
                if "REDACTED" in value or "redacted" in value:
                    continue
                if not (re.search(r"\d", value) and re.search(r"[A-Za-z]", value)):
                    continue  # "token internationalization" is prose; keys mix letters and digits
                yield m.start(1), m.end(1), Hit("secret", value, value, path)
        if len(text) >= 32:
            for m in _HIGH_ENTROPY.finditer(text):
                value = m.group(0)
                if _looks_like_key(value):
                    yield m.start(), m.end(), Hit("secret", value, value, path)

    def _emails(self, text: str, path: str) -> Iterator[tuple[int, int, Hit]]:
        if "@" not in text:
            return
        for m in _EMAIL.finditer(text):
            value = m.group(0)
            if not is_reserved_email_domain(value.rsplit("@", 1)[1]):
                yield m.start(), m.end(), Hit("email", value, value.lower(), path)

    def _ibans(self, text: str, path: str) -> Iterator[tuple[int, int, Hit]]:
        for m in _IBAN.finditer(text):
            raw = m.group(0)
            # the optional last group may have eaten a following word: shrink until the checksum holds
            while len(raw.replace(" ", "")) >= 15:
                compact = raw.replace(" ", "")
                if _iban.is_valid(compact):
                    if not is_placeholder_iban(compact):
                        yield m.start(), m.start() + len(raw), Hit("iban", raw, compact, path)
                    break
                raw = raw[:-1].rstrip()

    def _cards(self, text: str, path: str) -> Iterator[tuple[int, int, Hit]]:
        for m in _CARD.finditer(text):
            raw = m.group(0)
            seps = {c for c in raw if not c.isdigit()}
            if len(seps) > 1:
                continue
            digits = re.sub(r"\D", "", raw)
            if not 13 <= len(digits) <= 19 or card_brand(digits) is None or not luhn.is_valid(digits):
                continue
            if not is_placeholder_card(digits):
                yield m.start(), m.end(), Hit("card", raw, digits, path)

    def _ips(self, text: str, path: str) -> Iterator[tuple[int, int, Hit]]:
        if "." in text:
            for m in _IPV4.finditer(text):
                addr = ipaddress.ip_address(m.group(0))
                if addr.is_global:
                    yield m.start(), m.end(), Hit("ip", m.group(0), str(addr), path)
        if "::" in text or text.count(":") >= 7:
            for m in _IPV6.finditer(text):
                raw = m.group(0)
                if raw.count(":") < 2 or not any(c not in ":" for c in raw):
                    continue
                try:
                    addr6 = ipaddress.IPv6Address(raw)
                except ValueError:
                    continue
                if addr6.is_global:
                    yield m.start(), m.end(), Hit("ip", raw, str(addr6), path)

    def _phones(self, text: str, path: str) -> Iterator[tuple[int, int, Hit]]:
        if not _PHONE_PREFILTER.search(text):
            return
        seen: set[tuple[int, int]] = set()
        for region in self.phone_regions:
            for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
                if (m.start, m.end) in seen:
                    continue
                seen.add((m.start, m.end))
                if is_placeholder_phone(m.number):
                    continue
                e164 = phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
                region_of = phonenumbers.region_code_for_number(m.number) or ""
                yield m.start, m.end, Hit("phone", m.raw_string, e164, path, region_of)

    # -- data --------------------------------------------------------------------------------------------
    def string_hits(self, s: str, path: str = "") -> Iterator[Hit]:
        """Hits in one string: JSON (or a Python repr) is parsed and walked, anything else read as text."""
        if self._seen is not None and len(s) > 16:
            if s in self._seen:
                return
            self._seen.add(s)
        data = parse_structured(s)
        if data is not _NOT_STRUCTURED:
            yield from self.walk(data, path + "(json)")
            return
        yield from self.text_hits(s, path)
        if ("=" in s or ":" in s) and ('"' in s or "'" in s):
            yield from self._text_field_hits(s, path)

    def _text_field_hits(self, s: str, path: str, siblings: set[str] | None = None) -> Iterator[Hit]:
        pairs = text_fields(s)
        if siblings is None:
            siblings = {k for k, _ in pairs}
        for key, val in pairs:
            if self.fields.get(key) != "name" and not re.search(r"[\d\s]", val):
                continue  # `"ssn": "national_id"` in code is a mapping of names, not data
            yield from self.field_hits(key, val, siblings=siblings, parent=None, path=path)

    def lines_hits(self, text: str, *, window: int = 6) -> Iterator[tuple[int, Hit]]:
        """(line number, hit) for source code and other text: a field's siblings are the keys on nearby lines."""
        lines = text.splitlines()
        keys = [{k for k, _ in text_fields(line)} if ("=" in line or ":" in line) else set() for line in lines]
        for i, line in enumerate(lines):
            if parse_structured(line) is not _NOT_STRUCTURED:
                for hit in self.string_hits(line, ""):
                    yield i + 1, hit
                continue
            for hit in self.text_hits(line, ""):
                yield i + 1, hit
            if keys[i]:
                siblings = set().union(*keys[max(0, i - window) : i + window + 1])
                for hit in self._text_field_hits(line, "", siblings):
                    yield i + 1, hit

    def walk(self, obj: Any, path: str = "$", *, parent: str | None = None) -> Iterator[Hit]:
        """Every hit in nested data (dicts, lists, tuples, strings; JSON strings are parsed and walked)."""
        if isinstance(obj, str):
            yield from self.string_hits(obj, path)
        elif isinstance(obj, Mapping):
            yield from self._key_value_hits(obj, path)
            siblings = {normalize_key(str(k)) for k in obj}
            for k, v in obj.items():
                key = str(k)
                p = _join(path, key)
                nk = normalize_key(key)
                yield from self.field_hits(nk, v, siblings=siblings, parent=parent, path=p)
                if isinstance(k, str) and len(k) >= 6:
                    yield from self.text_hits(k, p + "(key)")
                yield from self.walk(v, p, parent=nk)
        elif isinstance(obj, (list, tuple)):
            for i, v in enumerate(obj):
                yield from self.walk(v, f"{path}[{i}]", parent=parent)

    def _key_value_hits(self, obj: Mapping[Any, Any], path: str) -> Iterator[Hit]:
        """OTLP / Jaeger attribute entries (`{"key": "user.email", "value": {"stringValue": ...}}`) in raw files."""
        key, value = obj.get("key"), obj.get("value")
        if not isinstance(key, str) or key not in PII_ATTRIBUTE_KEYS or value is None:
            return
        if isinstance(value, Mapping):
            value = value.get("stringValue")
        if isinstance(value, str):
            yield from self._attribute_hits({key: value}, path, walk=False)

    def field_hits(self, key: str, value: Any, *, siblings: set[str], parent: str | None, path: str) -> Iterator[Hit]:
        """Hits that come from a field's name (`key` normalized): names, addresses, secrets, declared fields."""
        if isinstance(value, bool) or not isinstance(value, (str, int, Mapping)):
            return
        if key in _SECRET_KEYS and isinstance(value, str):
            v = value.strip()
            strong = key in _STRONG_SECRET_KEYS
            plausible = len(v) >= 6 if strong else (len(v) >= 12 and " " not in v and re.search(r"\d", v))
            if plausible and not _DUMMY_SECRET.search(v) and v.lower() not in self.allowlist:
                yield Hit("secret", v, v, path, _key_prefix(v))
            return
        kind = self.fields.get(key)
        if kind is None:
            return
        if isinstance(value, Mapping):
            if kind == "address":
                for k, v in value.items():
                    part = str(v).strip() if isinstance(v, (str, int)) and not isinstance(v, bool) else ""
                    if normalize_key(str(k)) in _ADDRESS_PARTS and part and not self._is_fake_address(part):
                        yield from self._value_hit("address", part, _join(path, str(k)))
            return
        text = str(value).strip()
        if kind == "name":
            if isinstance(value, str) and self._is_person_name(key, text, siblings, parent):
                detail = "family" if key in FAMILY_NAME_FIELDS else ""
                if not (self.skip_fake_names and is_placeholder_name(text)):
                    yield from self._value_hit("name", text, path, detail)
        elif kind == "email":
            return  # found by the e-mail pattern wherever it is
        elif kind == "phone":
            yield from self._phone_field_hit(text, path)
        elif kind == "address":
            if len(text) >= 4 and not self._is_fake_address(text):
                yield from self._value_hit("address", text, path)
        elif len(text) >= 3 and "redacted" not in text:
            yield from self._value_hit(kind, text, path)

    def _is_fake_address(self, value: str) -> bool:
        return self.skip_fake_names and is_placeholder_address(value)

    def _value_hit(self, kind: str, value: str, path: str, detail: str = "") -> Iterator[Hit]:
        if value.lower() not in self.allowlist:
            yield Hit(kind, value, value, path, detail)

    def _phone_field_hit(self, text: str, path: str) -> Iterator[Hit]:
        digits = re.sub(r"\D", "", text)
        if len(digits) < 7:
            return
        for region in self.phone_regions:
            try:
                number = phonenumbers.parse(text, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                if is_placeholder_phone(number):
                    return
                e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                region_of = phonenumbers.region_code_for_number(number) or ""
                yield from self._value_hit_canon("phone", text, e164, path, region_of)
                return
        yield from self._value_hit_canon("phone", text, "+" + digits, path, "")

    def _value_hit_canon(self, kind: str, value: str, canonical: str, path: str, detail: str) -> Iterator[Hit]:
        if value.lower() not in self.allowlist:
            yield Hit(kind, value, canonical, path, detail)

    def _is_person_name(self, key: str, value: str, siblings: set[str], parent: str | None) -> bool:
        tokens = value.split()
        if not 1 <= len(tokens) <= 5 or len(value) > 80 or not all(_NAME_TOKEN.fullmatch(t) for t in tokens):
            return False
        if key not in AMBIGUOUS_NAME_FIELDS:
            return True
        if siblings & STRUCTURAL_SIBLINGS:
            return False
        if not all(t[:1].isupper() or t.lower() in _NAME_PARTICLES for t in tokens):
            return False
        if key == "name":
            personal_sibling = any(s in self.fields and s not in AMBIGUOUS_NAME_FIELDS for s in siblings)
            return personal_sibling or parent in PERSON_CONTAINERS
        return True

    # -- span records ------------------------------------------------------------------------------------
    def record_hits(self, record: SpanRecord) -> Iterator[Hit]:
        """Hits in a span's attributes, events, status message and resource (names, ids and times are not PII)."""
        base = f"span {record.name!r} ({record.span_id})"
        yield from self._attribute_hits(record.attributes, f"{base} attributes")
        for i, event in enumerate(record.events):
            yield from self._attribute_hits(event.attributes, f"{base} events[{i}] {event.name!r} attributes")
        if record.status_message:
            yield from self.string_hits(record.status_message, f"{base} status message")
        yield from self._attribute_hits(record.resource, f"{base} resource")

    def _attribute_hits(self, attributes: Mapping[str, Any], path: str, *, walk: bool = True) -> Iterator[Hit]:
        for key, value in attributes.items():
            p = f"{path}[{key!r}]" if walk else path
            kind = PII_ATTRIBUTE_KEYS.get(key)
            usable = kind is not None and kind != "email" and isinstance(value, str) and len(value.strip()) >= 3
            if usable and (kind != "name" or self._is_person_name("fullname", value.strip(), set(), None)):
                yield from self._value_hit(str(kind), value.strip(), p)
            if walk:
                yield from self.walk(value, p)


def text_fields(text: str) -> list[tuple[str, str]]:
    """(normalized key, value) of `key: "value"` / `key="value"` pairs written in text (code, truncated JSON)."""
    return [(normalize_key(m.group("key").rsplit(".", 1)[-1]), m.group("val")) for m in _TEXT_FIELD.finditer(text)]


def _key_prefix(value: str) -> str:
    """The known prefix of a key (`sk-`, `ghp`...) kept in its placeholder, or ''."""
    for prefix, rx in _KEY_PATTERNS:
        if rx.fullmatch(value):
            return prefix
    return ""


def _looks_like_key(value: str) -> bool:
    """A long random-looking token: mixed case and digits, high entropy, not an id, hash or UUID."""
    if value.startswith(_ID_PREFIXES) or _HEX_OR_UUID.fullmatch(value) or "REDACTED" in value:
        return False
    if not (any(c.isupper() for c in value) and any(c.islower() for c in value) and any(c.isdigit() for c in value)):
        return False
    if "/" in value and value.count("/") > 2:  # a path or URL
        return False
    return _entropy(value) >= (4.3 if len(value) < 40 else 4.5)


_NOT_STRUCTURED: Any = object()


def parse_structured(s: str) -> Any:
    """The data of a JSON object/array string (or a Python repr of one); `_NOT_STRUCTURED` when it is neither."""
    head = s.lstrip()[:2]
    if not head or head[0] not in "{[" or len(s) > _MAX_PARSE_CHARS:
        return _NOT_STRUCTURED
    try:
        return json.loads(s)
    except ValueError:
        pass
    if head in ("{'", "[{", "[(", "['", "[["):
        try:
            return ast.literal_eval(s.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return _NOT_STRUCTURED
    return _NOT_STRUCTURED
