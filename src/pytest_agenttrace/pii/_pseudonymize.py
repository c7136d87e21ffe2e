"""Consistent pseudonymization: the same value gets the same placeholder everywhere in a trace.

Two passes. DISCOVER walks every string (span attributes, event attributes, messages, tool arguments and results,
strings nested inside JSON strings) and collects the values the detectors find. REPLACE applies one regex
alternation of all discovered values (longest first) to every string, so a value found in one place (a tool
result's `customer` field) is replaced wherever it occurs (the user's message, the final answer). JSON strings are
rewritten as text when that removes every value, else parsed, rewritten and re-serialized in the original style.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import phonenumbers

from .._errors import ConfigError
from .._records import SpanEvent, SpanRecord
from ._detect import _NOT_STRUCTURED, Detector, Hit
from ._fields import DEFAULT_PII_FIELDS
from ._placeholders import (
    Digest,
    address_placeholder,
    card_placeholder,
    email_placeholder,
    generic_placeholder,
    iban_placeholder,
    ip_placeholder,
    match_case,
    name_token_placeholder,
    phone_placeholder,
    render_digits,
    render_iban,
    render_phone,
    secret_placeholder,
)

if TYPE_CHECKING:
    from .._model import Trace

__all__ = ["Pseudonymizer"]

_MAX_ATTEMPTS = 64
_MAX_VALUE_CHARS = 2000  # a longer "value" is a document, not a datum
_TOKEN_SPLIT = re.compile(r"(\s+)")


@dataclass(slots=True)
class _Entry:
    """A discovered spelling of a value; `derived` marks a name's single token (not counted in the report)."""

    kind: str
    canonical: str
    detail: str = ""
    derived: bool = False


