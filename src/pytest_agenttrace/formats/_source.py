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

from .._errors import TraceFormatError
from .._sizes import (  # noqa: F401 (re-exported: the readers' settings)
    DEFAULT_MAX_ATTR_CHARS,
    DEFAULT_MAX_FILE_BYTES,
    MAX_ATTR_CHARS_ENV,
    MAX_FILE_BYTES_ENV,
    limit_from,
)

_GZIP_MAGIC = b"\x1f\x8b"
#: Peak memory of loading a trace, per byte of its (decompressed) JSON: measured 6.5x (1M spans) to 7.5x (100k
#: spans) in `tests/hardening/large_trace.py` and `bench/bench_loading.py`; the check below assumes 8x.
MEMORY_PER_BYTE = 8
#: Set to 0 to load a file even when the memory check says it will not fit.
MEMORY_CHECK_ENV = "AGENTTRACE_MEMORY_CHECK"
_WS = re.compile(r"\s*")


def _too_big(name: str, what: str, limit: int) -> TraceFormatError:
    return TraceFormatError(
        f"{what}, over the limit of {limit:,} bytes; raise it with max_bytes=... "
        f"or the {MAX_FILE_BYTES_ENV} environment variable (e.g. {MAX_FILE_BYTES_ENV}={limit * 2})",
        path=name,
    )


def available_memory() -> int | None:
    """Bytes of memory available to new allocations (Linux `MemAvailable`), None when it cannot be told."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_memory(name: str, nbytes: int) -> None:
    """Refuse, before parsing, trace data whose load would need more memory than is available (instead of the
    process being killed, or the machine swapping, halfway through)."""
    need = nbytes * MEMORY_PER_BYTE
    if need < 256 * 2**20 or os.environ.get(MEMORY_CHECK_ENV, "").strip() == "0":
        return
    free = available_memory()
    if free is None or need <= free:
        return
    raise TraceFormatError(
        f"{nbytes:,} bytes of trace data need about {need / 2**30:.1f} GiB of memory to load ({MEMORY_PER_BYTE}x "
        f"the data) and {free / 2**30:.1f} GiB is available; load a smaller file (split it, e.g. by trace id), "
        f"free memory, or set {MEMORY_CHECK_ENV}=0 to try anyway",
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


def is_gzip(data: bytes) -> bool:
    """Whether `data` is gzip (by its magic bytes, never the file name)."""
    return data.startswith(_GZIP_MAGIC)


def gunzip_capped(data: bytes, name: str, *, max_bytes: int) -> bytes:
    """Gzip `data` decompressed, stopping after `max_bytes + 1` bytes of output: more than `max_bytes` means over."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as f:
            return f.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise TraceFormatError(f"corrupt or truncated gzip data ({exc}); re-create the .gz file", path=name) from exc


def gunzip_if_needed(data: bytes, name: str, *, max_bytes: int) -> bytes:
    """Decompress gzip data (detected by magic bytes), stopping once the output passes `max_bytes`."""
    if not is_gzip(data):
        return data
    out = gunzip_capped(data, name, max_bytes=max_bytes)
    if len(out) > max_bytes:
        raise _too_big(name, f"gzip data decompresses to more than {max_bytes:,} bytes", max_bytes)
    return out


class DirectoryBudget:
    """The byte limit applied to a directory's trace files together (`max_bytes` bounds what one call loads).

    Created from the files' sizes on disk, it refuses the directory before any file is read when they add up to
    more than the limit (gzipped files count their compressed size there). While reading, `take` counts each
    file's decompressed bytes and decompresses a gzipped file only as far as the budget left allows, so a
    directory of small `.gz` files cannot expand past the limit either (the per-file rule, summed).
    """

    def __init__(self, directory: str, files: list[tuple[str, int]], *, max_bytes: int) -> None:
        self.directory = directory
        self.files = files
        self.limit = max_bytes
        self.used = 0
        total = sum(size for _, size in files)
        if total > max_bytes:
            if len(files) == 1:
                raise self._error(f"its only trace file holds {total:,} bytes", total)
            raise self._error(f"its {len(files)} trace files hold {total:,} bytes together", total)

    def take(self, path: str, data: bytes) -> bytes:
        """`data` (the bytes of `path`, one of the files) decompressed if gzipped, counted against the budget."""
        left = self.limit - self.used
        name = os.path.basename(path)
        if is_gzip(data):
            out = gunzip_capped(data, path, max_bytes=left)
            total = f"more than {self.limit:,}"
            detail = f"{name} decompresses to more than the {left:,} bytes left"
        else:
            out = data
            total = f"{self.used + len(out):,}"
            detail = f"{name} holds {len(out):,} bytes, more than the {left:,} bytes left"
        if len(out) > left:
            if self.used:
                detail += f" after {self.used:,} bytes from the files read before it"
            raise self._error(
                f"its trace files add up to {total} bytes once decompressed ({detail})", self.used + len(out)
            )
        self.used += len(out)
        return out

    def _error(self, what: str, total: int) -> TraceFormatError:
        """The over-limit error: the directory, what was found, the limit, the biggest files and the fixes."""
        biggest = sorted(self.files, key=lambda item: (-item[1], item[0]))[:3]
        listed = ", ".join(f"{os.path.basename(f)} ({size:,} bytes)" for f, size in biggest)
        suggest = max(self.limit * 2, -(-total // 2**20) * 2**20)  # the total rounded up to whole MiB
        return TraceFormatError(
            f"{what}, over the limit of {self.limit:,} bytes (it applies to a directory as a whole); biggest on "
            f"disk: {listed}. Raise the limit with max_bytes=... or the {MAX_FILE_BYTES_ENV} environment variable "
            f"(e.g. {MAX_FILE_BYTES_ENV}={suggest}), or load the files one by one (load_trace(file))",
            path=self.directory,
        )


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
