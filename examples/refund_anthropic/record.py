"""Re-record this example's cassettes and its incident trace against a scripted fake LLM (no API key, no network).

From the repository root:

    .venv/bin/python -m examples.refund_anthropic.record cassettes   # cassettes/ (what the tests replay)
    .venv/bin/python -m examples.refund_anthropic.record incident    # incident_trace.json (a failing run)

The fake server (`fixtures/scripts/fake_llm.py`) answers the scripted replies below in order on `/v1/messages`;
the agent runs for real (real anthropic SDK, real tools) inside `use_cassette(...)`, which writes what happened.
With a real model you would record the same way with a real key and `ANTHROPIC_BASE_URL` unset.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "fixtures" / "scripts"))

from fake_llm import FakeLLM, Reply, ToolCall, Usage  # noqa: E402

from pytest_agenttrace import ToolOverride, use_cassette  # noqa: E402

from . import agent  # noqa: E402
from .test_refund_anthropic import REFUND_REQUEST  # noqa: E402

RESPONSE_MODEL = "claude-haiku-4-5-20251001"
STATUS_REQUEST = "What is the status of my refund for order A1043?"


def _usage(tokens: tuple[int, int], cache: tuple[int, int]) -> Usage:
    """Usage with input tokens INCLUDING the cache reads/writes (the fake sends Anthropic's split on the wire)."""
    return Usage(
        input_tokens=tokens[0], output_tokens=tokens[1], cache_read_tokens=cache[0], cache_write_tokens=cache[1]
    )


def _tool(tool_id: str, name: str, tokens: tuple[int, int], cache: tuple[int, int], **arguments: Any) -> Reply:
    return Reply(
        tool_calls=[ToolCall(id=f"toolu_{tool_id}", name=name, arguments=arguments)],
        usage=_usage(tokens, cache),
        model=RESPONSE_MODEL,
        id=f"msg_{tool_id}",  # response ids are unique, as the real API's are
    )


def _answer(msg_id: str, text: str, tokens: tuple[int, int], cache: tuple[int, int]) -> Reply:
    return Reply(text=text, usage=_usage(tokens, cache), model=RESPONSE_MODEL, id=f"msg_{msg_id}")


HAPPY = [
    _tool("get_1", "get_order", (1890, 58), (0, 1536), order_id="A1043"),
    _tool("refund_1", "refund_order", (1985, 49), (1536, 0), order_id="A1043", amount=25.0),
    _answer("answer_1", '{"status": "refunded", "order_id": "A1043", "refunded": 25.0}', (2060, 31), (1536, 0)),
]
#: get_order times out (a ToolOverride while recording and replaying); the model does not refund blindly.
TIMEOUT = [
    _tool("get_2", "get_order", (1890, 58), (0, 1536), order_id="A1043"),
    _answer("answer_2", '{"status": "needs_review", "order_id": "A1043", "refunded": 0}', (1962, 33), (1536, 0)),
]
#: The incident: the knowledge base has nothing on this refund, and the model asks it the same thing 4 times.
LOOP = [
    *(_tool(f"kb_{i}", "search_kb", (1850 + 80 * i, 40), (1536, 0), query="refund status A1043") for i in range(4)),
    _answer("answer_9", '{"status": "needs_review", "order_id": "A1043", "refunded": 0}', (2170, 33), (1536, 0)),
]

CASSETTES: dict[str, tuple[str, list[Reply], list[ToolOverride]]] = {
    "cassettes/refund_a1043.yaml": (REFUND_REQUEST, HAPPY, []),
    "cassettes/test_refund_anthropic/test_order_lookup_timeout_is_not_refunded.yaml": (
        REFUND_REQUEST,
        TIMEOUT,
        [ToolOverride(name="get_order", timeout=True)],
    ),
}


@contextmanager
def fake_anthropic(script: list[Reply]) -> Iterator[FakeLLM]:
    """A fake server answering `script`, with the anthropic SDK's environment pointing at it."""
    with FakeLLM(script) as server:
        saved = {k: os.environ.get(k) for k in ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY")}
        os.environ.update(ANTHROPIC_BASE_URL=server.url, ANTHROPIC_API_KEY="sk-ant-record-fake")
        try:
            yield server
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        if server.unused:
            raise SystemExit(f"{server.unused} scripted replies were not used: the agent changed; update the script")


def record_cassettes() -> None:
    for rel, (request, script, overrides) in CASSETTES.items():
        path = HERE / rel
        path.unlink(missing_ok=True)
        agent.reset_shop()
        with fake_anthropic(script), use_cassette(path, mode="once", overrides=overrides):
            result = agent.run_refund_agent(request)
        print(f"{path.relative_to(ROOT)}: {result}")


@contextmanager
def pre_fix_agent() -> Iterator[None]:
    """The agent as it was when the incident happened: no cap on repeated tool calls (added as the fix)."""
    from unittest import mock

    with mock.patch.object(agent, "MAX_SAME_CALL", agent.MAX_TURNS):
        yield


def record_incident() -> None:
    """Run the agent against the looping script with tracing on, as production did, and save the trace."""
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from otlp import write_otlp_json

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "refund-service"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # the SDK's client spans go to the global provider
    agent.reset_shop()
    with pre_fix_agent(), fake_anthropic(LOOP):
        result = agent.run_refund_agent(STATUS_REQUEST)
    spans = sorted(exporter.get_finished_spans(), key=lambda s: s.start_time or 0)
    out = HERE / "incident_trace.json"
    write_otlp_json(spans, out)
    print(f"{out.relative_to(ROOT)}: {len(spans)} spans, result {result}")


STEPS: dict[str, Callable[[], None]] = {"cassettes": record_cassettes, "incident": record_incident}


def main(argv: list[str]) -> None:
    unknown = [a for a in argv if a not in STEPS]
    if unknown or not argv:
        raise SystemExit(f"usage: python -m examples.refund_anthropic.record {{{'|'.join(STEPS)}}} ...")
    for step in argv:
        STEPS[step]()


if __name__ == "__main__":
    main(sys.argv[1:])
