"""Shared timing and reporting for the benchmarks: interleaved best-of-N, result rows, the machine description."""

from __future__ import annotations

import gc
import importlib
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Config:
    """What the CLI asked for: quick (smoke) sizes or full ones, and the number of repetitions."""

    quick: bool = False
    repeat: int | None = None  # None: each benchmark's default (full) or its quick default

    def n(self, full: int, quick: int) -> int:
        """Repetitions for a benchmark: `--repeat` if given, else its own default."""
        if self.repeat is not None:
            return self.repeat
        return quick if self.quick else full


@dataclass
class Row:
    """One line of the results table. `result` is PASS, MISS, INFO (no target), or SKIP."""

    bench: str
    what: str
    ours: str = ""
    base: str = ""
    ratio: str = ""
    target: str = ""
    result: str = "INFO"
    data: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------- formatting


def fmt_time(seconds: float, *, per: int = 0, unit: str = "span") -> str:
    """`2.41 s (24.1 us/span)`-style text."""
    if seconds >= 1:
        text = f"{seconds:.2f} s"
    elif seconds >= 1e-3:
        text = f"{seconds * 1e3:.1f} ms"
    elif seconds >= 1e-5:
        text = f"{seconds * 1e6:.0f} us"
    elif seconds >= 1e-6:
        text = f"{seconds * 1e6:.1f} us"
    else:
        text = f"{seconds * 1e9:.0f} ns"
    if per:
        each = seconds / per
        text += f" ({each * 1e6:.1f} us/{unit})" if each < 1e-3 else f" ({each * 1e3:.2f} ms/{unit})"
    return text


def ratio_row(
    bench: str,
    what: str,
    ours: float,
    base: float,
    *,
    per: int = 0,
    unit: str = "span",
    target: float | None = None,
    aim: bool = False,
    base_label: str = "",
    data: dict[str, Any] | None = None,
) -> Row:
    """A row comparing two times; PASS when ours/base <= target (`aim`: the target is the project's aim)."""
    r = ours / base if base else float("inf")
    result = "INFO" if target is None else ("PASS" if r <= target else "MISS")
    tgt = "" if target is None else f"<= {target:.2f}x" + (" (aim)" if aim else "")
    base_text = fmt_time(base, per=per, unit=unit) + (f" [{base_label}]" if base_label else "")
    payload = {"ours_s": ours, "base_s": base, "ratio": r, "target": target, "aim": aim, "per": per, "unit": unit}
    payload.update(data or {})
    ratio = f"{r:.4f}x" if r < 0.1 else f"{r:.3f}x" if r < 10 else f"{r:.1f}x"
    return Row(bench, what, fmt_time(ours, per=per, unit=unit), base_text, ratio, tgt, result, payload)


def skip_row(bench: str, why: str) -> Row:
    return Row(bench, why, result="SKIP")


# ----------------------------------------------------------------------------------------------------- timing


def timed(fn: Callable[[], Any]) -> float:
    """Wall time of one call, after a full collection (so one side's garbage is never the other side's cost)."""
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def interleaved(sides: dict[str, Callable[[], float]], repeat: int, *, log: Callable[[str], None]) -> dict[str, float]:
    """Best of `repeat` for each side; sides alternate within a round and each round starts one side later.

    Each side is a callable that does its own setup and teardown and returns the time of the part it measures.
    """
    names = list(sides)
    best: dict[str, float] = {}
    for rnd in range(repeat):
        order = names[rnd % len(names) :] + names[: rnd % len(names)]
        for name in order:
            gc.collect()
            t = sides[name]()
            best[name] = min(best.get(name, t), t)
            log(f"  round {rnd + 1}/{repeat} {name}: {fmt_time(t)}")
    gc.collect()
    return best


def paired(
    groups: list[tuple[str, ...]], sides: dict[str, Callable[[], float]], repeat: int, *, log: Callable[[str], None]
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Best of `repeat` for each side, the sides of a group run back to back (the first one alternating between
    rounds) and the groups rotating between rounds. For whole-process timings on a shared machine, whose speed
    drifts over seconds: the two sides of a ratio then run seconds apart, not a round of other sides apart.

    Returns the best time of each side and every time of each side, in round order (for per-round ratios).
    """
    best: dict[str, float] = {}
    times: dict[str, list[float]] = {name: [] for group in groups for name in group}
    for rnd in range(repeat):
        for group in groups[rnd % len(groups) :] + groups[: rnd % len(groups)]:
            shift = rnd % len(group)
            for name in group[shift:] + group[:shift]:
                gc.collect()
                t = sides[name]()
                best[name] = min(best.get(name, t), t)
                times[name].append(t)
                log(f"  round {rnd + 1}/{repeat} {name}: {fmt_time(t)}")
    gc.collect()
    return best, times


def optional_module(name: str) -> Any | None:
    """The module, or None when it does not exist yet (another part of the project still being written)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return None
        raise


# ---------------------------------------------------------------------------------------------------- machine


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """CPU model and count, Python, and the versions of the packages the numbers depend on."""
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
                break
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        "cpu": model or platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "packages": {
            d: _version(d)
            for d in (
                "pytest-agenttrace",
                "opentelemetry-sdk",
                "opentelemetry-api",
                "pytest",
                "vcrpy",
                "pydantic-evals",
                "pytest-xdist",
                "pytest-asyncio",
            )
        },
        "executable": sys.executable,
    }
