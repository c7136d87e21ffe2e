"""Atomic writes: the new content or the old one, never a mix, and no temp files left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from pytest_agenttrace._atomic import atomic_write_bytes, atomic_write_text


def test_writes_new_file(tmp_path: Path) -> None:
    atomic_write_bytes(tmp_path / "a.bin", b"\x00\x01")
    atomic_write_text(str(tmp_path / "b.txt"), "héllo\r\nworld")
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.txt").read_bytes() == "héllo\r\nworld".encode()  # no newline translation
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.txt"]


def test_replaces_existing_file_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("old")
    path.chmod(0o640)
    atomic_write_text(path, "new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_new_file_gets_umask_mode_not_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "f.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == 0o644


def test_writes_through_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    atomic_write_text(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


def _boom(*args: Any, **kwargs: Any) -> None:
    raise OSError("simulated failure")


@pytest.mark.parametrize("target", ["os.replace", "os.fsync"])
def test_failure_leaves_old_content_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    path = tmp_path / "cassette.yaml"
    path.write_text("old content")
    monkeypatch.setattr(target, _boom)
    with pytest.raises(OSError, match="simulated failure"):
        atomic_write_text(path, "new content")
    assert path.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["cassette.yaml"]


def test_failure_in_the_middle_of_the_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_fdopen = os.fdopen
    partial: list[str] = []

    class HalfWriter:
        """Writes half the data to the temp file, then fails as a full disk would."""

        def __init__(self, f: Any) -> None:
            self.f = f

        def __enter__(self) -> HalfWriter:
            return self

        def __exit__(self, *exc: object) -> None:
            self.f.close()

        def write(self, data: bytes) -> None:
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            partial.extend(p.name for p in tmp_path.iterdir() if p.name != "report.json")
            raise OSError("No space left on device")

    monkeypatch.setattr("os.fdopen", lambda fd, *a, **k: HalfWriter(real_fdopen(fd, *a, **k)))
    path = tmp_path / "report.json"
    path.write_text("old")
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(path, b"new content")
    assert partial  # a temp file existed, in the same folder, while writing
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_keyboard_interrupt_also_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f"
    path.write_text("old")

    def interrupt(*args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("os.replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(path, "new")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["f"]


def test_missing_folder_raises_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write_text(tmp_path / "no" / "such" / "f.txt", "x")
    assert list(tmp_path.iterdir()) == []
