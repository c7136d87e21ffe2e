"""`agenttrace scan PATH...`: report PII-looking values in cassettes, baselines, converted tests and trace files.

A finding names the kind, the file and where (line, JSON path), and shows the value masked (`j***@e***.com`),
never in full. Our own placeholders (example.com, fictional phone ranges, test cards, TEST-NET IPs, `REDACTED`
keys, fake names) are not findings. Exit codes: 0 clean, 1 findings, 2 usage error.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import AgentTraceError, ConfigError
from ._detect import Detector, Hit
from ._settings import PiiSettings, load_pii_settings

__all__ = ["SCAN_SUFFIXES", "Finding", "add_scan_parser", "mask", "run_scan", "scan_paths", "scan_text"]

#: Files read when a directory is scanned (each may end in `.gz`); files named on the command line are always read.
SCAN_SUFFIXES: tuple[str, ...] = (".json", ".jsonl", ".ndjson", ".yaml", ".yml", ".py")
_SKIP_DIRS = frozenset(
    {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
)
_MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Finding:
    """One PII-looking value: kind, file, location (line and JSON path when known) and a masked preview."""

    kind: str
    path: str
    location: str
    preview: str
    occurrences: int = 1

    def __str__(self) -> str:
        more = f" (and {self.occurrences - 1} more in this file)" if self.occurrences > 1 else ""
        return f"{self.path}:{self.location}: {self.kind}: {self.preview}{more}"

    def to_dict(self) -> dict[str, str | int]:
        return {
            "kind": self.kind,
            "path": self.path,
            "location": self.location,
            "preview": self.preview,
            "occurrences": self.occurrences,
        }


def mask(kind: str, value: str) -> str:
    """The value with all but a few characters starred: `j***@e***.com`, `+1 ***-***-**71`, `J*** D***`."""
    if kind == "email" and "@" in value:
        local, domain = value.rsplit("@", 1)
        host, _, tld = domain.rpartition(".")
        return f"{local[:1]}***@{host[:1]}***.{tld}" if host else f"{local[:1]}***@***"
    if kind in ("phone", "card", "iban"):
        keep = 2 if kind == "phone" else 4
        total = sum(c.isalnum() for c in value)
        out, seen = [], 0
        for c in value:
            if c.isalnum():
                seen += 1
                out.append(c if seen > total - keep or (kind == "iban" and seen <= 2) else "*")
            else:
                out.append(c)
        return "".join(out)
    if kind == "name":
        return " ".join(f"{t[:1]}***" for t in value.split())
    if kind == "secret":
        return f"{value[:4]}***({len(value)} chars)" if len(value) > 12 else "***"
    if len(value) <= 4:
        return "***"
    return f"{value[:1]}***{value[-1:]}"


def scan_paths(paths: Iterable[str | os.PathLike[str]], *, settings: PiiSettings | None = None) -> list[Finding]:
    """Findings in files and directories (directories: files ending in `SCAN_SUFFIXES`, recursively)."""
    settings = settings or PiiSettings()
    detector = _detector(settings)
    findings: list[Finding] = []
    for file in _files(paths):
        findings.extend(_scan_file(file, detector))
    return findings


def _detector(settings: PiiSettings) -> Detector:
    return Detector(
        fields=settings.fields,
        patterns=settings.patterns,
        allowlist=settings.allowlist,
        phone_regions=settings.phone_regions,
        skip_fake_names=True,
    )


def _files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            yield path
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
                for name in sorted(files):
                    stem = name[:-3] if name.endswith(".gz") else name
                    if stem.endswith(SCAN_SUFFIXES):
                        yield Path(root) / name
        else:
            raise ConfigError(f"no such file or directory: {os.fspath(raw)!r}; pass existing paths to scan")


def _scan_file(path: Path, detector: Detector) -> list[Finding]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            return [Finding("unreadable", str(path), "-", f"corrupt gzip data ({exc})")]
    if len(data) > _MAX_BYTES:
        return [Finding("unreadable", str(path), "-", f"not scanned: {len(data):,} bytes is over {_MAX_BYTES:,}")]
    text = data.decode("utf-8", errors="replace")
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    return scan_text(text, path=str(path), detector=detector, suffix=Path(name).suffix.lower())


def scan_text(text: str, *, path: str = "<text>", detector: Detector | None = None, suffix: str = "") -> list[Finding]:
    """Findings in one file's text: JSON, JSON lines and YAML are walked as data, anything else line by line."""
    detector = detector or _detector(PiiSettings())
    hits: list[tuple[int | None, Hit]] = []
    structured = _parse_file(text, suffix)
    if structured is not None:
        lines: dict[str, int | None] = {}
        for line_no, doc in structured:
            for hit in detector.walk(doc, "$"):
                if line_no is None and hit.value not in lines:
                    lines[hit.value] = _line_of(text, hit.value)
                hits.append((line_no if line_no is not None else lines[hit.value], hit))
    else:
        hits.extend(detector.lines_hits(text))
    # one finding per value and file: its first place, and how many places hold it
    first: dict[tuple[str, str], tuple[str, int]] = {}
    places: dict[tuple[str, str], set[str]] = {}
    for line_no, hit in hits:
        where = f"{line_no}" if line_no is not None else "-"
        if hit.path:
            where += f": {hit.path}"
        key = (hit.kind, hit.value)
        first.setdefault(key, (where, len(first)))
        places.setdefault(key, set()).add(where)
    return [
        Finding(kind, path, where, mask(kind, value), len(places[(kind, value)]))
        for (kind, value), (where, _) in sorted(first.items(), key=lambda kv: kv[1][1])
    ]


