"""Golden trajectories: a run normalized to what should not change between runs, stored next to the test.

A normalized trajectory keeps what the agents did and drops what varies by itself: no span, call or response ids,
no timestamps or durations, no token counts (they move with model versions and prompts), and the *requested*
model name rather than the dated response model. It is a tree: each agent run holds its own LLM calls, tool calls,
retrievals and sub-agent runs in start order, so sub-agents running in parallel do not reorder it.

Volatile values (timestamps in arguments, generated ids, free-text answers) are declared with patterns over logical
paths and stored as `"<volatile>"`, so any value matches there:

    tool_calls[get_order].arguments.order_id    llm_calls[gpt-4o-mini].finish_reasons    final_output
    tool_calls[*].arguments.timestamp           tool_calls[search_*].result.hits[0].id   agents[triage].error

`*` matches within one segment (`[^.[\\]]*`), `**` matches across segments, and a bare key name (`timestamp`)
matches that key at any depth. The bracket holds the step's name: the tool, the model, the agent or retrieval.

The pytest side uses `BaselineStore`: one per session, `check()` per assertion, `unused()` at the end.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import AgentTraceError, ConfigError
from ._model import AgentRun, LLMCall, Retrieval, ToolCall, parse_json_maybe

if TYPE_CHECKING:
    from os import PathLike

    from ._model import Step, Trace

__all__ = [
    "BASELINE_DIR",
    "FORMAT",
    "VOLATILE",
    "BaselineError",
    "BaselineStore",
    "accept_command",
    "baseline_path",
    "compare_baseline",
    "load_baseline",
    "normalize_trajectory",
    "write_baseline",
]

FORMAT = "agenttrace-baseline/1"
VOLATILE = "<volatile>"
BASELINE_DIR = "baselines"
_MAX_NAME = 100


class BaselineError(AgentTraceError):
    """A baseline file cannot be read or written (the message names the file and the fix)."""


# ----------------------------------------------------------------------------------------------- normalize


@dataclass(frozen=True, slots=True)
class _Volatile:
    patterns: tuple[re.Pattern[str], ...]

    def __call__(self, path: str) -> bool:
        return any(p.fullmatch(path) for p in self.patterns)


def _compile(volatile: Iterable[str]) -> _Volatile:
    if isinstance(volatile, str):
        volatile = (volatile,)
    out = []
    for pat in volatile:
        if not isinstance(pat, str) or not pat.strip():
            raise ConfigError(
                f"volatile path {pat!r} is not valid; use a key name like 'timestamp' or a path like "
                "'tool_calls[*].arguments.timestamp'"
            )
        pat = pat.strip()
        if not re.search(r"[.\[\]*]", pat):  # a bare key name: that key anywhere
            out.append(re.compile(r"(?:.*\.)?" + re.escape(pat)))
            continue
        rx = ""
        i = 0
        while i < len(pat):
            if pat.startswith("**", i):
                rx += ".*"
                i += 2
            elif pat[i] == "*":
                rx += r"[^.\[\]]*"
                i += 1
            else:
                rx += re.escape(pat[i])
                i += 1
        out.append(re.compile(rx))
    return _Volatile(tuple(out))


def _jsonable(value: Any) -> Any:
    """Plain JSON data with sorted keys (a JSON round trip: tuples become lists, unknown types strings)."""
    return json.loads(json.dumps(parse_json_maybe(value), sort_keys=True, ensure_ascii=False, default=str))


def _mask(value: Any, path: str, volatile: _Volatile) -> Any:
    if volatile(path):
        return VOLATILE
    if isinstance(value, dict):
        return {k: _mask(v, f"{path}.{k}", volatile) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, f"{path}[{i}]", volatile) for i, v in enumerate(value)]
    return value


def _field(out: dict[str, Any], base: str, key: str, value: Any, volatile: _Volatile) -> None:
    out[key] = _mask(_jsonable(value), f"{base}.{key}" if base else key, volatile)


def _step(step: Step, volatile: _Volatile, include_results: bool) -> dict[str, Any]:
    if isinstance(step, LLMCall):
        model = step.request_model or step.response_model
        base = f"llm_calls[{model or ''}]"
        d: dict[str, Any] = {"kind": "llm"}
        _field(d, base, "model", model, volatile)
        if step.finish_reasons:
            _field(d, base, "finish_reasons", list(step.finish_reasons), volatile)
        if step.error:
            _field(d, base, "error", True, volatile)
        return d
    if isinstance(step, ToolCall):
        base = f"tool_calls[{step.name}]"
        d = {"kind": "tool", "name": step.name}
        _field(d, base, "arguments", step.arguments, volatile)
        if step.error:
            _field(d, base, "error", True, volatile)
        elif include_results:
            _field(d, base, "result", step.result, volatile)
        return d
    if isinstance(step, Retrieval):
        base = f"retrievals[{step.name}]"
        d = {"kind": "retrieval", "name": step.name}
        _field(d, base, "query", step.query, volatile)
        if step.error:
            _field(d, base, "error", True, volatile)
        return d
    raise TypeError(f"not a step: {step!r}")  # pragma: no cover


def normalize_trajectory(
    trace: Trace, *, volatile: Iterable[str] = (), include_results: bool = False
) -> dict[str, Any]:
    """The trajectory as plain JSON data without ids, times or tokens, volatile paths masked (module docstring)."""
    vol = _compile(volatile)
    children: dict[str | None, list[tuple[int, int, dict[str, Any]]]] = {}
    agent_ids = {a.span_id for a in trace.agents}
    for order, step in enumerate(trace.steps):
        if isinstance(step, AgentRun):
            parent = step.parent_span_id if step.parent_span_id in agent_ids else None
            entry: dict[str, Any] = {"kind": "agent", "name": step.name}
            if step.error:
                _field(entry, f"agents[{step.name}]", "error", True, vol)
            entry["steps"] = []
            entry["_id"] = step.span_id
        else:
            sid = getattr(step, "agent_span_id", None)
            parent = sid if sid in agent_ids else None
            entry = _step(step, vol, include_results)
        children.setdefault(parent, []).append((step.start_ns, order, entry))

    def build(parent: str | None) -> list[dict[str, Any]]:
        out = []
        for _, _, entry in sorted(children.get(parent, []), key=lambda t: (t[0], t[1])):
            if entry["kind"] == "agent":
                entry["steps"] = build(entry.pop("_id"))
            out.append(entry)
        return out

    doc: dict[str, Any] = {"format": FORMAT, "steps": build(None)}
    if trace.final_output is not None:
        _field(doc, "", "final_output", trace.final_output, vol)
    return doc


# -------------------------------------------------------------------------------------------------- files


_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-\[\]]")
_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))})


def _safe_name(name: str) -> str:
    """A file name that is the same on every OS and cannot leave its folder; a hash keeps altered names unique."""
    readable = name.replace("::", ".")
    safe = _UNSAFE.sub("_", readable)
    safe = re.sub(r"^\.+", lambda m: "_" * len(m.group()), safe) or "_"
    if safe != readable or len(safe) > _MAX_NAME or safe.split(".")[0].upper() in _RESERVED:
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        safe = f"{safe[:_MAX_NAME]}-{digest}"
    return safe


def baseline_path(test_file: str | PathLike[str], test_name: str) -> Path:
    """`<test dir>/baselines/<module stem>/<test name>.json`; parametrized ids are made safe (never escape the
    folder; a short hash is added whenever characters had to be replaced, so two ids never share a file)."""
    test_file = Path(test_file)
    folder = test_file.parent / BASELINE_DIR / _safe_name(test_file.stem)
    path = folder / f"{_safe_name(test_name)}.json"
    if path.parent != folder:  # pragma: no cover - _safe_name leaves no separators
        raise ConfigError(f"baseline name {test_name!r} would leave {folder}; use a plain test name")
    return path


def load_baseline(path: str | PathLike[str]) -> dict[str, Any] | None:
    """The stored trajectory, or None when there is no file yet."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BaselineError(f"{p}: cannot read the baseline ({exc.strerror or exc}); check its permissions") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BaselineError(
            f"{p}: not valid JSON ({exc}); restore it from version control, or delete it and re-run with "
            "--agenttrace-update to record it again"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise BaselineError(
            f"{p}: not an agenttrace baseline (expected an object with 'format' and 'steps'); delete it and re-run "
            "with --agenttrace-update to record it again"
        )
    return data