class Pseudonymizer:
    """Replaces personal data with stable, format-preserving placeholders derived from HMAC-SHA256(salt, value).

    Use one instance per trace (or per set of files that must agree): `transform_trace(trace)` does both passes;
    to rewrite pieces separately (a cassette's interactions), call `discover(trace)` first, then `transform(piece)`
    on each piece, so that a name found in one piece is also replaced in the others. The instance is also a
    `transform` callable (`p(obj)` is `p.transform(obj)`).
    """

    def __init__(
        self,
        salt: str,
        *,
        fields: Mapping[str, str] | Iterable[str] = DEFAULT_PII_FIELDS,
        patterns: Iterable[tuple[str, str | re.Pattern[str]]] = (),
        allowlist: Iterable[str] = (),
        phone_regions: Iterable[str] = ("US",),
    ) -> None:
        if not isinstance(salt, str) or not salt:
            raise ConfigError(
                f"the PII salt must be a non-empty string, got {salt!r}; set [tool.agenttrace] pii_salt or the "
                "AGENTTRACE_PII_SALT environment variable (see pytest_agenttrace.pii.resolve_salt)"
            )
        self._salt = salt
        try:
            self.detector = Detector(
                fields=fields,
                patterns=patterns,
                allowlist=allowlist,
                phone_regions=phone_regions,
                once_per_string=True,
            )
        except re.error as exc:
            raise ConfigError(f"invalid PII pattern: {exc}; fix the regex in [tool.agenttrace] pii_patterns") from exc
        self._entries: dict[str, _Entry] = {}
        self._token_roles: dict[str, set[str]] = {}
        self._canon_ph: dict[tuple[str, str], Any] = {}  # (kind, canonical) -> placeholder (str or PhoneNumber)
        self._surface_ph: dict[str, str] = {}
        self._taken: set[str] = set()
        self._regex: re.Pattern[str] | None = None
        self._done: dict[str, tuple[str, Counter[str]]] = {}  # string -> (rewritten, replacements), current regex
        self._dirty = False
        self._occurrences: Counter[str] = Counter()

    # -- discovery ---------------------------------------------------------------------------------------
    def discover(self, obj: Any) -> None:
        """Collect the personal data in `obj`: a `Trace`, span records, or nested str/dict/list/tuple data."""
        for hit in self._hits(obj):
            self.add(hit)

    def _hits(self, obj: Any) -> Iterable[Hit]:
        records = _records_of(obj)
        if records is not None:
            for r in records:
                yield from self.detector.record_hits(r)
        else:
            yield from self.detector.walk(obj)

    def add(self, hit: Hit) -> None:
        """Register one value to replace (a detector hit, or one built by hand)."""
        value = hit.value
        if not 3 <= len(value) <= _MAX_VALUE_CHARS or (value in self._entries and not self._entries[value].derived):
            return
        self._entries[value] = _Entry(hit.kind, hit.canonical, hit.detail)
        self._dirty = True
        if hit.kind == "name":
            self._add_name_variants(value, hit.detail)

    def _add_name_variants(self, value: str, detail: str) -> None:
        """A name is also replaced in upper and lower case, and its capitalised tokens (>= 3 letters) alone, as
        written or in upper case (`Jane`, `JANE`; not `jane`, too often a word: `will`, `mark`, `rose`)."""
        tokens = value.split()
        variants = {value.upper(), value.lower()} if len(tokens) > 1 else {value.upper()}
        for i, token in enumerate(tokens):
            role = "family" if detail == "family" or (i > 0 and i == len(tokens) - 1) else "given"
            self._token_roles.setdefault(token.lower(), set()).add(role)
            if len(tokens) > 1 and len(token) >= 3 and token[:1].isupper():
                variants.update({token, token.upper()})
        for variant in variants:
            if len(variant) >= 3 and variant not in self._entries:
                self._entries[variant] = _Entry("name", variant, derived=True)

    # -- replacement -------------------------------------------------------------------------------------
    def transform(self, obj: Any) -> Any:
        """Discover then replace: a copy of `obj` (str, dict, list, tuple, nested) with every known value replaced."""
        self.discover(obj)
        return self.replace(obj)

    __call__ = transform

    def replace(self, obj: Any) -> Any:
        """A copy of `obj` with the values discovered so far replaced (no new discovery)."""
        self._prepare()
        return self._replace_data(obj)

    def transform_records(self, records: Iterable[SpanRecord]) -> list[SpanRecord]:
        """Both passes over span records: attributes, event attributes, status messages, resources."""
        records = list(records)
        self.discover(records)
        self._prepare()
        return [self._replace_record(r) for r in records]

    def transform_trace(self, trace: Trace) -> Trace:
        """The trace with every span rewritten, rebuilt with `Trace.from_records` (steps follow the new spans)."""
        from .._model import Trace

        return Trace.from_records(self.transform_records(trace.records), source=trace.source)

    def _replace_record(self, r: SpanRecord) -> SpanRecord:
        return dataclasses.replace(
            r,
            attributes=self._replace_attributes(r.attributes),
            events=tuple(
                SpanEvent(name=e.name, time_ns=e.time_ns, attributes=self._replace_attributes(e.attributes))
                for e in r.events
            ),
            status_message=self._replace_str(r.status_message),
            resource=self._replace_attributes(r.resource),
        )

    def _replace_attributes(self, attrs: Mapping[str, Any]) -> dict[str, Any]:
        # attribute names are structure (`gen_ai.input.messages`), never rewritten
        return {k: self._replace_data(v) for k, v in attrs.items()}

    def _replace_data(self, obj: Any) -> Any:
        if self._regex is None:
            return obj
        if isinstance(obj, str):
            return self._replace_str(obj)
        if isinstance(obj, bool) or obj is None or isinstance(obj, float):
            return obj
        if isinstance(obj, int):
            new = self._surface_ph.get(str(obj))
            return int(new) if new is not None and new.isdigit() else obj
        if isinstance(obj, Mapping):
            return {self._replace_data(k) if isinstance(k, str) else k: self._replace_data(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self._replace_data(v) for v in obj]
        if isinstance(obj, tuple):
            return tuple(self._replace_data(v) for v in obj)
        return obj

    def _replace_str(self, s: str) -> str:
        rx = self._regex
        if rx is None or not s:
            return s
        done = self._done.get(s)
        if done is not None:
            out, counts = done
            self._occurrences.update(counts)
            return out
        before = Counter(self._occurrences)
        out = rx.sub(self._substitute, s)
        data = _parse_json(out)
        if data is not _NOT_STRUCTURED and self._leftover(data):
            # an escaped spelling (`Jos\u00e9`, `\"`) survived the text pass: rewrite the data, dump it again
            original = _parse_json(s)
            if original is not _NOT_STRUCTURED:
                self._occurrences = before.copy()
                out = _dump_like(s, self._replace_data(original), original)
        if len(s) > 16:
            self._done[s] = (out, self._occurrences - before)
        return out

    def _leftover(self, data: Any) -> bool:
        assert self._regex is not None
        if isinstance(data, str):
            if self._regex.search(data):
                return True
            nested = _parse_json(data)
            return nested is not _NOT_STRUCTURED and self._leftover(nested)
        if isinstance(data, Mapping):
            return any(self._leftover(k) or self._leftover(v) for k, v in data.items())
        if isinstance(data, (list, tuple)):
            return any(self._leftover(v) for v in data)
        return False

    def _substitute(self, m: re.Match[str]) -> str:
        value = m.group(0)
        entry = self._entries[value]
        self._occurrences[entry.kind] += 1
        return self._surface_ph[value]

    # -- placeholders ------------------------------------------------------------------------------------
    def _prepare(self) -> None:
        """Assign placeholders to newly discovered values (in a fixed order: same input, same output) and
        rebuild the replacement regex."""
        if not self._dirty:
            return
        originals = _trie_regex({v.lower() for v in self._entries}, bounded=False)
        pending = [v for v in self._entries if v not in self._surface_ph]
        # name tokens first, so that full names are composed from the tokens' fakes
        for value in sorted(pending, key=lambda v: (not self._entries[v].derived, len(v), v)):
            self._surface_ph[value] = self._placeholder_for(value, self._entries[value], originals)
        self._regex = _trie_regex(self._entries) if self._entries else None
        self._done.clear()
        self._dirty = False

    def _placeholder_for(self, value: str, entry: _Entry, originals: re.Pattern[str]) -> str:
        kind = entry.kind
        if kind == "name":
            return self._name_placeholder(value, originals)
        canon = self._canonical_placeholder(kind, entry, originals)
        if kind == "phone":
            same_region = bool(entry.detail) and entry.canonical.startswith(f"+{canon.country_code}")
            return render_phone(value, canon, same_region=same_region)
        if kind == "card":
            return render_digits(value, canon)
        if kind == "iban":
            return render_iban(value, canon)
        return str(canon)

    def _canonical_placeholder(self, kind: str, entry: _Entry, originals: re.Pattern[str]) -> Any:
        key = (kind, entry.canonical)
        if key in self._canon_ph:
            return self._canon_ph[key]
        candidate: Any = None
        for attempt in range(_MAX_ATTEMPTS):
            d = Digest(self._salt, kind, entry.canonical, attempt)
            candidate = self._make(kind, entry, d)
            text = (
                phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
                if isinstance(candidate, phonenumbers.PhoneNumber)
                else candidate
            )
            if text not in self._taken and not _contains_original(text, originals):
                self._taken.add(text)
                break
        self._canon_ph[key] = candidate
        return candidate

    def _make(self, kind: str, entry: _Entry, d: Digest) -> Any:
        if kind == "email":
            return email_placeholder(d)
        if kind == "phone":
            return phone_placeholder(d, entry.detail or None)
        if kind == "card":
            return card_placeholder(d, entry.canonical)
        if kind == "iban":
            return iban_placeholder(d, entry.canonical)
        if kind == "ip":
            return ip_placeholder(d, entry.canonical)
        if kind == "secret":
            return secret_placeholder(d, entry.detail)
        if kind == "address":
            return address_placeholder(d, entry.canonical)
        return generic_placeholder(d, re.sub(r"[^a-z0-9_]", "_", kind.lower()) or "value")

    def _name_placeholder(self, value: str, originals: re.Pattern[str]) -> str:
        return "".join(
            piece if not piece or piece.isspace() else self._token_placeholder(piece, originals)
            for piece in _TOKEN_SPLIT.split(value)
        )

    def _token_placeholder(self, token: str, originals: re.Pattern[str]) -> str:
        """One fake per token whatever its case (`Jane`, `jane`, `JANE` -> `Alice`, `alice`, `ALICE`)."""
        canonical = token.lower()
        family = "given" not in self._token_roles.get(canonical, {"given"})
        key = ("name", canonical)
        if key not in self._canon_ph:
            fake = ""
            for attempt in range(_MAX_ATTEMPTS * 4):
                fake = name_token_placeholder(self._salt, canonical, family=family, attempt=attempt)
                if fake.lower() not in self._taken and not _contains_original(fake, originals):
                    break
            self._taken.add(fake.lower())
            self._canon_ph[key] = fake
        return match_case(token, str(self._canon_ph[key]))

    # -- reporting ---------------------------------------------------------------------------------------
    def report(self) -> dict[str, int]:
        """Distinct values found per kind (spellings of one value and a name's single tokens count once); no values."""
        distinct = {(e.kind, e.canonical) for e in self._entries.values() if not e.derived}
        return dict(sorted(Counter(kind for kind, _ in distinct).items()))

    def occurrences(self) -> dict[str, int]:
        """How many replacements were made per kind so far."""
        return dict(sorted(self._occurrences.items()))

    def mapping(self) -> dict[str, str]:
        """Placeholder -> original value: only for `--mapping-file`; keep it out of the repository."""
        self._prepare()
        return {ph: original for original, ph in sorted(self._surface_ph.items(), key=lambda kv: kv[1])}

    def placeholder(self, value: str) -> str | None:
        """The placeholder of a discovered value (None when the value was not discovered)."""
        self._prepare()
        return self._surface_ph.get(value)


def _records_of(obj: Any) -> Sequence[SpanRecord] | None:
    if hasattr(obj, "records") and not isinstance(obj, Mapping):
        return tuple(obj.records)
    if isinstance(obj, SpanRecord):
        return (obj,)
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(r, SpanRecord) for r in obj):
        return obj
    return None


