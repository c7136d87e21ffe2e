"""Run the pytest-agenttrace benchmarks and print one table: both sides' times, the ratio, the target, PASS/MISS.

    python bench/run.py                 # the full run (RESULTS.md's numbers); ~10-15 minutes on 2 cores
    python bench/run.py --quick         # a ~1-minute smoke run: smaller sizes, fewer repetitions
    python bench/run.py --only capture  # one benchmark (comma-separate several)
    python bench/run.py --json out.json # also write every row and the machine description as JSON

All ratios come from this one run on this one machine; the sides of each ratio are interleaved, best of N.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_capture
import bench_loading
import bench_peer
import bench_queries
import bench_replay
import bench_suite
from harness import Config, Row, machine

BENCHMARKS: dict[str, ModuleType] = {
    m.NAME: m for m in (bench_capture, bench_suite, bench_loading, bench_queries, bench_replay, bench_peer)
}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _table(rows: list[Row]) -> str:
    head = ("benchmark", "measurement", "agenttrace", "baseline", "ratio", "target", "result")
    cells = [head] + [(r.bench, r.what, r.ours, r.base, r.ratio, r.target, r.result) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    lines = []
    for k, c in enumerate(cells):
        lines.append(" | ".join(v.ljust(widths[i]) for i, v in enumerate(c)).rstrip())
        if k == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def _markdown(rows: list[Row], info: dict[str, object], command: str, mode: str, elapsed: float) -> str:
    head = ("benchmark", "measurement", "agenttrace", "baseline", "ratio", "target", "result")
    esc = [
        [c.replace("|", "\\|") for c in (r.bench, r.what, r.ours, r.base, r.ratio, r.target, r.result)] for r in rows
    ]
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['python']} ({info['platform']}).",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in info["packages"].items()) + ".",  # type: ignore[attr-defined]
        f"Command: `{command}` ({mode} run, {elapsed:.0f} s).",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
        *("| " + " | ".join(c) + " |" for c in esc),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repetitions (~1 minute)")
    parser.add_argument(
        "--only", metavar="NAME", help=f"run only these benchmarks (comma-separated): {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--markdown", metavar="PATH", help="also write the table as a markdown fragment to PATH")
    parser.add_argument(
        "--repeat", type=int, metavar="N", help="best of N for every benchmark (default: each one's own)"
    )
    parser.add_argument(
        "--peer-path",
        metavar="DIR",
        help="a directory prepended to sys.path for the peer benchmark's pydantic-evals (see RESULTS.md)",
    )
    args = parser.parse_args(argv)
    names = list(BENCHMARKS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in BENCHMARKS]
        if unknown:
            parser.error(f"unknown benchmark(s) {unknown!r}; choose from {', '.join(BENCHMARKS)}")
    if args.repeat is not None and args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat!r}")
    if args.peer_path:
        sys.path.insert(0, args.peer_path)
    cfg = Config(quick=args.quick, repeat=args.repeat)

    info = machine()
    _log(f"machine: {info['cpu']}, {info['cores']} cores, {info['python']}")
    rows: list[Row] = []
    started = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        try:
            rows.extend(BENCHMARKS[name].run(cfg, _log))
        except Exception as exc:  # one broken benchmark must not hide the others' numbers
            import traceback

            traceback.print_exc()
            rows.append(Row(name, f"error: {type(exc).__name__}: {exc}", result="ERROR"))
        _log(f"{name}: done in {time.perf_counter() - t0:.1f} s")
    elapsed = time.perf_counter() - started

    print()
    print(f"pytest-agenttrace benchmarks ({'quick' if cfg.quick else 'full'} run, {elapsed:.0f} s)")
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['python']}; "
        + ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    )
    command = " ".join(["python", *sys.argv])
    print(f"command: {command}")
    print()
    print(_table(rows))
    print()
    print(
        f"{sum(r.result == 'PASS' for r in rows)} PASS, {sum(r.result == 'MISS' for r in rows)} MISS, "
        f"{sum(r.result == 'SKIP' for r in rows)} SKIP, {sum(r.result == 'ERROR' for r in rows)} ERROR"
    )

    if args.markdown:
        mode = "quick" if cfg.quick else "full"
        Path(args.markdown).write_text(_markdown(rows, info, command, mode, elapsed))
        _log(f"wrote {args.markdown}")
    if args.json:
        payload = {
            "quick": cfg.quick,
            "command": [sys.executable, *sys.argv],
            "elapsed_s": elapsed,
            "machine": info,
            "rows": [r.__dict__ for r in rows],
        }
        Path(args.json).write_text(json.dumps(payload, indent=2, default=str) + "\n")
        _log(f"wrote {args.json}")
    return 1 if any(r.result == "ERROR" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
