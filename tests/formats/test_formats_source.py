"""Where bytes come from: paths, bytes, stdin, gzip, directories; size and attribute limits."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_agenttrace import ConfigError, TraceFormatError
from pytest_agenttrace.formats import load_trace, load_traces, read_records

TRACE = "5b8efff798038103d269b633813fc60c"


def otlp(*span_ids: str, trace_id: str = TRACE, start: int = 1000, attrs: list[Any] | None = None) -> bytes:
    spans = [
        {
            "traceId": trace_id,
            "spanId": sid,
            "name": f"span {sid}",
            "startTimeUnixNano": str(start + i),
            "endTimeUnixNano": str(start + i + 10),
            "attributes": attrs or [],
        }
        for i, sid in enumerate(span_ids)
    ]
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).encode()


ONE = otlp("00000000000000a1")


def test_path_str_pathlike_and_bytes(tmp_path: Path) -> None:
    f = tmp_path / "t.json"
    f.write_bytes(ONE)
    assert read_records(f) == read_records(str(f)) == read_records(ONE) == read_records(bytearray(ONE))


def test_gzip_detected_by_magic_bytes_not_extension(tmp_path: Path) -> None:
    f = tmp_path / "plain-name.json"  # no .gz suffix
    f.write_bytes(gzip.compress(ONE))
    assert [r.span_id for r in read_records(f)] == ["00000000000000a1"]
    assert read_records(gzip.compress(ONE)) == read_records(ONE)


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(gzip.compress(ONE))))
    (r,) = read_records("-")
    assert r.span_id == "00000000000000a1"


def test_stdin_errors_name_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"resourceSpans": [')))
    with pytest.raises(TraceFormatError, match="<stdin>"):
        read_records("-")


def test_name_kwarg_is_used_in_messages() -> None:
    with pytest.raises(TraceFormatError, match=r"^upload\.json: "):
        read_records(b"{", name="upload.json")


def test_directory_reads_trace_files_sorted_and_skips_others(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_bytes(otlp("00000000000000b1", trace_id="b" * 32, start=5))
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(otlp("00000000000000a1", trace_id="a" * 32, start=9)))
    (tmp_path / "README.md").write_text("# not a trace")
    (tmp_path / ".hidden.json").write_text("garbage")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.json").write_bytes(otlp("00000000000000c1"))
    assert [r.span_id for r in read_records(tmp_path)] == ["00000000000000a1", "00000000000000b1"]
    traces = load_traces(tmp_path)
    assert [t.trace_ids for t in traces] == [("b" * 32,), ("a" * 32,)]  # earliest start first
    assert traces[0].source == str(tmp_path / "b.json")


def test_directory_with_a_bad_trace_file_names_it(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_bytes(ONE)
    (tmp_path / "bad.json").write_text('{"nope": 1}')
    with pytest.raises(TraceFormatError) as err:
        read_records(tmp_path)
    assert str(tmp_path / "bad.json") in str(err.value)


def test_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("x")
    with pytest.raises(TraceFormatError, match="no trace files"):
        read_records(tmp_path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TraceFormatError, match=r"nope\.json: no such file"):
        read_records(tmp_path / "nope.json")


# ------------------------------------------------------------------------------------------------------- limits


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths `open()` is called with from now on (to prove a file was refused before it was read)."""
    paths: list[str] = []
    real_open = open

    def spy(path: Any, *args: Any, **kwargs: Any) -> Any:
        paths.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    return paths


def test_file_over_the_limit_is_refused_before_reading(tmp_path: Path, opened: list[str]) -> None:
    f = tmp_path / "big.json"
    f.write_bytes(ONE)
    with pytest.raises(TraceFormatError) as err:
        read_records(f, max_bytes=100)
    message = str(err.value)
    assert str(f) in message and f"{len(ONE):,} bytes" in message and "100 bytes" in message
    assert "max_bytes=" in message and "AGENTTRACE_MAX_FILE_BYTES" in message
    assert str(f) not in opened


def test_limit_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTTRACE_MAX_FILE_BYTES", "50")
    with pytest.raises(TraceFormatError, match="50 bytes"):
        read_records(ONE)
    assert read_records(ONE, max_bytes=10_000)  # the kwarg wins
    monkeypatch.setenv("AGENTTRACE_MAX_FILE_BYTES", "lots")
    with pytest.raises(ConfigError, match="AGENTTRACE_MAX_FILE_BYTES='lots'"):
        read_records(ONE)


def test_gzip_bomb_capped_while_decompressing() -> None:
    bomb = gzip.compress(b" " * 5_000_000 + ONE)
    assert len(bomb) < 100_000
    with pytest.raises(TraceFormatError, match="decompresses to more than 1,000,000 bytes"):
        read_records(bomb, max_bytes=1_000_000)


def test_stdin_over_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(ONE)))
    with pytest.raises(TraceFormatError, match="<stdin>: input is more than 10 bytes"):
        read_records("-", max_bytes=10)


def _three_files(tmp_path: Path) -> tuple[list[Path], int]:
    files = [tmp_path / "a.json", tmp_path / "b.jsonl", tmp_path / "c.json"]
    for i, f in enumerate(files):
        f.write_bytes(otlp(f"00000000000000{i:02x}") + b" " * (100 * i))  # different sizes: c is the biggest
    (tmp_path / "notes.md").write_bytes(b"x" * 10_000)  # not a trace file: not counted
    return files, sum(f.stat().st_size for f in files)


