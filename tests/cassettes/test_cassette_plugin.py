"""The plugin face of cassettes: --agenttrace-record-mode, the marker arguments, the agent_cassette fixture.

The last test is the issue's "done when": an agent on the real openai SDK, instrumented with the official
openai-v2 instrumentation, is recorded once against a fake server, then replayed under `-p xdist -n 2` with every
socket blocked and gives the same tool-call sequence; a changed prompt and an unrecorded tool call fail readably,
and the recorded cassette holds no API key.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml  # noqa: F401  (imported before pytester's in-process runs: they drop modules first imported inside)
from cassette_support import SCRIPTS

import pytest_agenttrace.cassettes._http
import pytest_agenttrace.cassettes._pytest
import pytest_agenttrace.cassettes._tools  # noqa: F401
from pytest_agenttrace.cassettes import RECORD_MODES
from pytest_agenttrace.plugin import OPTION_RECORD_MODE, RECORD_MODE_CHOICES

TOOLS_MODULE = """
    from pytest_agenttrace.cassettes import tool

    RAN = []

    @tool
    def get_order(order_id):
        RAN.append(order_id)
        return {"order_id": order_id, "total": 25.0}

    def search_kb(query):  # not decorated: patched by dotted path
        RAN.append(query)
        return {"hits": [query]}
"""


INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("CI", raising=False)
    pytester.makeini(INI)
    pytester.makepyfile(shoptools=TOOLS_MODULE)
    pytester.syspathinsert()
    return pytester


def test_option_uses_the_module_constant(pytester: pytest.Pytester) -> None:
    assert RECORD_MODE_CHOICES == RECORD_MODES == ("none", "once", "new_episodes", "all")
    pytester.makeini(INI)
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--agenttrace-record-mode*"])
    bad = pytester.runpytest(f"{OPTION_RECORD_MODE}=sometimes")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*invalid choice: 'sometimes'*"])


def test_fixture_records_once_then_replays(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_agent="""
        import shoptools

        def test_lookup(agent_cassette):
            assert shoptools.get_order("A1")["total"] == 25.0
            assert agent_cassette.path.name == "test_lookup.yaml"
        """
    )
    missing = project.runpytest("-q")
    missing.assert_outcomes(failed=1)  # reported once, not again at teardown
    missing.stdout.fnmatch_lines(["*tool call not found in the cassette: get_order(order_id='A1')*"])
    missing.stdout.fnmatch_lines(["*Record it: run the test with --agenttrace-record-mode=once*"])
    project.runpytest("-q", f"{OPTION_RECORD_MODE}=once").assert_outcomes(passed=1)
    cassette = project.path / "cassettes" / "test_agent" / "test_lookup.yaml"
    assert "name: get_order" in cassette.read_text()
    project.runpytest("-q").assert_outcomes(passed=1)


def test_marker_arguments_activate_the_cassette(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_marker="""
        import pytest
        import shoptools
        from pytest_agenttrace.cassettes import ToolOverride, current_session

        @pytest.mark.agenttrace(record_mode="once", tools={"search_kb": "shoptools.search_kb"})
        def test_patched():
            assert current_session() is not None
            assert shoptools.search_kb("refund") == {"hits": ["refund"]}

        @pytest.mark.agenttrace(cassette="shared/prod.yaml", record_mode="once",
                                tool_overrides=[ToolOverride(step=2, name="get_order", timeout=True)])
        def test_fault():
            shoptools.get_order("A1")
            with pytest.raises(TimeoutError):
                shoptools.get_order("A2")

        def test_plain():
            assert current_session() is None
        """
    )
    project.runpytest("-q").assert_outcomes(passed=3)
    assert (project.path / "cassettes" / "test_marker" / "test_patched.yaml").is_file()
    assert (project.path / "shared" / "prod.yaml").is_file()
    # Replay: the real functions are not run any more.
    project.makepyfile(
        conftest="""
        import pytest, shoptools

        @pytest.fixture(autouse=True)
        def _check_nothing_ran():
            yield
            assert shoptools.RAN == []
        """
    )
    project.runpytest("-q").assert_outcomes(passed=3)


def test_bad_marker_argument_is_a_clear_error(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_bad="""
        import pytest

        @pytest.mark.agenttrace(record_mode="sometimes")
        def test_it():
            pass
        """
    )
    result = project.runpytest("-q")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*agenttrace(record_mode='sometimes') is not one of none, once, new_episodes, all*"])


def test_scrub_patterns_from_pyproject(project: pytest.Pytester) -> None:
    project.makepyprojecttoml('[tool.agenttrace]\nscrub = ["ACME-\\\\d+"]\n')
    project.makepyfile(
        test_scrub="""
        import shoptools

        def test_it(agent_cassette):
            shoptools.get_order("ACME-123456")
        """
    )
    project.runpytest("-q", f"{OPTION_RECORD_MODE}=once").assert_outcomes(passed=1)
    text = (project.path / "cassettes" / "test_scrub" / "test_it.yaml").read_text()
    assert "ACME-123456" not in text and "[SCRUBBED]" in text
    # The live call is scrubbed the same way before matching, so it replays.
    project.runpytest("-q").assert_outcomes(passed=1)


def test_ci_forces_replay_only(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    project.makepyfile(
        test_ci="""
        import shoptools

        def test_it(agent_cassette):
            shoptools.get_order("A1")
        """
    )
    result = project.runpytest("-q", f"{OPTION_RECORD_MODE}=all")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*record mode 'all' was forced to 'none' because the CI environment variable is set*"])
    assert not (project.path / "cassettes").exists()


# -------------------------------------------------------------------------------------------- done when

CONFTEST = f"""
    import os, socket, sys
    sys.path.insert(0, {str(SCRIPTS)!r})
    os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "span_only"
    os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"

    import pytest
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    EXPORTER = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
    trace.set_tracer_provider(provider)
    OpenAIInstrumentor().instrument(tracer_provider=provider)

    if os.environ.get("BLOCK_NETWORK"):
        def _blocked(*args, **kwargs):
            raise OSError("network blocked: no socket may connect during replay")
        socket.socket.connect = _blocked
        socket.socket.connect_ex = _blocked
        socket.getaddrinfo = _blocked

    @pytest.fixture
    def spans():
        EXPORTER.clear()
        return EXPORTER
