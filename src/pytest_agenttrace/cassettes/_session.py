"""The replay session of one test: which cassette, which mode, what was replayed, recorded, overridden or missed.

`use_cassette(path, mode=...)` opens one (the `agent_cassette` fixture wraps it). The session is process-global,
not a ContextVar, so tool calls from any thread or asyncio task of the test find it; tests in one process run one
at a time, so there is at most one (opening a second raises). Without a session, decorated tools run for real.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ._diff import diff_lines, short_repr
from ._errors import CassetteError, CassetteMismatchError, ToolOverrideError
from ._format import Cassette, ToolError, ToolInteraction, map_strings, now_iso
from ._modes import resolve_record_mode
from ._normalize import canonical, canonical_json, to_jsonable
from ._scrub import compile_patterns, scrub_text

if TYPE_CHECKING:
    from ._http import HttpReplay

__all__ = [
    "ReplaySession",
    "ToolCallRequest",
    "ToolMatcher",
    "ToolOverride",
    "current_session",
    "use_cassette",
]

_UNSET: Any = object()


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallRequest:
    """A tool call as the chokepoint saw it: name, arguments bound to parameter names (JSON data), call id."""

    name: str
    arguments: Any
    call_id: str | None = None

    def signature(self) -> str:
        if isinstance(self.arguments, Mapping):
            args = ", ".join(f"{k}={short_repr(v, limit=60)}" for k, v in self.arguments.items())
        else:
            args = short_repr(self.arguments, limit=60)
        return f"{self.name}({args})"


#: A custom tool matcher: does this recorded interaction answer this call? (Name + normalized arguments by default.)
ToolMatcher = Callable[[ToolCallRequest, ToolInteraction], bool]


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolOverride:
    """Time travel and faults: replace what a tool call returns, or make it raise or time out.

    `step` is the 1-based position of the call among all tool calls of the test (every call through the chokepoint
    counts, overridden ones included); `name` restricts it to one tool. With only `name`, every call of that tool
    is overridden. Give exactly one of `result`, `raises` (an exception instance or class) or `timeout=True`
    (raises `TimeoutError` at once). The real tool is not run. An override that never applies fails the test.
    """

    step: int | None = None
    name: str | None = None
    result: Any = _UNSET
    raises: BaseException | type[BaseException] | None = None
    timeout: bool = False

    def __post_init__(self) -> None:
        if self.step is None and self.name is None:
            raise ToolOverrideError("ToolOverride needs step=N (1-based tool call number) and/or name='tool'")
        if self.step is not None and (not isinstance(self.step, int) or self.step < 1):
            raise ToolOverrideError(
                f"ToolOverride step must be an int >= 1 (tool calls count from 1), got {self.step!r}"
            )
        given = [self.result is not _UNSET, self.raises is not None, bool(self.timeout)]
        if sum(given) != 1:
            raise ToolOverrideError(
                "ToolOverride takes exactly one of result=..., raises=Exception(...) or timeout=True "
                f"(got {sum(given)} for step={self.step!r}, name={self.name!r})"
            )
        if self.raises is not None and not (
            isinstance(self.raises, BaseException)
            or (isinstance(self.raises, type) and issubclass(self.raises, BaseException))
        ):
            raise ToolOverrideError(
                f"ToolOverride raises= must be an exception or exception class, got {self.raises!r}"
            )

    def describe(self) -> str:
        where = " ".join(
            x for x in (f"step {self.step}" if self.step else "", repr(self.name) if self.name else "") if x
        )
        return f"ToolOverride({where})"


@dataclass(slots=True)
class ToolDecision:
    """What the chokepoint must do for one call."""

    kind: Literal["real", "replay", "override", "fail"]
    step: int
    call: ToolCallRequest
    interaction: ToolInteraction | None = None
    override: ToolOverride | None = None
    error: CassetteMismatchError | None = None
    slot: int | None = None


@dataclass(slots=True)
class CallLog:
    """One tool call made during the session (for assertions: `agent_cassette.calls`)."""

    step: int
    name: str
    arguments: Any
    source: Literal["real", "replayed", "override", "missing"]


# --------------------------------------------------------------------------------------------- global state

_state_lock = threading.Lock()
_current: ReplaySession | None = None


def current_session() -> ReplaySession | None:
    """The active replay session of this process, if any (read without a lock: one reference)."""
    return _current


def _activate(session: ReplaySession) -> None:
    global _current
    with _state_lock:
        if _current is not None:
            raise CassetteError(
                f"a cassette is already active ({_current.path}); cassettes do not nest: "
                "close it before opening another (one agent_cassette per test)"
            )
        _current = session


def _deactivate(session: ReplaySession) -> None:
    global _current
    with _state_lock:
        if _current is session:
            _current = None


# ------------------------------------------------------------------------------------------------ session


@dataclass(eq=False)
class ReplaySession:
    """One open cassette. Create it with `use_cassette`."""

    path: Path
    mode: str
    existed: bool
    cassette: Cassette
    forced_reason: str | None = None
    overrides: list[ToolOverride] = field(default_factory=list)
    tool_matcher: ToolMatcher | None = None
    scrub: tuple[str, ...] = ()
    errors: list[CassetteError] = field(default_factory=list)
    calls: list[CallLog] = field(default_factory=list)
    http: HttpReplay | None = None
    #: The exception that ended the code using the cassette, when it did not pass through `use_cassette` (the
    #: pytest fixture sets it from the test's report): a miss is then not raised a second time.
    body_exception: BaseException | None = None

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._step = 0
        self._patterns = compile_patterns(self.scrub)
        self._played = [False] * len(self.cassette.tools)
        self._index: dict[tuple[str, str], list[int]] = {}
        for i, t in enumerate(self.cassette.tools):
            key = self._scrubbed_key(ToolCallRequest(name=t.name, arguments=t.arguments))
            self._index.setdefault(key, []).append(i)
        self._new_tools: list[ToolInteraction | None] = []
        self._applied: set[int] = set()

    # -- modes -------------------------------------------------------------------------------------------
    @property
    def replay_only(self) -> bool:
        """Nothing is recorded: mode `none`, or `once` with an existing cassette."""
        return self.mode == "none" or (self.mode == "once" and self.existed)

    @property
    def records(self) -> bool:
        return not self.replay_only

    @property
    def replays(self) -> bool:
        """Mode `all` re-records everything; every other mode answers from recordings first."""
        return self.mode != "all"

    def remedy(self) -> str:
        if self.forced_reason:
            return f"Nothing can be recorded here: {self.forced_reason}. Record locally and commit the cassette."
        if not self.existed:
            return "Record it: run the test with --agenttrace-record-mode=once (or the marker's record_mode='once')."
        return (
            "If the change is intended, re-record: --agenttrace-record-mode=new_episodes adds the new calls, "
            "=all re-records everything (or delete the cassette and use once)."
        )

    def record_error(self, error: CassetteError) -> None:
        with self._lock:
            self.errors.append(error)

    # -- overrides ---------------------------------------------------------------------------------------
    def override_tool(
        self,
        step: int | None = None,
        name: str | None = None,
        *,
        result: Any = _UNSET,
        raises: BaseException | type[BaseException] | None = None,
        timeout: bool = False,
    ) -> ToolOverride:
        """Add a `ToolOverride` for the rest of the test (the fixture method behind `agent_cassette.override_tool`)."""
        override = ToolOverride(step=step, name=name, result=result, raises=raises, timeout=timeout)
        with self._lock:
            self.overrides.append(override)
        return override

    def _override_for(self, step: int, call: ToolCallRequest) -> ToolOverride | None:
        for i, ov in enumerate(self.overrides):
            if ov.step is not None and ov.step != step:
                continue
            if ov.name is not None and ov.name != call.name:
                if ov.step == step:
                    self.errors.append(
                        ToolOverrideError(
                            f"{ov.describe()} expected tool {ov.name!r} at step {step}, but step {step} called "
                            f"{call.signature()}; fix the step number or the name"
                        )
                    )
                continue
            self._applied.add(i)
            return ov
        return None

    # -- tool calls --------------------------------------------------------------------------------------
    def _scrubbed_key(self, call: ToolCallRequest) -> tuple[str, str]:
        """Name + normalized arguments after scrubbing (a recording holds scrubbed values; so must the key)."""
        args = map_strings(canonical(call.arguments), lambda s: scrub_text(s, self._patterns))
        return (call.name, canonical_json(args))

    def _match(self, call: ToolCallRequest) -> int | None:
        if self.tool_matcher is not None:
            for i, rec in enumerate(self.cassette.tools):
                if not self._played[i] and self.tool_matcher(call, rec):
                    return i
            return None
        for i in self._index.get(self._scrubbed_key(call), ()):
            if not self._played[i]:
                return i
        return None

    def begin_tool(self, call: ToolCallRequest) -> ToolDecision:
        """Decide how to answer one tool call (override, replay, run for real, or fail) and book it."""
        with self._lock:
            self._step += 1
            step = self._step
            override = self._override_for(step, call)
            index = self._match(call) if self.replays else None
            if index is not None:
                self._played[index] = True
            if override is not None:
                self.calls.append(CallLog(step, call.name, call.arguments, "override"))
                return ToolDecision("override", step, call, override=override)
            if index is not None:
                self.calls.append(CallLog(step, call.name, call.arguments, "replayed"))
                return ToolDecision("replay", step, call, interaction=self.cassette.tools[index])
            if self.replay_only:
                error = CassetteMismatchError(self._tool_mismatch_message(call, step))
                self.errors.append(error)
                self.calls.append(CallLog(step, call.name, call.arguments, "missing"))
                return ToolDecision("fail", step, call, error=error)
            self._new_tools.append(None)
            self.calls.append(CallLog(step, call.name, call.arguments, "real"))
            return ToolDecision("real", step, call, slot=len(self._new_tools) - 1)

    def finish_tool(self, decision: ToolDecision, *, result: Any = _UNSET, error: BaseException | None = None) -> None:
        """Record the outcome of a call that ran for real (an `Exception` is recorded as the tool's error)."""
        if decision.slot is None:
            return
        if error is not None:
            recorded = ToolInteraction(
                name=decision.call.name,
                arguments=decision.call.arguments,
                error=ToolError(message=_error_message(error), type=_error_type(error)),
                call_id=decision.call.call_id,
            )
        else:
            recorded = ToolInteraction(
                name=decision.call.name,
                arguments=decision.call.arguments,
                result=to_jsonable(result),
                call_id=decision.call.call_id,
            )
        with self._lock:
            self._new_tools[decision.slot] = recorded

    def _tool_mismatch_message(self, call: ToolCallRequest, step: int) -> str:
        lines = [f"tool call not found in the cassette: {call.signature()} (step {step})"]
        lines.append(f"cassette: {self.path} (record mode {self.mode!r})")
        tools = self.cassette.tools
        if not self.existed:
            lines.append("the cassette file does not exist.")
        elif not tools:
            lines.append("the cassette has no recorded tool calls.")
        else:
            best: tuple[int, int, int, list[str]] | None = None
            for i, rec in enumerate(tools):
                if rec.name != call.name:
                    continue
                diff = diff_lines(canonical(rec.arguments), canonical(call.arguments), sent_label="called")
                score = (len(diff), 1 if self._played[i] else 0, i, diff)
                if best is None or score[:3] < best[:3]:
                    best = score
            if best is None:
                names = sorted({t.name for t in tools})
                lines.append(f"no recorded call to {call.name!r}; recorded tools: {', '.join(map(repr, names))}.")
                pending = next((i for i, played in enumerate(self._played) if not played), None)
                if pending is not None:
                    rec = tools[pending]
                    lines.append(f"next recorded call: step {pending + 1} {_signature(rec)}")
            else:
                _, played, i, diff = best
                state = "already replayed" if played else "not replayed yet"
                lines.append(f"nearest recorded call: step {i + 1} {_signature(tools[i])} ({state})")
                if diff:
                    lines.append("differences:")
                    lines.extend(f"  {d}" for d in diff)
                else:
                    lines.append("it has the same arguments: the agent made this call more often than recorded.")
        lines.append("The real tool was not run. " + self.remedy())
        return "\n".join(lines)

    # -- closing -----------------------------------------------------------------------------------------
    def unapplied_overrides(self) -> list[ToolOverride]:
        return [ov for i, ov in enumerate(self.overrides) if i not in self._applied]

    @property
    def dirty(self) -> bool:
        return any(t is not None for t in self._new_tools) or (self.http is not None and self.http.dirty)

    def save(self) -> None:
        """Merge what was recorded into the file on disk, under a lock (xdist workers), atomically."""
        new_tools = [t for t in self._new_tools if t is not None]
        with _file_lock(self.path):
            disk = Cassette.load(self.path) if self.path.exists() else Cassette()
            if self.mode == "all":
                tools = new_tools
                interactions = self.http.rerecorded_interactions() if self.http is not None else disk.interactions
            else:
                tools = [*disk.tools, *new_tools]
                new_http = self.http.new_interactions() if self.http is not None else []
                interactions = [*disk.interactions, *new_http]
            from .. import __version__

            meta = {"source": "recording", **disk.meta}
            meta["recorded_at"] = now_iso()
            meta["plugin_version"] = __version__
            merged = Cassette(meta=meta, tools=tools, llm=disk.llm, interactions=interactions)
            merged.save(self.path, scrub=self.scrub)


def _signature(rec: ToolInteraction) -> str:
    return ToolCallRequest(name=rec.name, arguments=rec.arguments).signature()


def _error_type(exc: BaseException) -> str:
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _error_message(exc: BaseException) -> str:
    if len(exc.args) == 1 and isinstance(exc.args[0], str):
        return exc.args[0]
    return str(exc)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Exclusive lock on the cassette's folder for a read-merge-write (no lock files left behind).

    xdist workers are processes: `fcntl.flock` on the folder serializes them. Where `fcntl` does not exist
    (Windows) the write is still atomic but two workers recording one cassette at once may lose one's additions.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------- use_cassette


@contextlib.contextmanager
def use_cassette(
    path: str | os.PathLike[str],
    *,
    mode: str | None = None,
    overrides: Sequence[ToolOverride] = (),
    tools: Mapping[str, str] | None = None,
    tool_matcher: ToolMatcher | None = None,
    http: bool = True,
    temperature_zero: bool = True,
    scrub: Sequence[str] = (),
    ignore_request_fields: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
) -> Iterator[ReplaySession]:
    """Replay (or record) tools and LLM HTTP traffic from the cassette at `path` for the `with` block.

    `mode` is a vcrpy record mode (`none` default; forced to `none` when `CI` is set). `tools` maps tool names to
    dotted paths to patch (`{"get_order": "myapp.tools.get_order"}`). `http=False` leaves HTTP alone (tools only).
    `temperature_zero`: when recording, LLM requests get temperature 0 and a fixed seed (Chat Completions), and
    matching ignores those two fields. `scrub`: extra regexes replaced before anything is written.
    On exit a missed call (unrecorded tool call or request) is raised even if the agent swallowed it, and so is an
    override that never applied; new recordings are merged into the file under a lock and written atomically.
    """
    effective, forced = resolve_record_mode(mode, environ=environ)
    p = Path(path)
    existed = p.is_file() and p.stat().st_size > 0
    cassette = Cassette.load(p) if existed else Cassette(path=p)
    session = ReplaySession(
        path=p,
        mode=effective,
        existed=existed,
        cassette=cassette,
        forced_reason=forced,
        overrides=list(overrides),
        tool_matcher=tool_matcher,
        scrub=tuple(scrub),
    )
    with contextlib.ExitStack() as stack:
        if http:
            from ._http import HttpReplay

            session.http = HttpReplay(
                session,
                interactions=cassette.interactions,
                llm=list(cassette.llm),
                ignore_request_fields=tuple(ignore_request_fields),
                temperature_zero=temperature_zero,
                scrub=tuple(scrub),
            )
        _activate(session)
        stack.callback(_deactivate, session)
        if session.http is not None:
            session.http.start()
            stack.callback(session.http.stop)
        if tools:
            from ._tools import patch_tools

            stack.enter_context(patch_tools(tools))
        in_flight: BaseException | None = None
        try:
            yield session
        except BaseException as exc:
            in_flight = exc
            raise
        finally:
            stack.close()
            if session.records and session.dirty:
                session.save()
            problem = _problem(session)
            in_flight = in_flight or session.body_exception
            if problem is not None:
                if in_flight is None:
                    raise problem
                # The agent may have swallowed the miss and failed later for it: show the cause first.
                if isinstance(in_flight, Exception) and not any(e is in_flight for e in session.errors):
                    raise problem from in_flight


def _problem(session: ReplaySession) -> CassetteError | None:
    """The first problem of the session (missed call, unapplied override), listing any others; None if none."""
    problems: list[CassetteError] = list(session.errors)
    for ov in session.unapplied_overrides():
        if ov.step is not None:
            why = f"the test made {session._step} tool call(s)"
            if ov.name:
                why += f"; step {ov.step} must be a call of {ov.name!r}"
        else:
            why = f"tool {ov.name!r} was never called"
        problems.append(ToolOverrideError(f"{ov.describe()} never applied: {why}. Fix the step or the tool name."))
    if not problems:
        return None
    first = problems[0]
    if len(problems) > 1:
        rest = "\n".join(f"- {str(e).splitlines()[0]}" for e in problems[1:])
        return type(first)(f"{first}\n\n{len(problems) - 1} more problem(s) in this test:\n{rest}")
    return first