def _parse_file(text: str, suffix: str) -> list[tuple[int | None, Any]] | None:
    """[(line or None, document)] for JSON, JSON lines and YAML; None for anything else."""
    if suffix in (".yaml", ".yml"):
        import yaml

        try:
            return [(None, doc) for doc in yaml.safe_load_all(text)]
        except yaml.YAMLError:
            return None
    if suffix == ".py":
        return None
    stripped = text.lstrip()
    if stripped[:1] not in ("{", "["):
        return None
    try:
        return [(None, json.loads(text))]
    except ValueError:
        pass
    docs: list[tuple[int | None, Any]] = []
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                docs.append((i, json.loads(line)))
            except ValueError:
                return None
    return docs


def _line_of(text: str, value: str) -> int | None:
    """The line where `value` first appears (as written, or JSON-escaped once or twice)."""
    for spelling in (value, json.dumps(value)[1:-1], json.dumps(json.dumps(value)[1:-1])[1:-1]):
        index = text.find(spelling)
        if index >= 0:
            return text.count("\n", 0, index) + 1
    return None


# --------------------------------------------------------------------------------------------------------- CLI

PRE_COMMIT_HOOK = """\
# .pre-commit-config.yaml
- repo: local
  hooks:
    - id: agenttrace-scan
      name: agenttrace scan (no customer data in cassettes and traces)
      entry: agenttrace scan
      language: system
      files: '(cassettes|baselines|traces)/.*\\.(ya?ml|jsonl?|ndjson|gz)$|^tests/.*\\.py$'
"""


def add_scan_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `agenttrace scan` on the CLI's subparsers; its `func` returns 0 clean, 1 findings, 2 usage error."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "scan",
        help="report personal data (e-mails, phones, cards, IBANs, IPs, keys, names) in cassettes, baselines, "
        "converted tests and trace files; exits 1 on findings (for CI and pre-commit)",
        description="Report PII-looking values (kind, file, location, masked preview; never the value) in the "
        "given files and directories. Directories are searched for "
        + ", ".join(SCAN_SUFFIXES)
        + " files (and their .gz). Settings ([tool.agenttrace] pii_fields, pii_patterns, pii_allowlist, "
        "pii_phone_regions) come from the nearest pyproject.toml. Exit codes: 0 clean, 1 findings, 2 usage error.",
        epilog="pre-commit hook:\n" + PRE_COMMIT_HOOK,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to scan")
    parser.add_argument("--json", action="store_true", help="print findings as a JSON list")
    parser.add_argument(
        "--allow", action="append", default=[], metavar="VALUE", help="a value never reported (repeatable)"
    )
    parser.add_argument("--config", metavar="PYPROJECT", help="pyproject.toml to read (default: the nearest one)")
    parser.set_defaults(func=run_scan)
    return parser


def run_scan(args: argparse.Namespace, *, stdout: Any = None, stderr: Any = None) -> int:
    """The `scan` command: print findings, return 0 (none), 1 (findings) or 2 (bad path or configuration)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        settings = load_pii_settings(args.config or ".")
        if args.allow:
            settings = PiiSettings(
                salt=settings.salt,
                fields=settings.fields,
                patterns=settings.patterns,
                allowlist=(*settings.allowlist, *args.allow),
                phone_regions=settings.phone_regions,
                source=settings.source,
            )
        findings = scan_paths(args.paths, settings=settings)
    except AgentTraceError as exc:
        err.write(f"agenttrace scan: error: {exc}\n")
        return 2
    except OSError as exc:
        err.write(f"agenttrace scan: error: {exc}\n")
        return 2
    if args.json:
        json.dump([f.to_dict() for f in findings], out, indent=2)
        out.write("\n")
    else:
        for f in findings:
            out.write(f"{f}\n")
    if findings:
        files = len({f.path for f in findings})
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(_count(findings).items()))
        err.write(
            f"agenttrace scan: {len(findings)} PII-looking value(s) in {files} file(s): {kinds}. Pseudonymize with "
            "`agenttrace convert` (on by default), or allow a value with --allow / [tool.agenttrace] pii_allowlist\n"
        )
        return 1
    return 0


def _count(findings: Sequence[Finding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return counts
