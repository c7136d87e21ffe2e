"""Crash safety: a process SIGKILLed while writing a cassette, a baseline or a trace file leaves the old file intact
(or, killed after the rename, the new one complete), never a partial one; its leftover temp file has the
documented name `.<name>.<random>.tmp`, next to the target."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from crash_writer import KINDS, read_version, write_version

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

WRITER = str(Path(__file__).with_name("crash_writer.py"))


def _kill_writer_at(kind: str, path: Path, version: str, stop_at: str) -> None:
    """Run the writer in a child process and SIGKILL it once it reports `stop_at` (it blocks there)."""
    proc = subprocess.Popen(
        [sys.executable, WRITER, kind, str(path), version, stop_at],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if line.strip() == stop_at:
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the writer was not killed at {stop_at!r}: {err}"


def _others(folder: Path, name: str) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name != name)


def _assert_documented_temp(leftovers: list[Path], name: str) -> None:
    assert len(leftovers) == 1, leftovers
    assert leftovers[0].name.startswith(f".{name}.") and leftovers[0].name.endswith(".tmp")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_kill_mid_write_leaves_the_old_file(tmp_path: Path, kind: str) -> None:
    name = KINDS[kind]
    path = tmp_path / name
    write_version(kind, str(path), "old")
    _kill_writer_at(kind, path, "new", "chunk 2")
    assert read_version(kind, str(path)) == "old"
    leftovers = _others(tmp_path, name)
    _assert_documented_temp(leftovers, name)
    assert leftovers[0].stat().st_size >= 3 * 65536  # killed with a partly written temp file
    write_version(kind, str(path), "new")  # the next run writes normally
    assert read_version(kind, str(path)) == "new"


@pytest.mark.parametrize(("stop_at", "survivor"), [("replacing", "old"), ("replaced", "new")])
def test_kill_around_the_rename_leaves_old_or_new(tmp_path: Path, stop_at: str, survivor: str) -> None:
    path = tmp_path / "c.yaml"
    write_version("cassette", str(path), "old")
    _kill_writer_at("cassette", path, "new", stop_at)
    assert read_version("cassette", str(path)) == survivor
    if survivor == "old":
        _assert_documented_temp(_others(tmp_path, "c.yaml"), "c.yaml")
    else:
        assert _others(tmp_path, "c.yaml") == []


def test_kill_during_the_first_write_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    _kill_writer_at("cassette", path, "new", "chunk 1")
    assert not path.exists()  # a loader then sees "no cassette yet", never a partial one


def test_temp_files_of_killed_writers_are_cleaned_by_a_later_write(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    write_version("cassette", str(path), "old")
    for _ in range(2):
        _kill_writer_at("cassette", path, "new", "chunk 1")
    stale = _others(tmp_path, "c.yaml")
    assert len(stale) == 2
    hour_ago = time.time() - 3600
    for p in stale:  # untouched for an hour: no live writer owns them
        os.utime(p, (hour_ago, hour_ago))
    write_version("cassette", str(path), "new")
    assert _others(tmp_path, "c.yaml") == []