def write_baseline(path: str | PathLike[str], data: dict[str, Any]) -> None:
    """Write a trajectory atomically as indented JSON (folders created as needed)."""
    from ._atomic import atomic_write_text

    p = Path(path)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(p, text)
    except OSError as exc:
        raise BaselineError(f"{p}: cannot write the baseline ({exc.strerror or exc}); check the folder") from exc


# ------------------------------------------------------------------------------------------------ compare


def accept_command(nodeid: str) -> str:
    """The command that records this test's current trajectory as its baseline."""
    return f"pytest --agenttrace --agenttrace-update {shlex.quote(nodeid)}"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def outline(doc: dict[str, Any]) -> list[str]:
    """One line per step (indented by agent), full values: the lines a baseline mismatch is diffed on."""
    lines: list[str] = []

    def walk(steps: Sequence[Any], depth: int) -> None:
        pad = "  " * depth
        for s in steps:
            if not isinstance(s, dict):
                lines.append(f"{pad}{_compact(s)}")
                continue
            kind = s.get("kind")
            err = "  ERROR" if s.get("error") is True else (f"  error={_compact(s['error'])}" if "error" in s else "")
            rest = {k: v for k, v in s.items() if k not in ("kind", "name", "steps", "error", "arguments", "result")}
            if kind == "agent":
                lines.append(f"{pad}agent {s.get('name')}{err}")
                walk(s.get("steps") or [], depth + 1)
            elif kind == "llm":
                model = rest.pop("model", None)
                finish = rest.pop("finish_reasons", None)
                line = f"{pad}llm {model if isinstance(model, str) else _compact(model)}"
                if finish is not None:
                    line += " finish=" + (",".join(finish) if isinstance(finish, list) else _compact(finish))
                lines.append(line + err + (f" {_compact(rest)}" if rest else ""))
            elif kind == "tool":
                lines.append(f"{pad}tool {s.get('name')} {_compact(s.get('arguments'))}{err}")
                if "result" in s:
                    lines.append(f"{pad}  -> {_compact(s['result'])}")
                if rest:
                    lines.append(f"{pad}  {_compact(rest)}")
            else:
                lines.append(f"{pad}{kind} {s.get('name')} {_compact(rest)}{err}")

    walk(doc.get("steps") or [], 0)
    if "final_output" in doc:
        lines.append(f"final output: {_compact(doc['final_output'])}")
    return lines


