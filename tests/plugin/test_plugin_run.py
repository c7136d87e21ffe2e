"""`pytest --agenttrace` end to end through pytester: capture, attribution, fixtures, summary, options."""

from __future__ import annotations

import json

import pytest

from pytest_agenttrace.plugin import INI_ENABLE, OPTION_ENABLE, OPTION_SUMMARY

# A tiny "agent" made of GenAI-semconv spans with the plain OTel API (no SDK import in the test module).
AGENTLIB = """
from opentelemetry import trace

tracer = trace.get_tracer("agentlib")


def chat(model="gpt-4o-mini", inp=10, out=3):
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.usage.input_tokens": inp,
        "gen_ai.usage.output_tokens": out,
    }
    with tracer.start_as_current_span(f"chat {model}", attributes=attrs):
        pass


def tool(name):
    attrs = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name}
    with tracer.start_as_current_span(f"execute_tool {name}", attributes=attrs):
        pass


def agent(name="bot", tools=("search",)):
    attrs = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name}
    with tracer.start_as_current_span(f"invoke_agent {name}", attributes=attrs):
        for t in tools:
            chat()
            tool(t)
        chat()
"""


def span_names(agent_trace):
    return sorted(r.name for r in agent_trace.records)


def test_genai_spans_are_visible_in_agent_trace(pt: pytest.Pytester) -> None:
    pt.makepyfile(agentlib=AGENTLIB)
    pt.makepyfile(
        """
        import agentlib
        from pytest_agenttrace import Trace

        def test_agent(agent_trace):
            assert len(agent_trace) == 0 and not agent_trace
            agentlib.agent(tools=["search", "lookup"])
            assert len(agent_trace) == 5 + 1 and agent_trace
            names = sorted(r.name for r in agent_trace.records)
            tools = ["execute_tool lookup", "execute_tool search"]
            assert names == ["chat gpt-4o-mini"] * 3 + tools + ["invoke_agent bot"]
            rec = next(r for r in agent_trace.records if r.name == "execute_tool search")
            assert len(rec.trace_id) == 32 and len(rec.span_id) == 16 and rec.parent_id
            assert rec.attributes["gen_ai.tool.name"] == "search"
            assert rec.resource["service.name"] == "pytest-agenttrace"
            assert rec.scope_name == "agentlib"
            assert isinstance(agent_trace.snapshot(), Trace)
            assert agent_trace.snapshot().source == "pytest:test_genai_spans_are_visible_in_agent_trace.py::test_agent"
            assert agent_trace.tool_names == ["search", "lookup"]
            assert len(agent_trace.llm_calls) == 3
            assert agent_trace.input_tokens == 30 and agent_trace.output_tokens == 9
            assert "search" in repr(agent_trace)
        """
    )
    result = pt.runpytest(OPTION_ENABLE)
    result.assert_outcomes(passed=1)


def test_consecutive_tests_do_not_leak(pt: pytest.Pytester) -> None:
    pt.makepyfile(agentlib=AGENTLIB)
    pt.makepyfile(
        """
        import agentlib

        def test_first(agent_trace):
            agentlib.chat()
            agentlib.chat()
            assert len(agent_trace) == 2

        def test_second(agent_trace):
            assert len(agent_trace) == 0
            agentlib.tool("x")
            assert [r.name for r in agent_trace.records] == ["execute_tool x"]

        def test_third_without_fixture():
            agentlib.chat()

        def test_fourth(agent_trace):
            assert len(agent_trace) == 0
        """
    )
    result = pt.runpytest(OPTION_ENABLE, f"{OPTION_SUMMARY}=all")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*= agenttrace =*",
            "test * LLM calls * tool calls * input tok * output tok * errors * cost",
            "*::test_first * 2 * 0 * 20 * 6 * 0 * $*",
            "*::test_second * 0 * 1 * 0 * 0 * 0 * $*",
            "*::test_third_without_fixture * 1 * 0 * 10 * 3 * 0 * $*",
            "*::test_fourth * 0 * 0 * 0 * 0 * 0 * -",
            "totals: 3 tests with traces, 3 LLM calls, 1 tool calls, 30 input tokens, 9 output tokens, 0 errors, "
            "0 unattributed spans, cost $*",
        ]
    )


