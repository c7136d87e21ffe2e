"""Trace files in, span records out: sniff the format from the content, parse, convert to `SpanRecord`s.

Sources are a path (file or directory), `bytes`, or `"-"` for stdin; any of them may be gzipped (detected by magic
bytes). The format is recognised from the JSON shape, never the file name. Every problem with the input is a
`TraceFormatError` naming the file, the span when known, and what was expected.
"""

from __future__ import annotations

import gc
import gzip
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Union

from .._errors import TraceFormatError, TraceSelectionError
from .._records import SpanRecord
from . import (
    _attribute_map,
    _jaeger,
    _js_spans,
    _langfuse,
    _native,
    _openai_agents,
    _otlp,
    _sdk_json,
    _strands,
)
from ._common import SPAN_ERRORS, ReadContext, short, type_name
from ._native import dump_records, dumps_records
from ._source import (
    DEFAULT_MAX_ATTR_CHARS,
    DEFAULT_MAX_FILE_BYTES,
    MAX_ATTR_CHARS_ENV,
    MAX_FILE_BYTES_ENV,
    DirectoryBudget,
    check_memory,
    decode_text,
    gunzip_if_needed,
    limit_from,
    parse_documents,
    read_path,
    read_stdin,
)

if TYPE_CHECKING:
    from .._model import Trace

__all__ = [
    "SUPPORTED_FORMATS",
    "TRACE_FILE_SUFFIXES",
    "dump_records",
    "dumps_records",
    "load_records",
    "load_trace",
    "load_traces",
    "read_records",
    "save_trace",
]

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]
Reader = Callable[[Any, ReadContext], list[SpanRecord]]

#: What `read_records` understands, as listed in its "unknown format" error.
SUPPORTED_FORMATS: tuple[str, ...] = (
    'OTLP/JSON ({"resourceSpans": [...]}, one document per line, a list of ResourceSpans; Tempo {"batches": [...]}; '
    "hex/base64/Buffer ids, Long int64s)",
    "OpenTelemetry Python SDK span JSON (ReadableSpan.to_json(), concatenated, one per line, or a list)",
    'any-agent AgentTrace JSON ({"spans": [...], "final_output": ...})',
    'Jaeger query API JSON ({"data": [{"traceID", "spans", "processes"}]})',
    'Langfuse public-API trace export ({"trace": {...}, "observations": [...]})',
    'strands-evals span dicts (a list, or {"session_id", "span_count", "spans"})',
    'OpenTelemetry JS ReadableSpan-like JSON (a list of {"name", "spanContext", "startTime": [s, ns], ...})',
    'OpenAI Agents traces/ingest payloads (a list of {"data": [{"object": "trace.span", ...}]})',
    'the agenttrace format ({"format": "agenttrace", "version": 1, "spans": [...]})',
    'a bare attribute map (one span\'s {"gen_ai.operation.name": ..., ...})',
)

#: File name endings read from a directory (other files, e.g. README.md, are skipped); each may end in `.gz`.
TRACE_FILE_SUFFIXES: tuple[str, ...] = (".json", ".jsonl", ".ndjson")


# ------------------------------------------------------------------------------------------------------ public API


def read_records(
    source: Source,
    *,
    name: str | None = None,
    max_bytes: int | None = None,
    max_attr_chars: int | None = None,
) -> list[SpanRecord]:
    """All span records of a trace file, `bytes`, `"-"` (stdin) or a directory of trace files, in file order.

    `max_bytes` (default `$AGENTTRACE_MAX_FILE_BYTES` or 512 MiB) refuses bigger inputs, decompressed size included
    (a directory's trace files count together); attribute strings longer than `max_attr_chars` (default
    `$AGENTTRACE_MAX_ATTR_CHARS` or 1,000,000) are cut.
    """
    out: list[SpanRecord] = []
    for _, records in _read_sources(source, name=name, max_bytes=max_bytes, max_attr_chars=max_attr_chars):
        out.extend(records)
    return out


