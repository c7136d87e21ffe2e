"""pytest hooks, options, markers and fixtures only; the work happens in the session and pure modules.

Without `--agenttrace` (or the ini key `agenttrace = true`) the plugin imports nothing heavy, registers only its
options and marker, and touches no tracer provider: the capture hooks are registered at configure time only when
capture is enabled.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import pytest

from ._summary import DEFAULT_SUMMARY, SUMMARY_MODES
from .cassettes._modes import DEFAULT_RECORD_MODE, RECORD_MODES

if TYPE_CHECKING:
    from collections.abc import Generator

    from ._live import LiveTrace
    from ._session import AgentTraceSession
    from .cassettes import ReplaySession

#: The command-line flag that turns capture on.
OPTION_ENABLE = "--agenttrace"
#: The ini key (bool) that turns capture on for every run.
INI_ENABLE = "agenttrace"
#: The summary option and its choices.
OPTION_SUMMARY = "--agenttrace-summary"
SUMMARY_CHOICES = SUMMARY_MODES
#: The cassette record-mode option and its choices (vcrpy's names; `none` is forced when CI is set).
OPTION_RECORD_MODE = "--agenttrace-record-mode"
RECORD_MODE_CHOICES = RECORD_MODES
#: The option that accepts new and changed baselines.
OPTION_UPDATE = "--agenttrace-update"
#: The run-wide cost limit option.
OPTION_MAX_RUN_COST = "--agenttrace-max-cost-usd"
#: The marker carrying per-test checks (budgets).
MARKER = "agenttrace"
#: Attribute of a teardown report: the `(node id, JSON-safe trace data)` pairs of the tests whose data was built
#: then (several finished tests at once, `AgentTraceSession.flush`; often none). On an xdist worker: its own test.
REPORT_ATTR = "agenttrace"
#: Key of a worker's `config.workeroutput` entry (xdist).
WORKEROUTPUT_KEY = "agenttrace"

MARKER_HELP = (
    f"{MARKER}(**checks): checks on this test's agent trace, e.g. max_tokens=2000, max_llm_calls=3, "
    f"tools=['search']; needs {OPTION_ENABLE} (or `{INI_ENABLE} = true` in the ini file). "
    "Cassettes (no capture needed): cassette='file.yaml', record_mode='once', "
    "tools={'get_order': 'app.tools.get_order'}, tool_overrides=[ToolOverride(step=3, result=...)]"
)

_SESSION = pytest.StashKey["AgentTraceSession"]()
#: Whether a test has marker-driven checks (budgets, baseline) to run after its body.
_CHECKS = pytest.StashKey[bool]()
#: The exception that ended an agent_cassette test's body (so the fixture does not report the same miss twice).
_CALL_EXCEPTION = pytest.StashKey["BaseException | None"]()
#: Set on a test while its agent_cassette fixture is active (the hook that keeps the body's exception reads it).
_USES_CASSETTE = pytest.StashKey[bool]()
#: The name `_CassetteHooks` is registered under (by the first agent_cassette fixture of a run).
CASSETTE_HOOKS = "agenttrace-cassette"


def _not_enabled(what: str) -> str:
    return (
        f"{what} needs trace capture, which is off: run pytest with {OPTION_ENABLE}, "
        f"or set `{INI_ENABLE} = true` in the ini file ([tool.pytest.ini_options] in pyproject.toml)"
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("agenttrace", "agent traces (pytest-agenttrace)")
    group.addoption(
        OPTION_ENABLE,
        action="store_true",
        default=False,
        dest="agenttrace",
        help=f"capture OpenTelemetry spans per test and report LLM/tool usage (ini: {INI_ENABLE} = true)",
    )
    group.addoption(
        OPTION_SUMMARY,
        choices=SUMMARY_CHOICES,
        default=None,
        dest="agenttrace_summary",
        help=(
            f"terminal summary: auto = tests with LLM/tool/agent steps (at most 50), all = every test, "
            f"none = totals only (default: {DEFAULT_SUMMARY}, or `summary` in [tool.agenttrace])"
        ),
    )
    group.addoption(
        OPTION_RECORD_MODE,
        choices=RECORD_MODE_CHOICES,
        default=None,
        dest="agenttrace_record_mode",
        help=(
            f"cassette record mode for agent_cassette tests (default: the marker's record_mode, else "
            f"{DEFAULT_RECORD_MODE}); forced to none when the CI environment variable is set"
        ),
    )
    group.addoption(
        OPTION_MAX_RUN_COST,
        type=float,
        default=None,
        dest="agenttrace_max_cost_usd",
        metavar="USD",
        help="fail the run when the summed cost of every test's LLM calls exceeds USD",
    )
    group.addoption(
        OPTION_UPDATE,
        action="store_true",
        default=False,
        dest="agenttrace_update",
        help="write new and changed trajectory baselines (agent_trace.assert_matches_baseline / baseline=True)",
    )
    parser.addini(INI_ENABLE, type="bool", default=False, help=f"capture agent traces, like {OPTION_ENABLE}")


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("agenttrace", False) or config.getini(INI_ENABLE))


@pytest.hookimpl(trylast=True)  # after conftest/plugins that install their own tracer provider
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    if not _enabled(config):
        return
    from ._config import load_config
    from ._errors import ConfigError
    from ._session import AgentTraceSession

    try:
        settings = load_config(config.rootpath)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    try:
        session = AgentTraceSession(
            settings,
            summary=config.getoption("agenttrace_summary", None),
            is_worker=hasattr(config, "workerinput"),
        )
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    cache = getattr(config, "cache", None)  # (None with -p no:cacheprovider: genai-prices is asked every run)
    if cache is not None:
        session.use_cache_dir(lambda: cache.mkdir("agenttrace"))
    session.max_run_cost = config.getoption("agenttrace_max_cost_usd", None)
    session.baselines.root = config.rootpath
    session.baselines.update = bool(config.getoption("agenttrace_update", False))
    config.stash[_SESSION] = session
    session.start(warn=lambda w: config.issue_config_time_warning(w, stacklevel=2))
    config.pluginmanager.register(_CaptureHooks(config, session), "agenttrace-capture")
    if config.pluginmanager.hasplugin("xdist") and not session.is_worker:
        config.pluginmanager.register(_XdistControllerHooks(session), "agenttrace-xdist")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marker arguments are validated before any test runs (a bad one is a usage error listing the valid ones);
    tests whose marker names a cassette (cassette=, record_mode=, tools={...}, tool_overrides=) get
    `agent_cassette` without asking for it."""
    session = config.stash.get(_SESSION, None)
    from ._errors import ConfigError

    for item in items:
        markers = list(item.iter_markers(MARKER))  # closest first
        if session is not None:
            try:
                checks = (
                    session.budget_for(item, markers) is not None or session.baseline_for(item, markers) is not None
                )
            except ConfigError as exc:
                raise pytest.UsageError(str(exc)) from None
            item.stash[_CHECKS] = checks
        names = getattr(item, "fixturenames", None)
        if not markers or names is None or "agent_cassette" in names:
            continue
        marker = markers[0]
        if not marker.kwargs:
            continue
        from .cassettes._pytest import uses_cassette

        if uses_cassette(marker.kwargs):
            names.append("agent_cassette")
    if session is not None and _whole_suite_selected(config):
        session.baseline_dirs = sorted({str(item.path.parent) for item in items})


