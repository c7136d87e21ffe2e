"""Several processes (as xdist workers are) recording into one cassette never lose each other's additions."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from pytest_agenttrace.cassettes import Cassette

WORKER = textwrap.dedent(
    """
    import sys
    from pytest_agenttrace.cassettes import tool, use_cassette

    @tool
    def echo(worker: str, i: int) -> str:
        return f"{worker}-{i}"

    path, worker, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for i in range(rounds):
        with use_cassette(path, mode="new_episodes", http=False, environ={}):
            echo(worker, i)
    """
)


def test_parallel_writers_merge_under_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "cassettes" / "shared.yaml"
    workers, rounds = 4, 6
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(path), f"w{w}", str(rounds)], stderr=subprocess.PIPE)
        for w in range(workers)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    saved = Cassette.load(path)
    got = sorted(str(t.result) for t in saved.tools)
    assert got == sorted(f"w{w}-{i}" for w in range(workers) for i in range(rounds))
    assert sorted(p.name for p in path.parent.iterdir()) == ["shared.yaml"]  # no lock or temp files left
