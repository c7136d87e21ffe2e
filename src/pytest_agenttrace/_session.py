"""Per-run capture state: which test each captured span belongs to, per-test data, totals, xdist payloads.

Attribution rule (one process runs one test at a time):

1. A span belongs to the test that is running (setup, call or teardown) when the span ENDS.
2. A span that ends later than its test (a background thread, a late exporter) belongs to the test in which its
   trace id was first seen; this also applies to a span that ends during a later test but started before that
   test began. Failing a known trace id, it belongs to the test that was running when it started.
3. A span that ends between tests with an unseen trace id (and that started outside any test) is "unattributed":
   counted in the run totals and reported with a one-line warning.

Threads, asyncio tasks and sub-agents whose context travelled via `opentelemetry.propagate` inject/extract are
covered: they end during the test or share its trace id. Limit: a thread that outlives its test and starts a NEW
trace is attributed to whichever test runs when its span ends. Spans that arrive after their test ended (its
teardown report) are "late": counted in a note of the summary, they cannot change that test's data.
"""

from __future__ import annotations

import bisect
import gc
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ._config import AgentTraceConfig
from ._errors import AgentTraceError, ConfigError
from ._model import Trace, unlink_tree
from ._summary import DEFAULT_SUMMARY, format_summary, report_data
from .cost import _DAY_NS, USAGE_KEY_FIELDS, usage_of

if TYPE_CHECKING:
    from ._live import LiveTrace
    from ._price_cache import PriceCache
    from ._records import SpanRecord

__all__ = ["AgentTraceCaptureWarning", "AgentTraceSession"]

_UNSET_BUDGET: Any = object()
#: Names of unattributed spans kept for the summary's warning line.
_UNATTRIBUTED_NAMES = 3
#: Finished tests whose report data is built in one go (as OTel's BatchSpanProcessor exports spans): building
#: traces back to back keeps the builder's code and data hot in the CPU caches, where one build between two tests'
#: worth of pytest machinery runs cold (a 1,000-test run vs plugin off: 1.165x batched, 1.193x one at a time, when
#: the benchmark still autoloaded the venv's other pytest plugins on both sides).
BATCH_TESTS = 16
#: ... or sooner, once the waiting tests hold this many spans (their records are kept until then).
BATCH_SPANS = 2000


class AgentTraceCaptureWarning(pytest.PytestWarning):
    """Spans cannot be captured (e.g. the global tracer provider is not the OpenTelemetry SDK's)."""


def _warn(warning: Warning) -> None:
    warnings.warn(warning, stacklevel=3)


class _TestBucket:
    """The records of one test while it runs (dropped once its report data is built, unless kept)."""

    __slots__ = ("end_ns", "live", "nodeid", "records", "start_ns")

    def __init__(self, nodeid: str, start_ns: int) -> None:
        self.nodeid = nodeid
        self.start_ns = start_ns
        self.end_ns = 0
        self.records: list[SpanRecord] = []
        self.live: LiveTrace | None = None