def _whole_suite_selected(config: pytest.Config) -> bool:
    """Unused baselines are only reported when no -k/-m/--lf/node-id selection hid some tests."""
    if config.getoption("keyword", "") or config.getoption("markexpr", ""):
        return False
    if config.getoption("lf", False) or config.getoption("failedfirst", False):
        return False
    from pathlib import Path

    return all("::" not in str(arg) and Path(str(arg)).is_dir() for arg in config.args)


def pytest_assertrepr_compare(config: pytest.Config, op: str, left: object, right: object) -> list[str] | None:
    """`assert agent_trace.tool_names == [...]` (and comparisons of tool-call lists) shows the trajectories side
    by side with the first divergence."""
    from .assertions._repr import assertrepr_compare

    return assertrepr_compare(op, left, right)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is not None:
        session.stop()
        del config.stash[_SESSION]


class _CaptureHooks:
    """Hooks active only with capture on: per-test buckets, report data, summary."""

    def __init__(self, config: pytest.Config, session: AgentTraceSession) -> None:
        self.config = config
        self.session = session

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        self.session.begin_test(item.nodeid)
        self.session.check_provider()  # the user may have set their own SDK provider since the last test
        try:
            return (yield)
        finally:
            self.session.abandon_test(item.nodeid)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        # (one hook for the three phases instead of three: it runs for every test)
        report = yield
        when = report.when
        if when == "setup":
            self.session.check_provider()  # ... or in one of this test's fixtures (before its body runs)
        elif when == "call":
            if item.stash.get(_CHECKS, False):
                self._check(item, report)
        elif when == "teardown":
            setattr(report, REPORT_ATTR, self.session.finish_test(item.nodeid))
        return report

    def _check(self, item: pytest.Item, report: pytest.TestReport) -> None:
        try:
            failures = self.session.check_item(item, self.session.trace(item.nodeid))
        except Exception as exc:
            failures = [f"could not check the trace: {type(exc).__name__}: {exc}"]
        if not failures:
            return
        text = "\n".join(failures)
        if report.passed:
            report.outcome = "failed"
            report.longrepr = f"{MARKER} checks failed:\n{text}"
        else:
            report.sections.append((f"{MARKER} checks", text))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown" and not self.session.is_worker:
            self.session.add_results(getattr(report, REPORT_ATTR, None))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        waiting = self.session.flush()
        workeroutput = getattr(self.config, "workeroutput", None)
        if isinstance(workeroutput, dict):
            workeroutput[WORKEROUTPUT_KEY] = self.session.worker_payload(waiting)
            return
        self.session.add_results(waiting)
        if self.session.check_run_cost() and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.session.is_worker:
            return
        terminalreporter.section("agenttrace")
        for line in self.session.summary_lines():
            terminalreporter.write_line(line)
        if self.session.run_cost_message:
            terminalreporter.write_line(f"FAILED {OPTION_MAX_RUN_COST}: {self.session.run_cost_message}", red=True)