def load_traces(
    source: Source,
    *,
    name: str | None = None,
    max_bytes: int | None = None,
    max_attr_chars: int | None = None,
) -> list[Trace]:
    """One `Trace` per trace id in the source (a directory: all its trace files), earliest start first."""
    from .._model import Trace

    groups: dict[str, list[SpanRecord]] = {}
    origins: dict[str, set[str]] = {}
    parts = _read_sources(source, name=name, max_bytes=max_bytes, max_attr_chars=max_attr_chars)
    for origin, records in parts:
        for r in records:
            groups.setdefault(r.trace_id, []).append(r)
            origins.setdefault(r.trace_id, set()).add(origin)
    whole = _display_name(source, name)
    ordered = sorted(groups.items(), key=lambda item: min(r.start_ns for r in item[1]))
    return [
        Trace.from_records(records, source=next(iter(origins[tid])) if len(origins[tid]) == 1 else whole)
        for tid, records in ordered
    ]


def load_trace(
    source: Source,
    *,
    trace_id: str | None = None,
    name: str | None = None,
    max_bytes: int | None = None,
    max_attr_chars: int | None = None,
) -> Trace:
    """All spans of the source as one `Trace` (a run may span several trace ids), or only those of `trace_id`.

    `trace_id` may be a unique prefix (`0x`/`trace_` prefixes are ignored); an unknown or ambiguous id raises
    `TraceSelectionError` listing the trace ids with their root spans, span counts and start times.
    """
    from .._model import Trace

    records = read_records(source, name=name, max_bytes=max_bytes, max_attr_chars=max_attr_chars)
    display = _display_name(source, name)
    if trace_id is not None:
        records = _select(records, trace_id, display)
    return Trace.from_records(records, source=display)