def compare_baseline(
    expected: dict[str, Any], actual: dict[str, Any], *, nodeid: str | None = None, path: str | None = None
) -> str | None:
    """None when the trajectories match, else a readable diff (baseline -> this run) and the command to accept."""
    if expected == actual:
        return None
    where = f" {path}" if path else ""
    head = [f"the agent's trajectory does not match its baseline{where}"]
    if expected.get("format") != actual.get("format"):
        head.append(f"(the baseline has format {expected.get('format')!r}, this version writes {FORMAT!r})")
    a_lines, b_lines = outline(expected), outline(actual)
    if a_lines == b_lines:  # same outline, other differences: show the JSON
        a_lines = json.dumps(expected, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
        b_lines = json.dumps(actual, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    body = list(difflib.unified_diff(a_lines, b_lines, "baseline", "this run", lineterm="", n=3))
    tail = []
    if nodeid:
        tail.append(f"If this run is right, accept it as the new baseline:\n    {accept_command(nodeid)}")
    tail.append("Values that may change between runs can be declared volatile (see the baseline docs).")
    return "\n".join([" ".join(head), *body, "", *tail])


# -------------------------------------------------------------------------------------------------- store


@dataclass
class BaselineStore:
    """Per-session baseline state: checks, writes with `update`, and remembers which files were used.

    xdist: each worker sends `to_payload()`; the controller `merge()`s them before calling `unused()`.
    """

    root: Path
    update: bool = False
    used: dict[str, str] = field(default_factory=dict)  # resolved path -> nodeid
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    def check(
        self,
        nodeid: str,
        test_path: str | PathLike[str],
        name: str,
        trace: Trace,
        volatile: Iterable[str] = (),
        *,
        include_results: bool = False,
    ) -> str | None:
        """Compare `trace` with the test's baseline: None when it matches (or was written), else the failure text."""
        path = baseline_path(test_path, name)
        key = str(path.resolve())
        shown = self._display(path)
        other = self.used.get(key)
        if other is not None and other != nodeid:
            return (
                f"baseline {shown} is already used by {other}; give this assertion its own name, e.g. "
                f"assert_matches_baseline(name={name + '_2'!r})"
            )
        self.used[key] = nodeid
        actual = normalize_trajectory(trace, volatile=volatile, include_results=include_results)
        expected = load_baseline(path)
        if expected is None:
            if self.update:
                write_baseline(path, actual)
                self.created.append(shown)
                return None
            return (
                f"no baseline for this test yet ({shown}); record the current trajectory with:\n"
                f"    {accept_command(nodeid)}"
            )
        problem = compare_baseline(expected, actual, nodeid=nodeid, path=shown)
        if problem is not None and self.update:
            write_baseline(path, actual)
            self.updated.append(shown)
            return None
        return problem

    def _display(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def unused(self, under_dirs: Iterable[str | PathLike[str]]) -> list[Path]:
        """Baseline files in `<dir>/baselines/<module>/` of the given test folders that no check used (sorted).

        Only meaningful when every test of those folders ran (not with -k, --lf or a node id selection)."""
        found: set[Path] = set()
        for d in under_dirs:
            base = Path(d) / BASELINE_DIR
            if base.is_dir():
                found.update(p for p in base.glob("*/*.json") if p.is_file())
        return sorted(p for p in found if str(p.resolve()) not in self.used)

    def to_payload(self) -> dict[str, Any]:
        """JSON-safe state for xdist's `workeroutput`."""
        return {"used": dict(self.used), "created": list(self.created), "updated": list(self.updated)}

    def merge(self, payload: dict[str, Any] | None) -> None:
        """Fold a worker's payload in (a crashed worker sends none: tolerated)."""
        if not payload:
            return
        self.used.update(payload.get("used") or {})
        self.created.extend(payload.get("created") or [])
        self.updated.extend(payload.get("updated") or [])

    def summary_lines(self, under_dirs: Iterable[str | PathLike[str]] = ()) -> list[str]:
        """Terminal summary: baselines written, updated, and unused (with the folders to look in)."""
        lines = []
        if self.created:
            lines.append(f"agenttrace: {len(self.created)} baseline(s) written: " + ", ".join(sorted(self.created)))
        if self.updated:
            lines.append(f"agenttrace: {len(self.updated)} baseline(s) updated: " + ", ".join(sorted(self.updated)))
        unused = self.unused(under_dirs)
        if unused:
            lines.append(
                f"agenttrace: {len(unused)} unused baseline(s) (no test checked them; delete them if their tests "
                "are gone): " + ", ".join(self._display(p) for p in unused)
            )
        return lines