ATTRIBUTION_TESTS = """
import asyncio
import threading

import agentlib
from opentelemetry import context, propagate, trace

tracer = trace.get_tracer("attribution")


def test_thread(agent_trace):
    t = threading.Thread(target=agentlib.agent, kwargs={"name": "threaded"})
    t.start()
    t.join()
    assert sorted(r.name for r in agent_trace.records) == [
        "chat gpt-4o-mini", "chat gpt-4o-mini", "execute_tool search", "invoke_agent threaded"]


def test_neighbour_after_thread(agent_trace):
    assert len(agent_trace) == 0


def test_asyncio_tasks(agent_trace):
    async def worker(name):
        await asyncio.sleep(0)
        with tracer.start_as_current_span(f"task {name}"):
            await asyncio.sleep(0)

    async def main():
        with tracer.start_as_current_span("root"):
            await asyncio.gather(worker("a"), worker("b"))

    asyncio.run(main())
    assert sorted(r.name for r in agent_trace.records) == ["root", "task a", "task b"]
    assert len({r.trace_id for r in agent_trace.records}) == 1


def test_carrier_sub_agent(agent_trace):
    carrier = {}

    def sub_agent(carrier):
        ctx = propagate.extract(carrier)
        token = context.attach(ctx)
        try:
            agentlib.agent(name="sub", tools=())
        finally:
            context.detach(token)

    with tracer.start_as_current_span("orchestrator") as span:
        propagate.inject(carrier)
        t = threading.Thread(target=sub_agent, args=(carrier,))
        t.start()
        t.join()
    records = {r.name: r for r in agent_trace.records}
    assert sorted(records) == ["chat gpt-4o-mini", "invoke_agent sub", "orchestrator"]
    assert records["invoke_agent sub"].parent_id == records["orchestrator"].span_id
    assert len({r.trace_id for r in agent_trace.records}) == 1


def test_neighbour_after_carrier(agent_trace):
    assert len(agent_trace) == 0
"""


def test_threads_tasks_and_carriers_are_attributed_to_their_test(pt: pytest.Pytester) -> None:
    pt.makepyfile(agentlib=AGENTLIB, test_inner_attribution=ATTRIBUTION_TESTS)
    result = pt.runpytest(OPTION_ENABLE)
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["totals: 3 tests with traces, 3 LLM calls, 1 tool calls, *, 0 unattributed spans*"])


def test_late_background_span_belongs_to_the_test_that_started_it(pt: pytest.Pytester) -> None:
    pt.makepyfile(agentlib=AGENTLIB)
    pt.makepyfile(
        """
        import threading
        from opentelemetry import trace

        tracer = trace.get_tracer("late")
        release = threading.Event()
        started = threading.Event()
        threads = []

        def background():
            with tracer.start_as_current_span("background job"):
                started.set()
                release.wait(10)

        def test_starts_background(agent_trace):
            t = threading.Thread(target=background)
            threads.append(t)
            t.start()
            started.wait(10)
            with tracer.start_as_current_span("own span"):
                pass
            assert [r.name for r in agent_trace.records] == ["own span"]

        def test_neighbour(agent_trace):
            release.set()
            threads[0].join(10)
            assert not threads[0].is_alive()
            assert len(agent_trace) == 0
        """
    )
    result = pt.runpytest(OPTION_ENABLE)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*0 unattributed spans*", "note: 1 spans ended after their test's report was built*"])


def test_spans_between_tests_are_unattributed(pt: pytest.Pytester) -> None:
    pt.makeconftest(
        """
        from opentelemetry import trace

        def pytest_collection_finish(session):
            with trace.get_tracer("conftest").start_as_current_span("collection span"):
                pass
        """
    )
    pt.makepyfile(
        """
        def test_empty(agent_trace):
            assert len(agent_trace) == 0
        """
    )
    result = pt.runpytest(OPTION_ENABLE)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "totals: 0 tests with traces, *, 1 unattributed spans",
            "warning: 1 spans ended outside any test and were not attributed (first: 'collection span')*",
        ]
    )