def save_trace(trace: Trace | Iterable[SpanRecord], path: str | os.PathLike[str]) -> None:
    """Write a trace (or records) in the agenttrace format, atomically; a `.gz` suffix gzips it."""
    from .._atomic import atomic_write_bytes

    records = trace.records if hasattr(trace, "records") else trace
    data = dumps_records(records).encode("utf-8", "backslashreplace")  # a lone surrogate as its JSON escape
    if os.fspath(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    atomic_write_bytes(path, data)


def load_records(
    doc: dict[str, Any], *, name: str = "<agenttrace document>", max_attr_chars: int | None = None
) -> list[SpanRecord]:
    """Records from an already-parsed agenttrace document (the inverse of `dump_records`)."""
    ctx = ReadContext(name, limit_from(max_attr_chars, MAX_ATTR_CHARS_ENV, DEFAULT_MAX_ATTR_CHARS))
    if not _native.sniff(doc):
        raise ctx.error(f"not an agenttrace document (expected {{'format': 'agenttrace', ...}}, got {short(doc)})")
    return _native.read(doc, ctx)


# -------------------------------------------------------------------------------------------------------- reading


def _display_name(source: Source, name: str | None) -> str:
    if name is not None:
        return name
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    text = os.fspath(source)
    return "<stdin>" if text == "-" else str(text)


def _read_sources(
    source: Source, *, name: str | None, max_bytes: int | None, max_attr_chars: int | None
) -> list[tuple[str, list[SpanRecord]]]:
    """(display name, records) per file read."""
    limit = limit_from(max_bytes, MAX_FILE_BYTES_ENV, DEFAULT_MAX_FILE_BYTES)
    max_chars = limit_from(max_attr_chars, MAX_ATTR_CHARS_ENV, DEFAULT_MAX_ATTR_CHARS)
    display = _display_name(source, name)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > limit:
            raise TraceFormatError(
                f"input is {len(data):,} bytes, over the limit of {limit:,} bytes; raise it with max_bytes=... "
                f"or the {MAX_FILE_BYTES_ENV} environment variable",
                path=display,
            )
        return [(display, _parse(data, display, limit, max_chars))]
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a path, bytes or '-' for stdin, got {type(source).__name__}")
    path = os.fspath(source)
    if path == "-":
        return [(display, _parse(read_stdin(max_bytes=limit), display, limit, max_chars))]
    if os.path.isdir(path):
        return _read_directory(path, display, limit, max_chars)
    return [(display, _parse(read_path(path, max_bytes=limit), display, limit, max_chars))]


def _read_directory(path: str, display: str, limit: int, max_chars: int) -> list[tuple[str, list[SpanRecord]]]:
    """(file, records) for each trace file of a directory, in name order; `limit` bounds all of them together.

    The sizes are checked before any file is read, so an over-limit directory loads nothing (`DirectoryBudget`).
    """
    files: list[tuple[str, int]] = []
    for entry in os.scandir(path):
        if entry.name.startswith(".") or not _is_trace_file(entry.name) or not entry.is_file():
            continue
        try:
            files.append((entry.path, entry.stat().st_size))
        except OSError as exc:
            raise TraceFormatError(f"cannot read the file ({exc.strerror or exc})", path=entry.path) from exc
    if not files:
        raise TraceFormatError(
            f"no trace files in this directory (looked for *{', *'.join(TRACE_FILE_SUFFIXES)}, optionally .gz)",
            path=display,
        )
    files.sort()
    budget = DirectoryBudget(display, files, max_bytes=limit)
    return [(f, _parse(budget.take(f, read_path(f, max_bytes=limit)), f, None, max_chars)) for f, _ in files]


def _is_trace_file(filename: str) -> bool:
    lower = filename.lower().removesuffix(".gz")
    return lower.endswith(TRACE_FILE_SUFFIXES)


def _parse(data: bytes, display: str, limit: int | None, max_chars: int) -> list[SpanRecord]:
    """Records from one source's bytes: gzip data is decompressed first, up to `limit` bytes (None: the bytes are
    already decompressed and counted, by a directory's budget). One frame owns the bytes, so each stage's input
    is freed once the next stage has it (a 500 MB file is not held twice)."""
    if limit is not None:
        data = gunzip_if_needed(data, display, max_bytes=limit)
    check_memory(display, len(data))
    text = decode_text(data, display)
    del data
    ctx = ReadContext(display, max_chars)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # building many small objects: the cyclic GC would rescan them all, repeatedly
    try:
        docs = parse_documents(text, display)
        del text
        label, reader, payload = _choose(docs, ctx)
        try:
            return reader(payload, ctx)
        except TraceFormatError:
            raise
        except SPAN_ERRORS as exc:  # a reader's own checks missed a shape: still a clean error
            raise ctx.error(
                f"could not read it as {label} ({type(exc).__name__}: {exc}); is the file complete?"
            ) from exc
    finally:
        if gc_was_enabled:
            gc.enable()


# -------------------------------------------------------------------------------------------------------- sniffing


def _is_span_like(d: Any) -> bool:
    return (
        _sdk_json.is_span(d)
        or _js_spans.is_span(d)
        or _strands.is_span(d)
        or (isinstance(d, dict) and d.get("object") in ("trace", "trace.span"))
    )


def _choose(docs: list[Any], ctx: ReadContext) -> tuple[str, Reader, Any]:
    """(format name, reader, what to give it) for the parsed document(s)."""
    if len(docs) == 1:
        return _choose_one(docs[0], ctx)
    if all(isinstance(d, list) for d in docs):
        return _choose_one([item for d in docs for item in d], ctx)
    if _is_span_like(docs[0]):
        return _choose_one(docs, ctx)
    chosen = [_choose_one(d, ctx) for d in docs]  # several whole documents, e.g. OTLP JSON Lines

    def read_all(payload: Any, c: ReadContext) -> list[SpanRecord]:
        out: list[SpanRecord] = []
        for _, reader, part in chosen:
            out.extend(reader(part, c))
        return out

    names = sorted({label for label, _, _ in chosen})
    return " + ".join(names), read_all, None


def _choose_one(doc: Any, ctx: ReadContext) -> tuple[str, Reader, Any]:
    if isinstance(doc, dict):
        if _native.sniff(doc):
            return _native.NAME, _native.read, doc
        if _otlp.sniff(doc):
            return _otlp.NAME, _otlp.read, doc
        if _jaeger.sniff(doc):
            return _jaeger.NAME, _jaeger.read, doc
        if _openai_agents.sniff(doc):
            return _openai_agents.NAME, _openai_agents.read, doc
        if _langfuse.sniff(doc):
            return _langfuse.NAME, _langfuse.read, doc
        if "spans" in doc:
            spans = doc["spans"]
            first = spans[0] if isinstance(spans, list) and spans else None
            if _strands.is_span(first) or "session_id" in doc or "span_count" in doc:
                return _strands.NAME, _strands.read, doc
            if _js_spans.is_span(first):
                return _js_spans.NAME, _js_spans.read, spans
            label = _sdk_json.ANY_AGENT_NAME if "final_output" in doc else _sdk_json.NAME
            return label, _sdk_json.read, doc
        if _sdk_json.is_span(doc):
            return _sdk_json.NAME, _sdk_json.read, doc
        if _js_spans.is_span(doc):
            return _js_spans.NAME, _js_spans.read, doc
        if _strands.is_span(doc):
            return _strands.NAME, _strands.read, [doc]
        if _attribute_map.sniff(doc):
            return _attribute_map.NAME, _attribute_map.read, doc
    elif isinstance(doc, list):
        if not doc:
            return "an empty list", lambda payload, c: [], doc
        if _otlp.sniff(doc):
            return _otlp.NAME, _otlp.read, doc
        if _openai_agents.sniff(doc):
            return _openai_agents.NAME, _openai_agents.read, doc
        first = doc[0]
        if _js_spans.is_span(first):
            return _js_spans.NAME, _js_spans.read, doc
        if _sdk_json.is_span(first):
            return _sdk_json.NAME, _sdk_json.read, doc
        if _strands.is_span(first):
            return _strands.NAME, _strands.read, doc
    supported = "\n  - ".join(SUPPORTED_FORMATS)
    raise ctx.error(
        f"not a recognised trace format: the content is {_describe(doc)}. Supported formats:\n  - {supported}"
    )


def _describe(doc: Any) -> str:
    if isinstance(doc, dict):
        keys = sorted(doc)
        shown = ", ".join(repr(k) for k in keys[:10]) + (", ..." if len(keys) > 10 else "")
        return f"a JSON object with keys [{shown}]"
    if isinstance(doc, list):
        first = doc[0] if doc else None
        what = _describe(first) if isinstance(first, dict) else type_name(first)
        return f"a JSON list of {len(doc)} items, the first being {what}"
    return f"{type_name(doc)} ({short(doc)})"


# ------------------------------------------------------------------------------------------------------- selection


def _select(records: Sequence[SpanRecord], trace_id: str, display: str) -> list[SpanRecord]:
    """The records of one trace id (a unique prefix is enough)."""
    wanted = trace_id.strip().lower()
    for prefix in ("0x", "trace_"):
        wanted = wanted.removeprefix(prefix)
    ids: dict[str, None] = dict.fromkeys(r.trace_id for r in records)
    matches = [tid for tid in ids if tid == wanted] or [tid for tid in ids if tid.startswith(wanted)]
    if len(matches) == 1:
        return [r for r in records if r.trace_id == matches[0]]
    listing = _trace_listing(records)
    if not matches:
        problem = f"no trace with id {trace_id!r}"
    else:
        problem = f"trace id {trace_id!r} is ambiguous: it starts {len(matches)} trace ids; give more characters"
    raise TraceSelectionError(
        f"{display}: {problem}. The source holds {len(ids)} trace(s); pass one of these ids "
        f"(or a unique prefix):\n{listing}"
    )


def _trace_listing(records: Sequence[SpanRecord], limit: int = 50) -> str:
    groups: dict[str, list[SpanRecord]] = {}
    for r in records:
        groups.setdefault(r.trace_id, []).append(r)
    lines = []
    ordered = sorted(groups.items(), key=lambda item: min(r.start_ns for r in item[1]))
    for tid, recs in ordered[:limit]:
        span_ids = {r.span_id for r in recs}
        roots = [r.name for r in recs if r.parent_id is None or r.parent_id not in span_ids]
        root_text = ", ".join(repr(n) for n in roots[:3]) + (f" (+{len(roots) - 3} more)" if len(roots) > 3 else "")
        start = _iso(min(r.start_ns for r in recs))
        lines.append(f"  {tid}  {len(recs)} span{'s' if len(recs) != 1 else ''}  started {start}  root: {root_text}")
    if len(ordered) > limit:
        lines.append(f"  ... and {len(ordered) - limit} more")
    return "\n".join(lines)


def _iso(ns: int) -> str:
    try:
        dt = datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC).replace(microsecond=(ns // 1000) % 1_000_000)
    except (OverflowError, OSError, ValueError):
        return f"{ns} ns"
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")
