"""Helpers shared by the format readers: ids, times, attribute values, and error reporting.

Readers raise `FieldError` (a short "what was expected" sentence) from deep inside a conversion; the span loop
turns it into a `TraceFormatError` naming the file and the span.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

from .._errors import TraceFormatError
from .._records import SpanRecord
from .._sizes import cap_value, truncate

#: Exceptions a conversion of untrusted JSON may raise; each is turned into a `TraceFormatError`.
SHAPE_ERRORS: tuple[type[BaseException], ...] = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
    OverflowError,
    RecursionError,
)


class FieldError(Exception):
    """A value inside a span has the wrong shape; the message says what was expected and what was found."""


#: What a span loop catches: a precise FieldError, or any error a malformed value caused.
SPAN_ERRORS: tuple[type[BaseException], ...] = (*SHAPE_ERRORS, FieldError)


@dataclass(slots=True)
class ReadContext:
    """Per-read settings and state: the display name of the source and the attribute size cap."""

    path: str
    max_attr_chars: int
    id_cache: dict[str, str] = field(default_factory=dict)

    def error(self, message: str, *, span: str | None = None) -> TraceFormatError:
        return TraceFormatError(message, path=self.path, span=span)


def span_label(raw: Any, name_keys: tuple[str, ...], id_keys: tuple[str, ...]) -> str | None:
    """`'name' (id 'abc')` for error messages, from whatever a malformed span still has (keys may be dotted)."""
    if not isinstance(raw, dict):
        return None
    name = next((v for v in (_dig(raw, k) for k in name_keys) if isinstance(v, str)), None)
    ident = next((v for v in (_dig(raw, k) for k in id_keys) if v is not None), None)
    if isinstance(ident, dict) and isinstance(ident.get("data"), list):  # protobufjs Buffer
        with contextlib.suppress(TypeError, ValueError):
            ident = bytes(ident["data"]).hex()
    if name is None and ident is None:
        return None
    id_text = f"(id {short(ident)})" if ident is not None else "(no id)"
    return f"{name!r} {id_text}" if name is not None else f"<no name> {id_text}"


def _dig(node: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def fail_span(
    ctx: ReadContext,
    raw: Any,
    exc: BaseException,
    *,
    expected: str,
    name_keys: tuple[str, ...] = ("name",),
    id_keys: tuple[str, ...] = (),
    diagnose: Callable[[Any], str | None] | None = None,
) -> NoReturn:
    """Raise the `TraceFormatError` for a span whose conversion failed with `exc`."""
    label = span_label(raw, name_keys, id_keys)
    if isinstance(exc, FieldError):
        message = str(exc)
    else:
        message = (diagnose(raw) if diagnose is not None else None) or describe_exception(exc, expected)
    raise ctx.error(message, span=label) from exc


def convert_spans(
    raws: Any,
    ctx: ReadContext,
    convert: Callable[[Any], SpanRecord],
    *,
    expected: str,
    id_keys: tuple[str, ...],
    name_keys: tuple[str, ...] = ("name",),
) -> list[SpanRecord]:
    """`convert` each raw span; the first one that fails raises the `TraceFormatError` naming it (`fail_span`)."""
    out: list[SpanRecord] = []
    for raw in raws:
        try:
            out.append(convert(raw))
        except SPAN_ERRORS as exc:
            fail_span(ctx, raw, exc, expected=expected, name_keys=name_keys, id_keys=id_keys)
    return out


def describe_exception(exc: BaseException, expected: str) -> str:
    if isinstance(exc, KeyError):
        return f"missing required field {exc.args[0]!r}; expected {expected}"
    if isinstance(exc, RecursionError):
        return f"values nested too deeply; expected {expected}"
    return f"unexpected value ({type(exc).__name__}: {exc}); expected {expected}"


def type_name(value: Any) -> str:
    """A JSON-ish name for a value's type, for messages ("a list", "null"...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def short(value: Any, limit: int = 80) -> str:
    """`repr` of a value, cut for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def require_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise FieldError(f"{where} must be a list, got {type_name(value)} ({short(value)})")
    return value


def require_dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError(f"{where} must be an object, got {type_name(value)} ({short(value)})")
    return value


def require_str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise FieldError(f"{where} must be a string, got {type_name(value)} ({short(value)})")
    return value


# ------------------------------------------------------------------------------------------------------------ ids

_HEX_CHARS = frozenset("0123456789abcdefABCDEF")


def hex_id(value: Any, nbytes: int, where: str, *, pad: bool = False) -> str:
    """A trace (16 bytes) or span (8 bytes) id as lowercase hex, from hex (optional 0x), an int, or a Buffer."""
    width = 2 * nbytes
    if isinstance(value, str):
        text = value[2:] if value[:2] in ("0x", "0X") else value
        if (len(text) == width or (pad and 0 < len(text) < width)) and _HEX_CHARS.issuperset(text):
            return text.lower().rjust(width, "0")
    elif isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < 1 << (8 * nbytes):
            return format(value, f"0{width}x")
    elif isinstance(value, dict) and value.get("type") == "Buffer" and isinstance(value.get("data"), list):
        raw = _buffer_bytes(value["data"])
        if raw is not None and len(raw) == nbytes:
            return raw.hex()
    raise FieldError(f"{where} must be a {nbytes}-byte id ({width} hex characters), got {short(value)}")


def otlp_id(value: Any, nbytes: int, where: str) -> str:
    """An OTLP/JSON id: hex (OTLP/JSON spec), base64 (protobuf JSON mapping) or a protobufjs Buffer."""
    if isinstance(value, str):
        if len(value) == 2 * nbytes:
            try:
                raw = bytes.fromhex(value)  # C-fast validation; it skips spaces, hence the length check
            except ValueError:
                raw = b""
            if len(raw) == nbytes:
                return raw.hex()
        elif len(value) <= 4 * ((nbytes + 2) // 3):  # base64: 24 (trace) or 12 (span) chars, padding optional
            decoded = _b64decode(value)
            if decoded is not None and len(decoded) == nbytes:
                return decoded.hex()
    return hex_id(value, nbytes, where)


def _b64decode(text: str) -> bytes | None:
    padded = text + "=" * (-len(text) % 4)
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(padded.encode("ascii"))
        return base64.b64decode(padded, validate=True)
    except (ValueError, UnicodeEncodeError):
        return None


def _buffer_bytes(data: list[Any]) -> bytes | None:
    try:
        return bytes(data)
    except (TypeError, ValueError):
        return None


_HEX_ONLY = re.compile(r"[0-9a-fA-F]+")


def foreign_id(value: Any, nbytes: int, where: str, *, prefixes: tuple[str, ...] = ()) -> str:
    """An id from a system with its own id scheme: hex of the right size if possible, else a stable hash of it.

    Longer hex ids (e.g. OpenAI Agents' 24-hex span ids) keep their first characters so they stay recognizable.
    """
    if isinstance(value, str):
        text = value
        for prefix in prefixes:
            if text.startswith(prefix):
                text = text[len(prefix) :]
                break
        text = text.replace("-", "") if len(text) == 36 and text.count("-") == 4 else text  # UUID
        width = 2 * nbytes
        if len(text) >= width and _HEX_ONLY.fullmatch(text):
            return text[:width].lower()
        if text:
            return hashlib.blake2b(value.encode(), digest_size=nbytes).hexdigest()
    return hex_id(value, nbytes, where)


# ---------------------------------------------------------------------------------------------------------- times

_ISO = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d)?)(?:[.,](\d+))?\s*(Z|z|[+-]\d\d(?::?\d\d)?)?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso_to_ns(value: Any, where: str) -> int:
    """Unix ns from an ISO-8601 timestamp (any number of fraction digits; no zone means UTC)."""
    if isinstance(value, str):
        m = _ISO.fullmatch(value.strip())
        if m:
            date, clock, frac, zone = m.groups()
            if zone in (None, "Z", "z"):
                zone = "+00:00"
            elif len(zone) == 3:
                zone += ":00"
            elif ":" not in zone:
                zone = f"{zone[:3]}:{zone[3:]}"
            try:
                dt = datetime.fromisoformat(f"{date}T{clock}{zone}")
            except ValueError:
                dt = None
            if dt is not None:
                whole = (dt - _EPOCH) // _ONE_SECOND
                return whole * 1_000_000_000 + (int((frac or "0")[:9].ljust(9, "0")))
    raise FieldError(f"{where} must be an ISO-8601 timestamp like '2025-01-31T12:00:00.123Z', got {short(value)}")


_ONE_SECOND = datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC) - _EPOCH


def int_ns(value: Any, where: str) -> int:
    """Unix ns from an integer or a decimal string (floats are accepted when whole)."""
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        return value
    elif isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    elif isinstance(value, float) and value.is_integer():
        return int(value)
    raise FieldError(f"{where} must be Unix nanoseconds (an integer or a decimal string), got {short(value)}")


def time_ns(value: Any, where: str) -> int:
    """Unix ns from an integer ns value or an ISO-8601 string."""
    if isinstance(value, str) and not value.lstrip("-").isdigit():
        return iso_to_ns(value, where)
    return int_ns(value, where)


def long_value(value: dict[str, Any]) -> int:
    """A protobufjs Long (`{"low", "high", "unsigned"}`; halves are signed 32-bit) as a Python int."""
    low = value["low"]
    high = value["high"]
    if not isinstance(low, int) or not isinstance(high, int) or isinstance(low, bool) or isinstance(high, bool):
        raise FieldError(f"a Long must have integer 'low' and 'high' halves, got {short(value)}")
    n = ((high & 0xFFFFFFFF) << 32) | (low & 0xFFFFFFFF)
    if not value.get("unsigned") and n >= 1 << 63:
        n -= 1 << 64
    return n


# ----------------------------------------------------------------------------------------------------- attributes


#: A JSON attribute value as a record value: lists become tuples (at every depth), long strings are cut (the rule
#: live capture applies too).
plain_value = cap_value


def plain_attributes(value: Any, limit: int, where: str) -> dict[str, Any]:
    """A JSON object of attributes as a record's attribute dict (None -> {})."""
    if value is None:
        return {}
    attrs = require_dict(value, where)
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if isinstance(v, str):
            out[k] = v if len(v) <= limit else truncate(v, limit)
        elif isinstance(v, (list, dict)):
            out[k] = plain_value(v, limit)
        else:
            out[k] = v
    return out


def json_text(value: Any) -> str:
    """A value as compact JSON text (for attributes that hold structured data as a string)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def text_or_json(value: Any) -> str:
    """Strings stay as they are; anything else is JSON-encoded."""
    return value if isinstance(value, str) else json_text(value)


# ---------------------------------------------------------------------------------------------------- kinds/status

SPAN_KIND_NAMES: dict[str, str] = {
    "internal": "INTERNAL",
    "server": "SERVER",
    "client": "CLIENT",
    "producer": "PRODUCER",
    "consumer": "CONSUMER",
    "unspecified": "INTERNAL",
    "": "INTERNAL",
}

STATUS_NAMES: dict[str, str] = {"unset": "UNSET", "ok": "OK", "error": "ERROR", "": "UNSET"}


def kind_from_name(value: Any, where: str) -> str:
    """`SpanKind.CLIENT`, `SPAN_KIND_CLIENT`, `client`, `CLIENT` -> `CLIENT` (None -> INTERNAL)."""
    if value is None:
        return "INTERNAL"
    if isinstance(value, str):
        key = value.rsplit(".", 1)[-1].lower()
        key = key.removeprefix("span_kind_")
        kind = SPAN_KIND_NAMES.get(key)
        if kind is not None:
            return kind
    raise FieldError(
        f"{where} must be a span kind (INTERNAL, SERVER, CLIENT, PRODUCER or CONSUMER), got {short(value)}"
    )


def status_from_name(value: Any, where: str) -> str:
    """`StatusCode.OK`, `STATUS_CODE_OK`, `ok`, `OK` -> `OK` (None -> UNSET)."""
    if value is None:
        return "UNSET"
    if isinstance(value, str):
        key = value.rsplit(".", 1)[-1].lower().removeprefix("status_code_")
        code = STATUS_NAMES.get(key)
        if code is not None:
            return code
    raise FieldError(f"{where} must be a status code (UNSET, OK or ERROR), got {short(value)}")
