"""Re-record this example's cassettes and its incident trace against a scripted fake LLM (no API key, no network).

From the repository root:

    .venv/bin/python -m examples.refund_openai.record cassettes     # cassettes/ (what the tests replay)
    .venv/bin/python -m examples.refund_openai.record incident      # incident_trace.json (a failing run)
    .venv/bin/python -m examples.refund_openai.record new-episode   # converted/ cassette: the fixed agent's new turn

The fake server (`fixtures/scripts/fake_llm.py`) answers the scripted replies below in order; the agent runs for
real (real openai SDK, real tools on the in-memory shop) inside `use_cassette(...)`, which writes what happened.
With a real model you would record the same way with a real key and `OPENAI_BASE_URL` unset.
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

from examples._openai_v2_fixtures import OPENAI_V2_ENV  # noqa: E402
from pytest_agenttrace import use_cassette  # noqa: E402

from . import agent  # noqa: E402
from .test_refund_openai import LATE_REQUEST, REFUND_REQUEST  # noqa: E402

RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"


def _tool(call_id: str, name: str, tokens: tuple[int, int], **arguments: Any) -> Reply:
    return Reply(
        tool_calls=[ToolCall(id=call_id, name=name, arguments=arguments)],
        usage=Usage(input_tokens=tokens[0], output_tokens=tokens[1]),
        model=RESPONSE_MODEL,
        id=f"chatcmpl-{call_id}",  # response ids are unique, as the real API's are
    )


def _answer(response_id: str, text: str, tokens: tuple[int, int]) -> Reply:
    usage = Usage(input_tokens=tokens[0], output_tokens=tokens[1])
    return Reply(text=text, usage=usage, model=RESPONSE_MODEL, id=f"chatcmpl-{response_id}")


HAPPY = [
    _tool("call_get_1", "get_order", (412, 18), order_id="A1043"),
    _tool("call_refund_1", "refund_order", (489, 24), order_id="A1043", amount=25.0),
    _answer("answer_1", '{"status": "refunded", "order_id": "A1043", "refunded": 25.0}', (561, 22)),
]
LATE = [
    _tool("call_get_2", "get_order", (418, 18), order_id="A1044"),
    _tool("call_kb_2", "search_kb", (492, 21), query="late delivery refund policy"),
    _answer("answer_2", '{"status": "refused", "order_id": "A1044", "refunded": 0}', (570, 21)),
]
#: The incident: after looking up A1043 the model refunds A1044 (the other order of the same customer).
WRONG_ORDER = [
    _tool("call_get_9", "get_order", (412, 18), order_id="A1043"),
    _tool("call_refund_9", "refund_order", (489, 24), order_id="A1044", amount=80.0),
    _answer("answer_9", '{"status": "refunded", "order_id": "A1044", "refunded": 80.0}', (561, 22)),
]

CASSETTES: dict[str, tuple[str, list[Reply]]] = {
    "cassettes/refund_a1043.yaml": (REFUND_REQUEST, HAPPY),
    "cassettes/test_refund_openai/test_late_delivery_is_refused_by_policy.yaml": (LATE_REQUEST, LATE),
}


@contextmanager
def fake_openai(script: list[Reply], *, all_used: bool = True) -> Iterator[FakeLLM]:
    """A fake server answering `script`, with the openai SDK's environment pointing at it."""
    with FakeLLM(script) as server:
        saved = {k: os.environ.get(k) for k in ("OPENAI_BASE_URL", "OPENAI_API_KEY")}
        os.environ.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-record-fake")
        try:
            yield server
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        if server.unused and all_used:
            raise SystemExit(f"{server.unused} scripted replies were not used: the agent changed; update the script")


def record_cassettes() -> None:
    for rel, (request, script) in CASSETTES.items():
        path = HERE / rel
        path.unlink(missing_ok=True)
        agent.SHOP.reset()
        with fake_openai(script), use_cassette(path, mode="once"):
            result = agent.run_refund_agent(request)
        print(f"{path.relative_to(ROOT)}: {result}")


def record_incident() -> None:
    """Run the agent against the misbehaving script with tracing on, as production did, and save the trace."""
    from opentelemetry import trace
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from otlp import write_otlp_json

    os.environ.update(OPENAI_V2_ENV)
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "refund-service"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    agent.SHOP.reset()
    with pre_fix_agent(), fake_openai(WRONG_ORDER):
        result = agent.run_refund_agent(REFUND_REQUEST)
    spans = sorted(exporter.get_finished_spans(), key=lambda s: s.start_time or 0)
    out = HERE / "incident_trace.json"
    write_otlp_json(spans, out)
    print(f"{out.relative_to(ROOT)}: {len(spans)} spans, result {result}")


@contextmanager
def pre_fix_agent() -> Iterator[None]:
    """The agent as it was when the incident happened: without the refusal guard (added as the fix)."""
    from unittest import mock

    with mock.patch.object(agent, "refusal_reason", lambda order_id, *, looked_up: None):
        yield


#: What the model answers after the fixed agent refuses the refund of A1044 (a turn the incident never had).
AFTER_REFUSAL = [
    _tool("call_refund_10", "refund_order", (598, 24), order_id="A1043", amount=25.0),
    _answer("answer_10", '{"status": "refunded", "order_id": "A1043", "refunded": 25.0}', (652, 22)),
]
CONVERTED_CASSETTE = HERE / "converted" / "cassettes" / "test_wrong_order_refund" / "test_wrong_order_refund.yaml"


def record_new_episode() -> None:
    """Add the fixed agent's new turn to the converted test's cassette (`new_episodes`: the first two model calls
    are still answered from the incident trace, the refund of A1043 runs for real and is recorded)."""
    from .converted.test_wrong_order_refund import RECORDED_INPUT

    agent.SHOP.reset()
    with (
        fake_openai(AFTER_REFUSAL, all_used=False) as server,
        use_cassette(CONVERTED_CASSETTE, mode="new_episodes") as session,
    ):
        result = agent.run_refund_agent(RECORDED_INPUT)
    added = "nothing new (already recorded)" if not server.requests else f"{len(server.requests)} model calls added"
    print(f"{CONVERTED_CASSETTE.relative_to(ROOT)}: {added}; tools {[c.source for c in session.calls]}; {result}")


STEPS: dict[str, Callable[[], None]] = {
    "cassettes": record_cassettes,
    "incident": record_incident,
    "new-episode": record_new_episode,
}


def main(argv: list[str]) -> None:
    unknown = [a for a in argv if a not in STEPS]
    if unknown or not argv:
        raise SystemExit(f"usage: python -m examples.refund_openai.record {{{'|'.join(STEPS)}}} ...")
    for step in argv:
        STEPS[step]()


if __name__ == "__main__":
    main(sys.argv[1:])