class AgentTraceSession:
    """The state of one pytest session with `--agenttrace`: capture sink, per-test buckets and collected data."""

    def __init__(
        self, settings: AgentTraceConfig | None = None, *, summary: str | None = None, is_worker: bool = False
    ) -> None:
        self.settings = settings or AgentTraceConfig()
        self.summary_mode = summary or self.settings.summary or DEFAULT_SUMMARY
        self.is_worker = is_worker
        #: Keep each test's records after its report data is built (set by features that need them later).
        self.keep_records = False
        #: Tests whose report data is built together (`flush`); 1 on an xdist worker, where each test's data must
        #: travel on its own report (and a worker that crashes must not take finished tests' data with it).
        self.batch_tests = 1 if is_worker else BATCH_TESTS
        self._waiting: list[_TestBucket] = []
        self._waiting_spans = 0
        #: nodeid -> records, filled only when `keep_records` is set.
        self.kept: dict[str, list[SpanRecord]] = {}
        #: The provider spans are captured from (None when the global provider is not the SDK's).
        self.provider: Any = None
        self._global_seen: Any = None
        self._get_global: Callable[[], Any] | None = None
        self._fallback_provider: Any = None
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        self._current: _TestBucket | None = None
        self._buckets: dict[str, _TestBucket] = {}
        # finished tests in run order, for "which test ran when this span started": start and end times and node
        # ids in three flat lists, and trace id -> index (plain values only: nothing per test for the cyclic GC to
        # track and re-scan for the rest of the run)
        self._finished_starts: list[int] = []
        self._finished_ends: list[int] = []
        self._finished_ids: list[str] = []
        self._trace_owner: dict[str, int] = {}
        self.unattributed = 0
        self.unattributed_names: list[str] = []
        self.late = 0
        #: (nodeid, test data) in the order reports arrived (on the controller / a non-xdist run).
        self.results: list[tuple[str, dict[str, Any]]] = []
        self._started = False
        from ._budgets import budget_defaults
        from .cost import parse_prices

        table = self.settings.extra
        #: Price overrides of `[tool.agenttrace.prices]` and the `unknown_price` policy.
        self.prices = parse_prices(table.get("prices"), unknown_price=str(table.get("unknown_price", "error")))
        #: Budget defaults of `[tool.agenttrace]` (max_cost_usd = ..., max_llm_calls = ..., ...).
        self.budget_defaults = budget_defaults(table)
        self._default_budget: Any = _UNSET_BUDGET  # (the budget of a test without markers, made on first use)
        from .baseline import BaselineStore

        #: Golden trajectories (`assert_matches_baseline`, marker `baseline=`); the plugin sets root and update.
        self.baselines = BaselineStore(Path("."), update=False)
        #: Test folders whose unused baselines are reported (set only when the whole suite was selected).
        self.baseline_dirs: list[str] = []
        from ._sizes import DEFAULT_MAX_ATTR_CHARS, MAX_ATTR_CHARS_ENV, limit_from

        #: Captured attribute strings longer than this are cut and marked (`AGENTTRACE_MAX_ATTR_CHARS`).
        self.max_attr_chars = limit_from(None, MAX_ATTR_CHARS_ENV, DEFAULT_MAX_ATTR_CHARS)
        #: The persistent memo of genai-prices answers (`use_cache_dir`); None: genai-prices is asked every run.
        self.price_cache: PriceCache | None = None
        self._previous_memo: PriceCache | None = None
        #: Run-wide cost limit (`--agenttrace-max-cost-usd`).
        self.max_run_cost: float | None = None
        self.run_cost_message: str | None = None

    # -- capture lifecycle ---------------------------------------------------------------------------------
    def start(self, *, warn: Callable[[Warning], None] | None = None) -> None:
        """Receive captured spans and capture from the global tracer provider (installing one if none is set)."""
        from . import _capture, cost

        _capture.max_attr_chars = self.max_attr_chars
        _capture.push_sink(self.add)
        self._previous_memo = cost.use_price_cache(self.price_cache)
        self._started = True
        self.check_provider(warn=warn)

    def stop(self) -> None:
        """Stop receiving spans (an outer session, if any, receives them again)."""
        if self._started:
            from . import _capture, cost

            _capture.pop_sink(self.add)
            cost.use_price_cache(self._previous_memo)
            self._started = False
            if self.price_cache is not None:
                self.price_cache.save()  # (only when the run learned new prices; workers only read it)

    def use_cache_dir(self, locate: Callable[[], Path]) -> None:
        """Keep genai-prices' answers in the file `prices.json` of the folder `locate()` returns (called on the first
        price lookup, so a run that prices nothing makes no folder). Set before `start`."""
        from ._price_cache import FILE_NAME, PriceCache

        self.price_cache = PriceCache(lambda: locate() / FILE_NAME, writable=not self.is_worker)

    def check_provider(self, *, warn: Callable[[Warning], None] | None = None) -> None:
        """Attach to the global tracer provider if it changed since last time (called as each test starts and after
        its setup).

        A provider that is not the SDK's is warned about once per type, through `warn` (default `warnings.warn`).
        """
        get_global = self._get_global
        if get_global is None:
            from opentelemetry import trace as trace_api

            get_global = self._get_global = trace_api.get_tracer_provider
        if get_global() is self._global_seen:  # (twice per test: the usual answer, kept cheap)
            return
        from . import _capture

        provider, current = _capture.ensure_global_provider()
        self._global_seen = current
        if provider is not None:
            self.provider = provider
            return
        kind = f"{type(current).__module__}.{type(current).__qualname__}"
        if kind not in self._warned:
            self._warned.add(kind)
            (warn or _warn)(
                AgentTraceCaptureWarning(
                    f"--agenttrace captures nothing from the global tracer provider: it is a {kind}, not an "
                    "opentelemetry.sdk.trace.TracerProvider. Set an SDK TracerProvider globally, or pass the "
                    "agenttrace_tracer_provider fixture (or pytest_agenttrace.capture.attach(provider)) to your "
                    "instrumentor."
                )
            )

    def capture_provider(self) -> Any:
        """The SDK provider spans are captured from; a private one when the global provider is not the SDK's."""
        if self.provider is not None:
            return self.provider
        if self._fallback_provider is None:
            from . import _capture

            self._fallback_provider = _capture.new_provider()
        return self._fallback_provider

    # -- attribution (on_end may run on any thread) ---------------------------------------------------------
    def add(self, record: SpanRecord) -> None:
        """Route one captured span to its test (see the module docstring for the rule)."""
        current = self._current
        if current is not None and record.start_ns >= current.start_ns:
            current.records.append(record)
            return
        self._add_outside(record, current)

    def _add_outside(self, record: SpanRecord, current: _TestBucket | None) -> None:
        with self._lock:
            finished = self._trace_owner.get(record.trace_id)
            if finished is None:
                finished = self._test_running_at(record.start_ns)
            if finished is not None:  # a span of a test that already finished: counted late, not in its data
                self.late += 1
                nodeid = self._finished_ids[finished]
                if self.keep_records and nodeid in self.kept:
                    self.kept[nodeid].append(record)
                return
            if current is None:
                self.unattributed += 1
                if len(self.unattributed_names) < _UNATTRIBUTED_NAMES:
                    self.unattributed_names.append(record.name)
                return
        current.records.append(record)

    def _test_running_at(self, ns: int) -> int | None:
        """The index of the finished test that was running at `ns` (None: none was)."""
        i = bisect.bisect_right(self._finished_starts, ns) - 1
        if i >= 0 and ns <= self._finished_ends[i]:
            return i
        return None

    # -- per test ------------------------------------------------------------------------------------------
    def begin_test(self, nodeid: str) -> None:
        """A test starts (before its setup): spans ending from now on are its own."""
        bucket = _TestBucket(nodeid, time.time_ns())
        self._buckets[nodeid] = bucket
        self._current = bucket

    def records(self, nodeid: str) -> list[SpanRecord]:
        """The records captured so far for a test (empty for an unknown test)."""
        bucket = self._buckets.get(nodeid)
        if bucket is not None:
            return bucket.records
        return self.kept.get(nodeid, [])

    def live_trace(self, nodeid: str) -> LiveTrace:
        """The live trace of a running test (what the `agent_trace` fixture returns); one per test."""
        from ._live import LiveTrace

        bucket = self._buckets.get(nodeid)
        if bucket is None:
            return LiveTrace(lambda: self.kept.get(nodeid, []), source=f"pytest:{nodeid}")
        if bucket.live is None:
            bucket.live = LiveTrace(lambda: bucket.records, source=f"pytest:{nodeid}")
        return bucket.live

    def trace(self, nodeid: str) -> Trace:
        """The current `Trace` snapshot of a test."""
        return self.live_trace(nodeid).snapshot()

    def check_item(self, item: pytest.Item, trace: Trace) -> list[str]:
        """Failure messages for the checks the `agenttrace(...)` marker asks for ([] when all pass).

        The single call point for marker-driven checks (budgets from `pytest_agenttrace._budgets` land here).
        """
        from ._budgets import check_budget

        failures: list[str] = []
        budget = self.budget_for(item)
        if budget is not None:
            trace.cost_table = self.prices
            failures += check_budget(trace, budget, prices=self.prices)
        baseline = self.baseline_for(item)
        if baseline is not None:
            problem = self.check_baseline(item, trace, **baseline)
            if problem is not None:
                failures.append(problem)
        return failures

    def budget_for(self, item: pytest.Item, markers: Sequence[pytest.Mark] | None = None) -> Any:
        """The test's budget: `[tool.agenttrace]` defaults overridden by its merged `agenttrace(...)` markers
        (closest wins); None when neither sets anything. A bad argument raises ConfigError (checked at
        collection by the plugin, so it surfaces as a usage error before any test runs). `markers`: the item's
        `agenttrace` markers, closest first, when the caller has them already."""
        from ._budgets import Budget, parse_budget, split_marker_kwargs

        if markers is None:
            markers = list(item.iter_markers("agenttrace"))
        if not markers:  # most tests: the defaults alone, the same budget for all of them
            if self._default_budget is _UNSET_BUDGET:
                budget = parse_budget({}, defaults=self.budget_defaults, where="[tool.agenttrace]")
                self._default_budget = None if budget == Budget() else budget
            return self._default_budget
        merged: dict[str, Any] = {}
        for marker in reversed(markers):
            if marker.args:
                raise ConfigError(
                    f"@pytest.mark.agenttrace on {item.nodeid}: takes keyword arguments only, got {marker.args!r}"
                )
            merged.update(marker.kwargs)
        budget_kwargs, _ = split_marker_kwargs(merged)
        budget = parse_budget(
            budget_kwargs, defaults=self.budget_defaults, where=f"@pytest.mark.agenttrace on {item.nodeid}"
        )
        return None if budget == Budget() else budget

    def baseline_for(self, item: pytest.Item, markers: Sequence[pytest.Mark] | None = None) -> dict[str, Any] | None:
        """The `baseline=` marker argument as keyword arguments of `check_baseline` (None: no baseline check).

        `baseline=True`, a list of volatile patterns, or `{"volatile": [...], "include_results": bool, "name": str}`.
        `markers`: the item's `agenttrace` markers, closest first, when the caller has them already.
        """
        if markers is None:
            markers = list(item.iter_markers("agenttrace"))
        marker = markers[0] if markers else None
        value = marker.kwargs.get("baseline") if marker is not None else None
        where = f"@pytest.mark.agenttrace(baseline=...) on {item.nodeid}"
        if value is None or value is False:
            return None
        if value is True:
            return {}
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return {"volatile": list(value)}
        if isinstance(value, dict) and set(value) <= {"volatile", "include_results", "name"}:
            return dict(value)
        raise ConfigError(
            f"{where}: got {value!r}; use True, a list of volatile patterns, or "
            '{"volatile": [...], "include_results": True, "name": "..."}'
        )

    def check_baseline(
        self, item: Any, trace: Trace, *, name: str | None = None, volatile: Any = (), include_results: bool = False
    ) -> str | None:
        """Compare a test's trace with its stored baseline (or write it with --agenttrace-update)."""
        return self.baselines.check(
            item.nodeid, item.path, name or item.name, trace, volatile, include_results=include_results
        )

    def finish_test(self, nodeid: str) -> list[tuple[str, dict[str, Any]]]:
        """A test ended (teardown): its spans are complete. Returns the `(node id, report data)` pairs ready now:
        data is built for `batch_tests` finished tests at once (`flush`), so this is often `[]`."""
        self._retire(nodeid)
        if len(self._waiting) >= self.batch_tests or self._waiting_spans >= BATCH_SPANS:
            return self.flush()
        return []

    def _retire(self, nodeid: str) -> None:
        """Stop attributing spans to the test; its records wait for `flush`."""
        bucket = self._buckets.pop(nodeid, None)
        if bucket is None:
            self._waiting.append(_TestBucket(nodeid, 0))  # (no records: {"spans": 0}, kept in its place)
            return
        if self._current is bucket:
            self._current = None
        with self._lock:
            bucket.end_ns = time.time_ns()
            records = bucket.records
            index = len(self._finished_ids)
            owner = self._trace_owner
            for record in records:
                if record.trace_id not in owner:
                    owner[record.trace_id] = index
            self._finished_starts.append(bucket.start_ns)
            self._finished_ends.append(bucket.end_ns)
            self._finished_ids.append(nodeid)
            if self.keep_records:
                self.kept[nodeid] = records
        self._waiting.append(bucket)
        self._waiting_spans += len(records)

    def flush(self) -> list[tuple[str, dict[str, Any]]]:
        """The report data of every finished test still waiting, in the order they finished; their records are
        dropped, each test's right after its data is built (while the build has them in the CPU caches). The cyclic
        GC is paused while the batch is built: each trace allocates a few hundred objects that all die with it, and a
        collection while they are alive would re-scan and promote every one of them."""
        waiting, self._waiting, self._waiting_spans = self._waiting, [], 0
        if not waiting:
            return []
        done: list[tuple[str, dict[str, Any]]] = []
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            for bucket in waiting:
                done.append((bucket.nodeid, self._test_data(bucket)))
                bucket.records = []
                bucket.live = None
        finally:
            if was_enabled:
                gc.enable()
        return done

    def _test_data(self, bucket: _TestBucket) -> dict[str, Any]:
        """One test's report data (called by `flush`)."""
        if not bucket.records:
            return {"spans": 0}
        return self._build_test_data(bucket)

    def _build_test_data(self, bucket: _TestBucket) -> dict[str, Any]:
        try:
            trace = bucket.live.snapshot() if bucket.live is not None else None
            if trace is not None and len(trace.records) == len(bucket.records):
                data = report_data(trace)
                data["llm_usage"] = _usage_rows(trace)
                return data
            trace = Trace.from_records(tuple(bucket.records), source=f"pytest:{bucket.nodeid}")
            data = report_data(trace)
            data["llm_usage"] = _usage_rows(trace)
            unlink_tree(trace)  # built here and dropped here: freed now, not left to the cyclic GC
            return data
        except Exception as exc:  # a normalizer bug must not break the run: the summary reports it
            return {"spans": len(bucket.records), "build_error": f"{type(exc).__name__}: {exc}"}

    def _price_results(self) -> None:
        """Fill each collected test's `cost_usd` from its usage rows (None when a model has no price: the budget
        check reports that itself). Priced here, where the summary is shown, not at each test's teardown: only this
        process loads genai-prices' table, once, after the tests ran (its ~25k objects would otherwise slow every
        garbage collection of every worker for the rest of the run)."""
        from .cost import UnknownPriceError, price_usage

        prices: dict[tuple[Any, ...], Decimal | BaseException] = {}  # a run repeats the same usages many times

        def price(row: Sequence[Any]) -> Decimal:
            key = tuple(row[2:])  # as in `_usage_rows`: the span id and name only name the call in an error
            found = prices.get(key)
            if found is None:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # unknown_price = "warn": the budget check warns, not this
                        found = price_usage(row, prices=self.prices).cost_usd
                except (AgentTraceError, TypeError, ValueError) as exc:
                    found = exc
                prices[key] = found
            if isinstance(found, BaseException):
                raise found
            return found

        for _, data in self.results:
            rows = data.pop("llm_usage", None)
            if not isinstance(rows, list | tuple):
                continue
            try:
                data["cost_usd"] = float(sum((count * price(row) for count, row in rows), Decimal(0)))
            except UnknownPriceError:
                data["cost_usd"] = None
            except (AgentTraceError, TypeError, ValueError) as exc:  # bad usage (cache > input tokens, a bad row)
                data["cost_usd"] = None
                data.setdefault("build_error", f"{type(exc).__name__}: {exc}")

    def check_run_cost(self) -> str | None:
        """The `--agenttrace-max-cost-usd` failure message, if the run's summed cost exceeds it."""
        from ._budgets import check_run_cost
        from ._summary import run_totals

        if self.max_run_cost is None:
            return None
        self._price_results()
        total = run_totals(data for _, data in self.results).get("cost_usd") or 0.0
        self.run_cost_message = check_run_cost(float(total), self.max_run_cost)
        return self.run_cost_message

    def abandon_test(self, nodeid: str) -> None:
        """Retire a test whose teardown report never came (interrupted run); its data comes with the next `flush`."""
        if nodeid in self._buckets:
            self._retire(nodeid)

    # -- results -------------------------------------------------------------------------------------------
    def add_result(self, nodeid: str, data: Any) -> None:
        """Collect a test's report data (tolerates anything that is not a dict: crashed workers)."""
        if isinstance(data, dict):
            self.results.append((nodeid, data))

    def add_results(self, pairs: Any) -> None:
        """Collect `(node id, report data)` pairs as `finish_test`/`flush` return them (lists once they crossed
        from an xdist worker; anything else is ignored)."""
        if not isinstance(pairs, list | tuple):
            return
        for pair in pairs:
            if isinstance(pair, list | tuple) and len(pair) == 2 and isinstance(pair[0], str):
                self.add_result(pair[0], pair[1])

    def worker_payload(self, tests: Sequence[tuple[str, dict[str, Any]]] = ()) -> dict[str, Any]:
        """What an xdist worker sends to the controller besides its reports (JSON-safe): counters, baselines, and
        `tests`, the report data of tests still waiting at the end (`flush`)."""
        return {
            "tests": [list(pair) for pair in tests],
            "unattributed": self.unattributed,
            "unattributed_names": list(self.unattributed_names),
            "late": self.late,
            "baselines": self.baselines.to_payload(),
        }

    def merge_worker_payload(self, payload: Any) -> None:
        """Add a worker's payload (a missing or malformed one, from a crashed worker, is ignored)."""
        if not isinstance(payload, dict):
            return
        with self._lock:
            self.unattributed += int(payload.get("unattributed") or 0)
            self.late += int(payload.get("late") or 0)
            self.add_results(payload.get("tests"))
            baselines = payload.get("baselines")
            self.baselines.merge(baselines if isinstance(baselines, dict) else None)
            for name in payload.get("unattributed_names") or ():
                if len(self.unattributed_names) < _UNATTRIBUTED_NAMES:
                    self.unattributed_names.append(str(name))

    def summary_lines(self) -> list[str]:
        """The lines of the terminal summary section."""
        self._price_results()
        lines = format_summary(
            self.results,
            mode=self.summary_mode,
            unattributed=self.unattributed,
            unattributed_names=self.unattributed_names,
            late=self.late,
        )
        memo = self.price_cache
        if memo is not None:
            memo.save()  # (here, not only at unconfigure: a problem with the file can still be shown)
            if memo.problem:
                lines.append(f"note: genai-prices answers are not kept between runs: {memo.problem}")
        return lines + self.baselines.summary_lines(self.baseline_dirs)


def _usage_rows(trace: Trace) -> tuple[tuple[int, tuple[Any, ...]], ...]:
    """`(count, usage row)` per distinct usage of the trace's LLM calls (`cost.usage_of`): what its cost depends on,
    priced at the end of the run (`AgentTraceSession._price_results`). Tuples of plain values, which the cyclic GC
    stops tracking: a run keeps one per test until the end. Calls are told apart by `USAGE_KEY_FIELDS` and the day
    (the span id and name only name the call in an error); a row is made for the first call of each usage only."""
    rows: dict[tuple[Any, ...], list[Any]] = {}
    for call in trace.llm_calls:
        start = call.start_ns
        key = (_usage_key(call), start - start % _DAY_NS if start > 0 else 0)
        seen = rows.get(key)
        if seen is None:
            rows[key] = [1, call]
        else:
            seen[0] += 1
    return tuple((n, usage_of(call)) for n, call in rows.values())


_usage_key = attrgetter(*USAGE_KEY_FIELDS)