def test_directory_limit_applies_to_the_files_together(tmp_path: Path, opened: list[str]) -> None:
    files, total = _three_files(tmp_path)
    limit = max(f.stat().st_size for f in files) + 1  # every file is under it on its own
    for load in (read_records, load_traces, load_trace):
        with pytest.raises(TraceFormatError) as err:
            load(tmp_path, max_bytes=limit)
        message = str(err.value)
        assert message.startswith(f"{tmp_path}: its 3 trace files hold {total:,} bytes together")
        assert f"over the limit of {limit:,} bytes" in message and "a directory as a whole" in message
        sizes = [f"{f.name} ({f.stat().st_size:,} bytes)" for f in reversed(files)]
        assert f"biggest on disk: {', '.join(sizes)}." in message  # biggest first
        assert "max_bytes=" in message and "AGENTTRACE_MAX_FILE_BYTES=" in message and "one by one" in message
    assert opened == []  # refused from the sizes: no file was read
    assert len(read_records(tmp_path, max_bytes=total)) == 3  # exactly at the limit: read


def test_directory_limit_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, total = _three_files(tmp_path)
    monkeypatch.setenv("AGENTTRACE_MAX_FILE_BYTES", str(total - 1))
    with pytest.raises(TraceFormatError, match=f"hold {total:,} bytes together, over the limit of {total - 1:,}"):
        read_records(tmp_path)
    assert len(read_records(tmp_path, max_bytes=total)) == 3  # the argument wins


def test_directory_limit_counts_decompressed_bytes(tmp_path: Path) -> None:
    padded = b" " * 600 + ONE  # about 700 bytes once decompressed, ~100 compressed
    (tmp_path / "a.json.gz").write_bytes(gzip.compress(padded))
    (tmp_path / "b.json.gz").write_bytes(gzip.compress(padded))
    limit = len(padded) + 100  # one file fits, both do not; on disk they are far under it
    assert sum(f.stat().st_size for f in tmp_path.iterdir()) < limit
    with pytest.raises(TraceFormatError) as err:
        read_records(tmp_path, max_bytes=limit)
    message = str(err.value)
    assert message.startswith(f"{tmp_path}: its trace files add up to more than {limit:,} bytes once decompressed")
    assert f"b.json.gz decompresses to more than the 100 bytes left after {len(padded):,} bytes" in message
    assert "max_bytes=" in message and "AGENTTRACE_MAX_FILE_BYTES" in message
    assert len(read_records(tmp_path, max_bytes=2 * len(padded))) == 2


def test_directory_with_one_file_over_the_limit(tmp_path: Path) -> None:
    (tmp_path / "big.json").write_bytes(ONE)
    with pytest.raises(TraceFormatError) as err:
        read_records(tmp_path, max_bytes=100)
    message = str(err.value)
    assert message.startswith(f"{tmp_path}: its only trace file holds {len(ONE):,} bytes, over the limit of 100 bytes")
    assert f"big.json ({len(ONE):,} bytes)" in message


def test_directory_with_one_gzip_bomb(tmp_path: Path) -> None:
    (tmp_path / "bomb.json.gz").write_bytes(gzip.compress(b" " * 5_000_000 + ONE))
    with pytest.raises(TraceFormatError, match=r"bomb\.json\.gz decompresses to more than the 1,000,000 bytes left"):
        read_records(tmp_path, max_bytes=1_000_000)


def test_long_attribute_strings_are_truncated(monkeypatch: pytest.MonkeyPatch) -> None:
    attrs = [
        {"key": "long", "value": {"stringValue": "x" * 30}},
        {"key": "short", "value": {"stringValue": "y" * 10}},
        {"key": "arr", "value": {"arrayValue": {"values": [{"stringValue": "z" * 25}]}}},
    ]
    (r,) = read_records(otlp("00000000000000a1", attrs=attrs), max_attr_chars=10)
    assert r.attributes["long"] == "x" * 10 + "...[truncated 20 chars]"
    assert r.attributes["short"] == "y" * 10
    assert r.attributes["arr"] == ("z" * 10 + "...[truncated 15 chars]",)
    monkeypatch.setenv("AGENTTRACE_MAX_ATTR_CHARS", "20")
    (r,) = read_records(otlp("00000000000000a1", attrs=attrs))
    assert r.attributes["long"] == "x" * 20 + "...[truncated 10 chars]"


@pytest.mark.parametrize(
    "doc",
    [
        [
            {
                "name": "s",
                "context": {"trace_id": "0x" + "1" * 32, "span_id": "0x" + "2" * 16},
                "attributes": {"a": "x" * 30},
            }
        ],
        [
            {
                "trace_id": "1" * 32,
                "span_id": "2" * 16,
                "name": "s",
                "start_time": 1,
                "end_time": 2,
                "attributes": {"a": "x" * 30},
            }
        ],
        {"gen_ai.operation.name": "chat", "a": "x" * 30},
    ],
    ids=["sdk-json", "strands", "attribute-map"],
)
def test_truncation_applies_to_every_reader(doc: Any) -> None:
    (r,) = read_records(json.dumps(doc).encode(), max_attr_chars=10)
    assert r.attributes["a"] == "x" * 10 + "...[truncated 20 chars]"


def test_gc_state_is_restored() -> None:
    import gc

    assert gc.isenabled()
    read_records(ONE)
    assert gc.isenabled()
    with pytest.raises(TraceFormatError):
        read_records(b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": 1}]}]}]}')
    assert gc.isenabled()
    gc.disable()
    try:
        read_records(ONE)
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()