def test_user_sdk_provider_keeps_its_exporter(pt: pytest.Pytester) -> None:
    pt.makepyfile(agentlib=AGENTLIB)
    pt.makeconftest(
        """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        EXPORTER = InMemorySpanExporter()
        PROVIDER = TracerProvider()

        def pytest_configure(config):
            PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
            trace.set_tracer_provider(PROVIDER)
        """
    )
    pt.makepyfile(
        """
        import agentlib
        from conftest import EXPORTER, PROVIDER
        from opentelemetry import trace

        def test_both_see_spans(agent_trace, agenttrace_tracer_provider):
            EXPORTER.clear()
            agentlib.chat()
            assert trace.get_tracer_provider() is PROVIDER
            assert agenttrace_tracer_provider is PROVIDER
            assert [s.name for s in EXPORTER.get_finished_spans()] == ["chat gpt-4o-mini"]
            assert [r.name for r in agent_trace.records] == ["chat gpt-4o-mini"]
        """
    )
    result = pt.runpytest(OPTION_ENABLE)
    result.assert_outcomes(passed=1)


def test_provider_set_in_a_fixture_is_picked_up_before_the_body_and_at_the_next_test(pt: pytest.Pytester) -> None:
    # A fixture that resets the OTel globals and installs its own SDK provider (as OTel's own test utils do).
    pt.makepyfile(agentlib=AGENTLIB)
    pt.makeconftest(
        """
        import pytest
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.util._once import Once

        @pytest.fixture
        def own_provider():
            trace._TRACER_PROVIDER_SET_ONCE = Once()
            trace._TRACER_PROVIDER = None
            provider = TracerProvider()
            trace.set_tracer_provider(provider)
            return provider
        """
    )
    pt.makepyfile(
        """
        import agentlib
        from opentelemetry import trace

        def test_fixture_sets_provider(own_provider, agent_trace):
            assert trace.get_tracer_provider() is own_provider
            agentlib.chat()  # (a tracer of the provider installed at configure)
            with trace.get_tracer("late").start_as_current_span("made through the fixture's provider"):
                pass
            assert [r.name for r in agent_trace.records] == ["chat gpt-4o-mini", "made through the fixture's provider"]

        def test_next(agent_trace):
            agentlib.tool("t")
            assert len(agent_trace) == 1
        """
    )
    result = pt.runpytest(OPTION_ENABLE)
    result.assert_outcomes(passed=2)


def test_private_provider_via_fixture_and_attach(pt: pytest.Pytester) -> None:
    pt.makepyfile(
        """
        from opentelemetry.sdk.trace import TracerProvider
        from pytest_agenttrace import _capture

        def test_fixture_provider(agent_trace, agenttrace_tracer_provider):
            with agenttrace_tracer_provider.get_tracer("instr").start_as_current_span("via fixture"):
                pass
            assert [r.name for r in agent_trace.records] == ["via fixture"]

        def test_attach_private_provider(agent_trace):
            mine = TracerProvider()
            _capture.attach(mine)
            _capture.attach(mine)  # idempotent: still one processor
            with mine.get_tracer("instr").start_as_current_span("via attach"):
                pass
            assert [r.name for r in agent_trace.records] == ["via attach"]
        """
    )
    result = pt.runpytest(OPTION_ENABLE)
    result.assert_outcomes(passed=2)


def test_non_sdk_global_provider_warns_once_and_captures_nothing(pt: pytest.Pytester) -> None:
    pt.makeconftest(
        """
        from opentelemetry import trace

        class VendorProvider(trace.NoOpTracerProvider):
            pass

        def pytest_configure(config):
            trace.set_tracer_provider(VendorProvider())
        """
    )
    pt.makepyfile(
        """
        from opentelemetry import trace

        def test_one(agent_trace):
            with trace.get_tracer("x").start_as_current_span("lost"):
                pass
            assert len(agent_trace) == 0

        def test_two(agent_trace, agenttrace_tracer_provider):
            with agenttrace_tracer_provider.get_tracer("x").start_as_current_span("kept"):
                pass
            assert [r.name for r in agent_trace.records] == ["kept"]
        """
    )
    result = pt.runpytest(OPTION_ENABLE)
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        ["*AgentTraceCaptureWarning: --agenttrace captures nothing*conftest.VendorProvider*agenttrace_tracer_provider*"]
    )