def _parse_json(s: str) -> Any:
    """The data of a JSON object or array string, else `_NOT_STRUCTURED` (Python reprs are left to the text pass)."""
    head = s.lstrip()[:1]
    if head not in ("{", "["):
        return _NOT_STRUCTURED
    try:
        return json.loads(s)
    except ValueError:
        return _NOT_STRUCTURED


def _trie_regex(values: Iterable[str], *, bounded: bool = True) -> re.Pattern[str]:
    """One regex matching any of `values`, longest first, a word boundary wherever a value starts or ends in a word
    character. Built as a trie (`Jane(?: Doe|)` with boundaries): a flat alternation of a thousand values is tried
    value by value at every position of the text, the trie only along the branches that share the text's prefix."""
    trie: dict[str, Any] = {}
    values = [v for v in values if v]
    if not values:
        return re.compile(r"(?!)")
    for value in values:
        node = trie
        for ch in value:
            node = node.setdefault(ch, {})
        node[""] = value
    branches = []
    for ch in sorted(k for k in trie if k):
        left = r"(?<!\w)" if bounded and _is_word(ch) else ""
        branches.append(left + _trie_body(ch, trie[ch], bounded))
    return re.compile("|".join(branches))


def _trie_body(first: str, node: dict[str, Any], bounded: bool) -> str:
    """The pattern for the characters from `first` on: single-child chains are written out without recursion, and
    at a branch longer continuations come before the end (longest match first)."""
    chain = [first]
    while len(node) == 1 and "" not in node:
        ((ch, node),) = node.items()
        chain.append(ch)
    head = re.escape("".join(chain))
    options = [_trie_body(ch, child, bounded) for ch, child in sorted(node.items()) if ch]
    if "" in node:
        options.append(r"(?!\w)" if bounded and _is_word(chain[-1]) else "")
    if len(options) == 1:
        return head + options[0]
    return head + "(?:" + "|".join(options) + ")"


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


def _contains_original(candidate: str, originals: re.Pattern[str]) -> bool:
    return originals.search(candidate.lower()) is not None


_STYLES: tuple[dict[str, Any], ...] = tuple(
    {"separators": seps, "ensure_ascii": ascii_, "indent": indent}
    for indent in (None, 2, 4)
    for seps in ((", ", ": "), (",", ":"), (",", ": "))
    for ascii_ in (True, False)
)


def _dump_like(raw: str, data: Any, original: Any) -> str:
    """Serialize `data` in the style `raw` was written in (separators, indent, ASCII escapes) when one matches."""
    stripped = raw.strip()
    for style in _STYLES:
        try:
            if json.dumps(original, **style) == stripped:
                return raw.replace(stripped, json.dumps(data, **style), 1)
        except (TypeError, ValueError):
            break
    compact = '", "' not in raw and '": ' not in raw
    return json.dumps(data, separators=(",", ":") if compact else (", ", ": "), ensure_ascii="\\u" in raw)