class _CassetteHooks:
    """Keeps the exception that ended an agent_cassette test's body (registered by the first agent_cassette fixture of
    a run, so runs without cassettes pay nothing for it)."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when == "call" and item.stash.get(_USES_CASSETTE, False):
            item.stash[_CALL_EXCEPTION] = call.excinfo.value if call.excinfo is not None else None
        return report


class _XdistControllerHooks:
    """Merges what each xdist worker sent (registered only when xdist is installed, on the controller)."""

    def __init__(self, session: AgentTraceSession) -> None:
        self.session = session

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        payload = getattr(node, "workeroutput", None) or {}
        self.session.merge_worker_payload(payload.get(WORKEROUTPUT_KEY))


@pytest.fixture
def agent_trace(request: pytest.FixtureRequest) -> LiveTrace:
    """The current test's agent trace, live: it includes spans that end after the fixture was created."""
    session = request.config.stash.get(_SESSION, None)
    if session is None:
        pytest.fail(_not_enabled("the agent_trace fixture"), pytrace=False)
    live = session.live_trace(request.node.nodeid)
    live.bind_baseline(functools.partial(session.check_baseline, request.node))
    return live


@pytest.fixture(scope="session")
def agenttrace_tracer_provider(request: pytest.FixtureRequest) -> Any:
    """The SDK TracerProvider the plugin captures from: pass it to instrumentors (`instrument(tracer_provider=...)`)."""
    session = request.config.stash.get(_SESSION, None)
    if session is None:
        pytest.fail(_not_enabled("the agenttrace_tracer_provider fixture"), pytrace=False)
    return session.capture_provider()


@pytest.fixture
def agent_cassette(request: pytest.FixtureRequest) -> Generator[ReplaySession, None, None]:
    """Replay this test's tools and LLM calls from `cassettes/<module>/<test>.yaml` (or record them).

    Mode: `--agenttrace-record-mode`, else the marker's `record_mode=`, else `none` (always `none` when CI is
    set). A missed tool call or request fails the test; `agent_cassette.override_tool(...)` injects faults.
    """
    from ._errors import ConfigError
    from .cassettes._pytest import cassette_for_test

    mode = request.config.getoption("agenttrace_record_mode", None)
    plugins = request.config.pluginmanager
    if plugins.get_plugin(CASSETTE_HOOKS) is None:
        plugins.register(_CassetteHooks(), CASSETTE_HOOKS)
    request.node.stash[_USES_CASSETTE] = True
    try:
        with cassette_for_test(request.node, request.config, option_mode=mode) as session:
            yield session
            session.body_exception = request.node.stash.get(_CALL_EXCEPTION, None)
    except ConfigError as exc:  # a bad marker argument or [tool.agenttrace] scrub: raised before the test runs
        pytest.fail(str(exc), pytrace=False)