"""

AGENT = """
    import json
    import openai
    from pytest_agenttrace.cassettes import tool

    KEY = "sk-proj-DONEWHENSECRETKEY0123456789abcdef"
    TOOLS = [
        {"type": "function", "function": {"name": "get_order", "parameters": {"type": "object",
         "properties": {"order_id": {"type": "string"}}}}},
        {"type": "function", "function": {"name": "refund_order", "parameters": {"type": "object",
         "properties": {"order_id": {"type": "string"}, "amount": {"type": "number"}}}}},
    ]

    @tool
    def get_order(order_id):
        return {"order_id": order_id, "total": 25.0}

    @tool
    def refund_order(order_id, amount):
        return {"order_id": order_id, "refunded": amount}

    IMPLS = {"get_order": get_order, "refund_order": refund_order}

    def run(base_url, prompt):
        client = openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0)
        messages = [{"role": "system", "content": "You refund orders."}, {"role": "user", "content": prompt}]
        called = []
        with client:
            for _ in range(6):
                resp = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
                msg = resp.choices[0].message
                messages.append(msg.model_dump(exclude_none=True, include={"role", "content", "tool_calls"}))
                if not msg.tool_calls:
                    return called, msg.content
                for tc in msg.tool_calls:
                    args = json.loads(tc.function.arguments)
                    called.append((tc.function.name, args))
                    messages.append({"role": "tool", "tool_call_id": tc.id,
                                     "content": json.dumps(IMPLS[tc.function.name](**args))})
"""

TESTS = """
    import pytest
    import agent

    PROMPT = {prompt!r}
    SEQUENCE = [("get_order", {{"order_id": "A1043"}}), ("refund_order", {{"order_id": "A1043", "amount": 25.0}})]

    def _plan():
        from fake_llm import Reply, ToolCall
        return [Reply(tool_calls=[ToolCall(name=n, arguments=a)]) for n, a in SEQUENCE] + [Reply(text="Refunded.")]

    def _run(session):
        if session.records:
            from fake_llm import FakeLLM
            with FakeLLM(_plan()) as srv:
                return agent.run(srv.base_url, PROMPT)
        return agent.run("https://api.openai.com/v1", PROMPT)

    @pytest.mark.parametrize("case", range(3))
    def test_refund(agent_cassette, spans, case):
        called, answer = _run(agent_cassette)
        assert called == SEQUENCE and answer == "Refunded."
        names = [s.name for s in spans.get_finished_spans()]
        assert names.count("chat gpt-4o-mini") == 3  # the official instrumentation saw every call
        assert names.count("execute_tool get_order") == 1
        if not agent_cassette.records:
            assert [c.source for c in agent_cassette.calls] == ["replayed", "replayed"]
            tool_spans = [s for s in spans.get_finished_spans() if s.name.startswith("execute_tool")]
            assert all(s.attributes["agenttrace.replayed"] for s in tool_spans)
