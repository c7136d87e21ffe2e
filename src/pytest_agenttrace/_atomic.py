"""Atomic file writes: the one helper every writer (cassettes, baselines, reports, converted tests) goes through.

A reader never sees a half-written file: data goes to a temp file in the same folder, is flushed and fsynced, then
`os.replace`d over the target (atomic on POSIX and Windows); on any error the temp file is removed and the old file
is left as it was. A writer killed mid-write (SIGKILL, power loss) leaves its `.<name>.<random>.tmp`; the next write
of the same target deletes such files once nobody has touched them for `STALE_TEMP_SECONDS`.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from contextlib import suppress

__all__ = ["atomic_write_bytes", "atomic_write_text"]

#: A temp file untouched this long belongs to a writer that died: a live write touches it continuously.
STALE_TEMP_SECONDS = 600

_umask_lock = threading.Lock()
_umask: int | None = None


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace the file at `path` with `data` atomically (parent folder must exist; a symlink's target is written)."""
    target = os.path.realpath(os.fspath(path))
    directory = os.path.dirname(target)
    mode = _mode_for(target)
    _remove_stale_temps(directory, os.path.basename(target))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    """Replace the file at `path` with `text` atomically; the text is written as is (no newline translation)."""
    atomic_write_bytes(path, text.encode(encoding))


def _remove_stale_temps(directory: str, name: str) -> None:
    """Delete the temp files killed writers left for this target (`.<name>.<random>.tmp`, long untouched)."""
    prefix, cutoff = f".{name}.", time.time() - STALE_TEMP_SECONDS
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(prefix) and entry.name.endswith(".tmp"):
            with suppress(OSError):
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)


def _mode_for(target: str) -> int:
    """Keep an existing file's permission bits; a new file gets 0o666 minus the umask (mkstemp alone gives 0o600)."""
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_current_umask()


def _current_umask() -> int:
    global _umask
    if _umask is None:
        with _umask_lock:
            if _umask is None:
                old = os.umask(0o22)
                os.umask(old)
                _umask = old
    return _umask


def _fsync_dir(directory: str) -> None:
    """Make the rename durable where the platform allows opening a directory (not on Windows)."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
