"""Normalized values and request keys: what two calls must share to be "the same call".

Tool arguments and LLM request bodies are compared as normalized JSON: key order never matters, tuples are
lists, integral floats are ints (`25.0` == `25`), and, in LLM request bodies only, fields that change from run
to run are dropped (ids of tool calls and messages, the `user`/`metadata`/`store`/... top-level keys) and
UUIDs and ISO timestamps inside strings are replaced by placeholders.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import enum
import json
import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import PurePath
from typing import Any
from urllib.parse import parse_qsl

__all__ = [
    "VOLATILE_REQUEST_FIELDS",
    "canonical",
    "canonical_json",
    "json_body",
    "normalize_request_body",
    "to_jsonable",
]

#: Top-level request body keys that change from run to run (or carry no meaning for the answer) and are ignored.
VOLATILE_REQUEST_FIELDS: frozenset[str] = frozenset(
    {"user", "metadata", "store", "prompt_cache_key", "safety_identifier", "service_tier", "stream_options"}
)
#: Keys inside messages whose values are generated ids (tool call ids, item ids); dropped before comparing.
VOLATILE_ID_KEYS: frozenset[str] = frozenset({"id", "tool_call_id", "call_id", "tool_use_id"})
#: Fields the cassette rewrites when recording (temperature 0, fixed seed); ignored in matching while that is on.
REWRITTEN_FIELDS: frozenset[str] = frozenset({"temperature", "seed"})

_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\b")


def to_jsonable(value: Any) -> Any:
    """Plain JSON data for a tool argument or result (pydantic models, dataclasses, enums, dates, paths, bytes)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [to_jsonable(v) for v in value]
        return sorted(items, key=lambda x: json.dumps(x, sort_keys=True, default=str))
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(bytes(value)).decode("ascii")
    dump = getattr(value, "model_dump", None)  # pydantic v2
    if callable(dump):
        try:
            return to_jsonable(dump(mode="json"))
        except TypeError:
            return to_jsonable(dump())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    return repr(value)


def canonical(value: Any) -> Any:
    """JSON data in a comparable form: lists for tuples, ints for integral floats, mappings with str keys."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # exact types first: parsed JSON is mostly these
        return value
    if kind is dict:
        return {str(k): canonical(v) for k, v in value.items()}
    if kind is list:
        return [canonical(v) for v in value]
    if isinstance(value, (bool, str)):  # subclasses (str enums)
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return canonical(to_jsonable(value))


def canonical_json(value: Any) -> str:
    """One string per normalized value (sorted keys, compact): the index key of arguments and request bodies."""
    return json.dumps(canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def json_body(body: bytes | str | None) -> Any:
    """The parsed JSON of a request/response body, or None when it is empty or not JSON."""
    if body is None:
        return None
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    text = body.strip()
    if not text or text[0] not in "{[":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _scrub_volatile(value: Any) -> Any:
    """`value` without generated ids and with UUIDs/timestamps replaced, in `canonical` form (one pass for both)."""
    if isinstance(value, str):
        if "-" in value or ":" in value:
            value = _UUID.sub("<uuid>", value)
            value = _TIMESTAMP.sub("<timestamp>", value)
        return value
    if isinstance(value, Mapping):
        return {str(k): _scrub_volatile(v) for k, v in value.items() if k not in VOLATILE_ID_KEYS}
    if isinstance(value, list):
        return [_scrub_volatile(v) for v in value]
    return canonical(value)


@lru_cache(maxsize=64)
def _skipped(ignore: frozenset[str]) -> frozenset[str]:
    return VOLATILE_REQUEST_FIELDS | ignore


def normalize_request_body(body: Any, *, ignore: Iterable[str] = ()) -> Any:
    """The part of an LLM request body that decides the answer, in canonical form.

    Drops `VOLATILE_REQUEST_FIELDS` and the top-level keys in `ignore`, generated ids inside the messages, and
    replaces UUIDs and ISO timestamps in strings with `<uuid>` / `<timestamp>`. Non-object bodies pass through.
    """
    if not isinstance(body, Mapping):
        return canonical(body)
    skip = _skipped(ignore if isinstance(ignore, frozenset) else frozenset(ignore))
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in skip:
            continue
        if key in ("messages", "input", "system", "instructions"):
            out[str(key)] = _scrub_volatile(value)
        else:
            out[str(key)] = canonical(value)
    return out


def normalize_query(query: str) -> list[tuple[str, str]]:
    """Query parameters as a sorted list of pairs (order of parameters never matters)."""
    return sorted(parse_qsl(query, keep_blank_values=True))