"""


def test_done_when_openai_agent_replays_offline_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(agent=AGENT)
    pytester.makepyfile(test_refund_agent=TESTS.format(prompt="Refund order A1043, the mug broke."))

    recorded = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", f"{OPTION_RECORD_MODE}=once")
    recorded.assert_outcomes(passed=3)
    cassettes = sorted((pytester.path / "cassettes" / "test_refund_agent").iterdir())
    assert [p.name for p in cassettes] == [f"test_refund[{i}].yaml" for i in range(3)]
    for cassette in cassettes:
        text = cassette.read_text()
        assert "sk-proj-DONEWHEN" not in text and "authorization" not in text.lower()

    # Replay: no network at all, two xdist workers, same tool-call sequence.
    pytester._monkeypatch.setenv("BLOCK_NETWORK", "1")
    replayed = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-p", "xdist", "-n", "2")
    replayed.assert_outcomes(passed=3)
    assert [p.read_text() for p in cassettes] == [c.read_text() for c in cassettes]  # none rewritten

    # A changed prompt in mode none fails with a readable request diff.
    pytester.makepyfile(test_refund_agent=TESTS.format(prompt="Refund order A1044, the mug broke."))
    changed = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-p", "xdist", "-n", "2")
    changed.assert_outcomes(failed=3)
    out = changed.stdout.str()
    assert "LLM/HTTP request not found in the cassette: POST /v1/chat/completions" in out
    assert "messages[1].content: recorded 'Refund order A1043, the mug broke.', sent 'Refund order A1044" in out
    assert "network blocked" not in out

    # An unrecorded tool call fails with the nearest recorded call.
    pytester.makepyfile(
        test_refund_agent=textwrap.dedent(TESTS.format(prompt="Refund order A1043, the mug broke."))
        + textwrap.dedent(
            """
            def test_refund_other_order(agent_cassette):
                agent.get_order("A1043")
                agent.get_order("B7")
            """
        )
    )
    (pytester.path / "cassettes" / "test_refund_agent" / "test_refund_other_order.yaml").write_text(
        cassettes[0].read_text()
    )
    missed = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-k", "other_order")
    missed.assert_outcomes(failed=1)
    out = missed.stdout.str()
    assert "tool call not found in the cassette: get_order(order_id='B7') (step 2)" in out
    assert "nearest recorded call: step 1 get_order(order_id='A1043') (already replayed)" in out
    assert "order_id: recorded 'A1043', called 'B7'" in out


def test_cassette_paths_for_classes_and_params(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_paths="""
        import pytest

        class TestGroup:
            @pytest.mark.parametrize("x", ["a/b"])
            def test_it(self, agent_cassette, x):
                assert agent_cassette.path.parts[-3:] == ("cassettes", "test_paths", "TestGroup.test_it[a_b].yaml")
        """
    )
    project.runpytest("-q").assert_outcomes(passed=1)


def test_record_mode_precedence(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_prec="""
        import pytest

        @pytest.mark.agenttrace(record_mode="new_episodes")
        def test_marker(agent_cassette, request):
            expected = request.config.getoption("agenttrace_record_mode") or "new_episodes"
            assert agent_cassette.mode == expected
        """
    )
    project.runpytest("-q").assert_outcomes(passed=1)
    project.runpytest("-q", f"{OPTION_RECORD_MODE}=all").assert_outcomes(passed=1)


def test_tools_list_is_left_to_the_budget_checks(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_budget_tools="""
        import pytest
        from pytest_agenttrace.cassettes import current_session

        @pytest.mark.agenttrace(tools=["get_order"])
        def test_it():
            assert current_session() is None  # a list of names is a budget, not a cassette
        """
    )
    project.runpytest("-q").assert_outcomes(passed=1)


def test_plugin_load_does_not_import_the_cassette_machinery(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_imports="""
        import sys

        def test_it():
            assert "vcr" not in sys.modules
            assert "pytest_agenttrace.cassettes._session" not in sys.modules
            assert "pytest_agenttrace.cassettes._format" not in sys.modules
        """
    )
    pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_paths_helper_accepts_a_path(tmp_path: Path) -> None:
    from pytest_agenttrace.cassettes._pytest import path_for_test

    class Node:
        path = tmp_path / "test_x.py"
        name = "test_y"
        cls = None

    assert path_for_test(Node()) == tmp_path / "cassettes" / "test_x" / "test_y.yaml"
    assert path_for_test(Node(), "rec/a.yaml") == tmp_path / "rec" / "a.yaml"
    assert path_for_test(Node(), tmp_path / "abs.yaml") == tmp_path / "abs.yaml"
