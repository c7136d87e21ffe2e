"""Getting a trace source's bytes (path, bytes, stdin; gzip; size limits) and decoding its JSON document(s)."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import re
import sys
import zlib
from typing import Any

from .._errors import ConfigError, TraceFormatError

DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_ATTR_CHARS = 1_000_000
MAX_FILE_BYTES_ENV = "AGENTTRACE_MAX_FILE_BYTES"
MAX_ATTR_CHARS_ENV = "AGENTTRACE_MAX_ATTR_CHARS"

_GZIP_MAGIC = b"\x1f\x8b"
_WS = re.compile(r"\s*")


def limit_from(value: int | None, env: str, default: int) -> int:
    """An explicit limit, else the environment variable, else the default."""
    if value is not None:
        if value <= 0:
            raise ConfigError(f"limit must be a positive integer, got {value!r}")
        return value
    text = os.environ.get(env)
    if text is None or not text.strip():
        return default
    try:
        n = int(text.strip().replace("_", ""))
    except ValueError:
        n = 0
    if n <= 0:
        raise ConfigError(
            f"{env}={text!r} is not a positive integer; set it to a number of bytes/characters, e.g. {default}"
        )
    return n


def _too_big(name: str, what: str, limit: int) -> TraceFormatError:
    return TraceFormatError(
        f"{what}, over the limit of {limit:,} bytes; raise it with max_bytes=... "
        f"or the {MAX_FILE_BYTES_ENV} environment variable (e.g. {MAX_FILE_BYTES_ENV}={limit * 2})",
        path=name,
    )


def read_path(path: str, *, max_bytes: int) -> bytes:
    """The raw bytes of a file, refusing one larger than `max_bytes` before reading it."""
    try:
        size = os.stat(path).st_size
        if size > max_bytes:
            raise _too_big(path, f"file is {size:,} bytes", max_bytes)
        with open(path, "rb") as f:
            data = f.read(min(size, max_bytes) + 1)  # not the whole limit up front (peak memory)
    except FileNotFoundError:
        raise TraceFormatError("no such file; check the path", path=path) from None
    except IsADirectoryError:
        raise TraceFormatError("is a directory; pass a file (load_traces reads a directory)", path=path) from None
    except OSError as exc:
        raise TraceFormatError(f"cannot read the file ({exc.strerror or exc})", path=path) from exc
    if len(data) > max_bytes:  # grew while reading
        raise _too_big(path, f"file is more than {max_bytes:,} bytes", max_bytes)
    return data


def read_stdin(*, max_bytes: int) -> bytes:
    data = sys.stdin.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_big("<stdin>", f"input is more than {max_bytes:,} bytes", max_bytes)
    return data


def gunzip_if_needed(data: bytes, name: str, *, max_bytes: int) -> bytes:
    """Decompress gzip data (detected by magic bytes), stopping once the output passes `max_bytes`."""
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as f:
            out = f.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise TraceFormatError(f"corrupt or truncated gzip data ({exc}); re-create the .gz file", path=name) from exc
    if len(out) > max_bytes:
        raise _too_big(name, f"gzip data decompresses to more than {max_bytes:,} bytes", max_bytes)
    return out


def decode_text(data: bytes, name: str) -> str:
    """Bytes as text: UTF-8 (BOM tolerated) or the UTF-16/32 JSON allows."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    try:
        return data.decode(json.detect_encoding(data))
    except UnicodeDecodeError as exc:
        hint = ""
        if b"\x00" in data[:64] or exc.start < 16:
            hint = " Binary OTLP/protobuf is not supported: export OTLP/JSON (e.g. the collector's file exporter)."
        raise TraceFormatError(
            f"not UTF-8 JSON text (undecodable byte at offset {exc.start}).{hint}", path=name
        ) from exc


def parse_documents(text: str, name: str) -> list[Any]:
    """The JSON document(s) in `text`: one document, or several concatenated / one per line (JSON Lines)."""
    try:
        return [json.loads(text)]
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise _bad_json(exc, name, text) from None
    except (ValueError, RecursionError) as exc:
        raise TraceFormatError(f"cannot parse the JSON ({exc})", path=name) from None
    decoder = json.JSONDecoder()
    docs: list[Any] = []
    idx = _WS.match(text, 0).end()  # type: ignore[union-attr]
    end = len(text)
    while idx < end:
        try:
            doc, idx = decoder.raw_decode(text, idx)
        except json.JSONDecodeError as exc:
            raise _bad_json(exc, name, text, doc_number=len(docs) + 1) from None
        except (ValueError, RecursionError) as exc:
            raise TraceFormatError(f"cannot parse JSON document {len(docs) + 1} ({exc})", path=name) from None
        docs.append(doc)
        idx = _WS.match(text, idx).end()  # type: ignore[union-attr]
    return docs


def _bad_json(exc: json.JSONDecodeError, name: str, text: str, *, doc_number: int = 0) -> TraceFormatError:
    where = f"line {exc.lineno} column {exc.colno}"
    if exc.pos >= len(text.rstrip()):
        problem = f"truncated JSON: the text ends before the document is complete ({exc.msg} at {where})"
    else:
        problem = f"invalid JSON at {where}: {exc.msg}"
    if doc_number > 1:
        problem += f" (in JSON document {doc_number} of a multi-document / JSON Lines file)"
    if not text.strip():
        problem = "empty input: expected a JSON trace document"
    return TraceFormatError(f"{problem}; fix or re-export the file", path=name)