def test_repeated_in_process_sessions_each_capture(pt: pytest.Pytester) -> None:
    pt.makepyfile(agentlib=AGENTLIB)
    pt.makepyfile(
        """
        import agentlib

        def test_one(agent_trace):
            agentlib.chat()
            assert len(agent_trace) == 1
        """
    )
    for _ in range(2):
        result = pt.runpytest(OPTION_ENABLE)
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["totals: 1 tests with traces, 1 LLM calls, *"])


def test_fixture_without_flag_fails_with_the_remedy(pt: pytest.Pytester) -> None:
    pt.makepyfile(
        """
        def test_needs_trace(agent_trace):
            pass

        def test_needs_provider(agenttrace_tracer_provider):
            pass
        """
    )
    result = pt.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            f"*the agent_trace fixture needs trace capture, which is off: run pytest with {OPTION_ENABLE}, "
            f"or set `{INI_ENABLE} = true` in the ini file*",
            "*the agenttrace_tracer_provider fixture needs trace capture*",
        ]
    )
    result.stdout.no_fnmatch_line("*= agenttrace =*")


def test_ini_key_enables_capture(pytester: pytest.Pytester, fresh_otel_globals: None, quiet_ini: str) -> None:
    pytester.makeini(f"{quiet_ini}{INI_ENABLE} = true\n")
    pytester.makepyfile(agentlib=AGENTLIB)
    pytester.makepyfile(
        """
        import agentlib

        def test_one(agent_trace):
            agentlib.chat()
            assert len(agent_trace) == 1
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*= agenttrace =*", "totals: 1 tests with traces, *"])


@pytest.mark.parametrize(
    ("mode", "listed"),
    [("auto", ["test_llm"]), ("all", ["test_llm", "test_plain", "test_no_steps"]), ("none", [])],
)
def test_summary_modes(pt: pytest.Pytester, mode: str, listed: list[str]) -> None:
    pt.makepyfile(agentlib=AGENTLIB)
    pt.makepyfile(
        test_modes="""
        import agentlib
        from opentelemetry import trace

        def test_llm():
            agentlib.chat()

        def test_plain():
            pass

        def test_no_steps():
            with trace.get_tracer("x").start_as_current_span("not genai"):
                pass
        """
    )
    result = pt.runpytest(OPTION_ENABLE, f"{OPTION_SUMMARY}={mode}")
    result.assert_outcomes(passed=3)
    out = result.stdout.str()
    section = out[out.index("= agenttrace =") :]
    for name in ("test_llm", "test_plain", "test_no_steps"):
        assert (f"test_modes.py::{name} " in section) == (name in listed), (name, section)
    assert "totals: 2 tests with traces, 1 LLM calls, 0 tool calls, 10 input tokens, 3 output tokens" in section


def test_pyproject_summary_default_and_cli_override(pt: pytest.Pytester) -> None:
    pt.makepyprojecttoml(
        '[tool.agenttrace]\nsummary = "none"\nprices = {x = {input_per_mtok = 1.0, output_per_mtok = 2.0}}\n'
    )
    pt.makepyfile(agentlib=AGENTLIB)
    pt.makepyfile(
        test_p="""
        import agentlib

        def test_llm():
            agentlib.chat()
        """
    )
    result = pt.runpytest(OPTION_ENABLE)
    assert "test_p.py::test_llm " not in result.stdout.str()
    result.stdout.fnmatch_lines(["totals: 1 tests with traces, *"])
    result = pt.runpytest(OPTION_ENABLE, f"{OPTION_SUMMARY}=auto")
    result.stdout.fnmatch_lines(["test_p.py::test_llm *"])


def test_bad_pyproject_is_a_usage_error(pt: pytest.Pytester) -> None:
    pt.makepyprojecttoml('[tool.agenttrace]\nsummary = "loud"\n')
    pt.makepyfile("def test_x():\n    pass\n")
    result = pt.runpytest(OPTION_ENABLE)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pyproject.toml: [[]tool.agenttrace[]] summary = 'loud' is not one of*"])
    # Without the flag the file is not read.
    pt.runpytest().assert_outcomes(passed=1)


def test_bad_summary_choice_is_refused(pt: pytest.Pytester) -> None:
    result = pt.runpytest(OPTION_ENABLE, f"{OPTION_SUMMARY}=loud")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*argument --agenttrace-summary: invalid choice: 'loud'*"])


def test_marker_is_registered_and_check_item_is_the_call_point(pt: pytest.Pytester) -> None:
    pt.makepyfile(agentlib=AGENTLIB)
    pt.makeconftest(
        """
        from pytest_agenttrace._session import AgentTraceSession

        def fake_check(self, item, trace):
            marker = item.get_closest_marker("agenttrace")
            limit = marker.kwargs.get("max_llm_calls")
            if limit is not None and len(trace.llm_calls) > limit:
                return [f"{len(trace.llm_calls)} LLM calls > max_llm_calls={limit}"]
            return []

        AgentTraceSession.check_item = fake_check
        """
    )
    pt.makepyfile(
        """
        import pytest
        import agentlib

        @pytest.mark.agenttrace(max_llm_calls=1)
        def test_over():
            agentlib.chat()
            agentlib.chat()

        @pytest.mark.agenttrace(max_llm_calls=5)
        def test_under():
            agentlib.chat()

        @pytest.mark.agenttrace
        def test_no_kwargs():
            agentlib.chat()
        """
    )
    result = pt.runpytest(OPTION_ENABLE, "--strict-markers")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*agenttrace checks failed:", "2 LLM calls > max_llm_calls=1"])
    markers = pt.runpytest("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.agenttrace(**checks): checks on this test's agent trace*"])


@pytest.mark.parametrize("workers", ["0", "1"])
def test_report_carries_json_safe_data(pt: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: str) -> None:
    """Teardown reports carry `(node id, data)` pairs (every test's own on an xdist worker, batches otherwise; the
    tests still waiting at the end come with the session's last flush): JSON-safe, one entry per test."""
    pt.makepyfile(agentlib=AGENTLIB)
    pt.makeconftest(
        """
        import json, os

        SEEN = {}

        def pytest_runtest_logreport(report):
            if report.when == "teardown":
                for nodeid, data in getattr(report, "agenttrace", None) or ():
                    SEEN[nodeid] = json.loads(json.dumps(data))

        def pytest_unconfigure(config):
            if not hasattr(config, "workerinput"):
                from pytest_agenttrace.plugin import _SESSION
                session = config.stash.get(_SESSION, None)
                results = {n: json.loads(json.dumps(d)) for n, d in session.results} if session else {}
                with open(os.environ["SEEN_FILE"], "w") as f:
                    json.dump({"reports": SEEN, "results": results}, f)
        """
    )
    pt.makepyfile(
        """
        import agentlib

        def test_agent():
            agentlib.agent(tools=["a", "b", "a"])

        def test_nothing():
            pass
        """
    )
    seen_file = pt.path / "seen.json"
    monkeypatch.setenv("SEEN_FILE", str(seen_file))
    result = pt.runpytest_subprocess(OPTION_ENABLE, "-p", "xdist", "-n", workers)
    result.assert_outcomes(passed=2)
    seen = json.loads(seen_file.read_text())
    if workers == "1":  # each test's data came with its own report (the controller priced its usage rows since)
        priced = {n: {k: v for k, v in d.items() if k != "cost_usd"} for n, d in seen["results"].items()}
        assert {n: {k: v for k, v in d.items() if k != "llm_usage"} for n, d in seen["reports"].items()} == priced
    else:
        assert seen["reports"] == {}  # 2 tests < one batch: both come with the flush at the end
    results = seen["results"]
    assert list(results) == [
        "test_report_carries_json_safe_data.py::test_agent",
        "test_report_carries_json_safe_data.py::test_nothing",
    ]
    agent = results["test_report_carries_json_safe_data.py::test_agent"]
    assert agent["spans"] == 8
    assert agent["tools"] == ["a", "b", "a"]
    assert agent["models"] == ["gpt-4o-mini"]
    assert (agent["llm_calls"], agent["tool_calls"], agent["agents"]) == (4, 3, 1)
    assert (agent["input_tokens"], agent["output_tokens"]) == (40, 12)
    assert results["test_report_carries_json_safe_data.py::test_nothing"] == {"spans": 0}
