"""Concurrency: spans from many threads and asyncio tasks land in the right test under the right agent, with and
without xdist; processes recording one cassette at the same time never leave a torn file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_agenttrace.cassettes import Cassette
from pytest_agenttrace.plugin import OPTION_ENABLE

pytest.importorskip("xdist")

SPANS_PER_AGENT = 1_000
THREADS = 8
TASKS = 8

TESTS = f"""
import asyncio
import threading

from opentelemetry import trace

tracer = trace.get_tracer("hardening")
N = {SPANS_PER_AGENT}


def agent_attrs(agent):
    return {{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent}}


def tool_attrs(agent, i):
    return {{
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": agent + "_tool",
        "gen_ai.tool.call.id": f"{{agent}}-{{i}}",
    }}


def thread_agent(agent, barrier):
    barrier.wait()  # all threads make their spans at the same time
    with tracer.start_as_current_span("invoke_agent " + agent, attributes=agent_attrs(agent)):
        for i in range(N):
            with tracer.start_as_current_span("execute_tool " + agent + "_tool", attributes=tool_attrs(agent, i)):
                pass


async def task_agent(agent):
    with tracer.start_as_current_span("invoke_agent " + agent, attributes=agent_attrs(agent)):
        for i in range(N):
            with tracer.start_as_current_span("execute_tool " + agent + "_tool", attributes=tool_attrs(agent, i)):
                pass
            if i % 50 == 0:
                await asyncio.sleep(0)  # interleave the tasks


async def all_tasks(agents):
    await asyncio.gather(*(task_agent(a) for a in agents))


def test_many_agents(agent_trace):
    thread_agents = [f"thread_{{k}}" for k in range({THREADS})]
    task_agents = [f"task_{{k}}" for k in range({TASKS})]
    barrier = threading.Barrier(len(thread_agents) + 1)
    threads = [threading.Thread(target=thread_agent, args=(a, barrier)) for a in thread_agents]
    for t in threads:
        t.start()
    barrier.wait()
    asyncio.run(all_tasks(task_agents))  # runs while the threads make theirs
    for t in threads:
        t.join()

    agents = thread_agents + task_agents
    assert len(agent_trace) == len(agents) * (N + 1)
    runs = {{a.name: a for a in agent_trace.agents}}
    assert sorted(runs) == sorted(agents)
    for agent in agents:
        steps = agent_trace.for_agent(agent)
        assert len(steps) == N, (agent, len(steps))
        assert {{s.name for s in steps}} == {{agent + "_tool"}}
        assert {{s.agent_span_id for s in steps}} == {{runs[agent].span_id}}
        assert sorted(s.call_id for s in steps) == sorted(f"{{agent}}-{{i}}" for i in range(N))
    assert len(agent_trace.tool_calls) == len(agents) * N


def test_neighbour_has_nothing(agent_trace):
    assert len(agent_trace) == 0
    assert not agent_trace.agents and not agent_trace.tool_calls


def test_neighbour_with_its_own_span(agent_trace):
    with tracer.start_as_current_span("invoke_agent solo", attributes=agent_attrs("solo")):
        pass
    assert [a.name for a in agent_trace.agents] == ["solo"]
    assert len(agent_trace) == 1
"""


@pytest.mark.parametrize("workers", [None, "2"], ids=["serial", "xdist-2"])
def test_threads_and_tasks_are_attributed_to_their_test_and_agent(pt: pytest.Pytester, workers: str | None) -> None:
    pt.makepyfile(test_many=TESTS)
    args = [OPTION_ENABLE]
    if workers:
        args += ["-p", "xdist", "-n", workers]
    result = pt.runpytest_subprocess(*args)
    result.assert_outcomes(passed=3)  # the assertions run inside the tests: any misattribution fails one


# ------------------------------------------------------------------------------------------- shared cassette

WRITER = textwrap.dedent(
    """
    import sys
    from pytest_agenttrace.cassettes import tool, use_cassette

    @tool
    def echo(worker: str, i: int, blob: str) -> str:
        return f"{worker}-{i}"

    path, worker, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    blob = worker * 20_000  # each entry is big: a torn file would cut one
    for i in range(rounds):
        with use_cassette(path, mode="new_episodes", http=False, environ={}):
            echo(worker, i, blob)
    """
)


def _check_complete(path: Path) -> int:
    """The cassette on disk is valid and every entry is one writer's whole call; returns the number of entries."""
    loaded = Cassette.load(path)
    for t in loaded.tools:
        worker, i = t.arguments["worker"], t.arguments["i"]
        assert t.name == "echo" and t.result == f"{worker}-{i}"
        assert t.arguments["blob"] == worker * 20_000
    return len(loaded.tools)


def test_two_writers_never_tear_the_cassette(tmp_path: Path) -> None:
    """Two processes record into one cassette while this test keeps reading it: every read is valid YAML holding
    complete entries, the entry count never goes down, and in the end both writers' entries are all there."""
    path = tmp_path / "cassettes" / "shared.yaml"
    rounds = 10
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(rounds)], stderr=subprocess.PIPE, text=True
        )
        for name in ("a", "b")
    ]
    reads, counts = 0, [0]
    try:
        while any(p.poll() is None for p in procs):
            if path.exists():
                counts.append(_check_complete(path))
                reads += 1
    finally:
        outs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    assert counts == sorted(counts)  # a version on disk is never replaced by an older one (no lost merge)
    assert _check_complete(path) == 2 * rounds
    final = Cassette.load(path)
    assert sorted(str(t.result) for t in final.tools) == sorted(f"{w}-{i}" for w in "ab" for i in range(rounds))
    assert [p.name for p in path.parent.iterdir()] == ["shared.yaml"]  # no temp or lock files left
    assert reads > 0
