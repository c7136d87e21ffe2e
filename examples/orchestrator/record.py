"""Re-record this example's cassettes and its incident trace against a scripted fake LLM (no API key, no network).

From the repository root:

    .venv/bin/python -m examples.orchestrator.record cassettes   # cassettes/ (what the tests replay)
    .venv/bin/python -m examples.orchestrator.record incident    # incident_trace.json (a failing run)

Sub-agents run one after another, so the fake server (`fixtures/scripts/fake_llm.py`) can answer the scripted
replies below in order, whichever thread, task or "remote service" sends the request.
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
from .test_orchestrator import REPLACEMENT_TICKET, TICKET  # noqa: E402

INCIDENT_TICKET = "Can you send a replacement mug for order A1043? Mine has a crack."


def _tool(call_id: str, name: str, tokens: tuple[int, int], **arguments: Any) -> Reply:
    return Reply(
        tool_calls=[ToolCall(id=call_id, name=name, arguments=arguments)],
        usage=Usage(input_tokens=tokens[0], output_tokens=tokens[1]),
        id=f"chatcmpl-{call_id}",  # response ids are unique, as the real API's are
    )


def _text(response_id: str, text: str, tokens: tuple[int, int], finish_reason: str | None = None) -> Reply:
    usage = Usage(input_tokens=tokens[0], output_tokens=tokens[1])
    return Reply(text=text, usage=usage, finish_reason=finish_reason, id=f"chatcmpl-{response_id}")


FULL = [
    _tool("o_cls", "classify_ticket", (180, 22), text=TICKET),
    _tool("b_get", "get_order", (95, 14), order_id="A1043"),
    _text("b_ans", "Order A1043: 25.00 EUR, paid; eligible for a refund.", (150, 16)),
    _tool("r_kb", "search_kb", (90, 13), query="broken item refund policy"),
    _text("r_ans", "Broken items are refunded in full without a return.", (140, 14)),
    _tool("s_track", "track_shipment", (88, 12), order_id="A1043"),
    _text("s_ans", "Delivered by DHL on 2026-11-20.", (130, 12)),
    _text("o_ans", "Your mug (A1043) qualifies for a full refund of 25.00 EUR; no return needed.", (330, 26)),
]
REPLACEMENT = [
    _tool("o_cls2", "classify_ticket", (176, 20), text=REPLACEMENT_TICKET),
    _tool("i_wh", "check_warehouse", (92, 12), sku="MUG-01"),
    _text("i_ans", "MUG-01 is in stock (12 units).", (135, 11)),
    _text("o_ans2", "A replacement mug is on its way; keep the cracked one.", (260, 18)),
]
#: The incident: the warehouse API is down, the inventory agent's answer is cut at its 60-token limit, and the
#: orchestrator's answer built on it is cut too.
INCIDENT = [
    _tool("o_cls9", "classify_ticket", (176, 20), text=INCIDENT_TICKET),
    _tool("i_wh9", "check_warehouse", (92, 12), sku="MUG-01"),
    _text(
        "i_ans9",
        "The warehouse check failed with a timeout, so I cannot confirm whether SKU MUG-01 is avail",
        (160, 60),
        finish_reason="length",
    ),
    _text(
        "o_ans9",
        "We are sorry about the crack. Our warehouse check failed with a timeout, so I cannot confirm whether",
        (280, 120),
        finish_reason="length",
    ),
]

CASSETTES: dict[str, tuple[str, list[Reply]]] = {
    "cassettes/full_ticket.yaml": (TICKET, FULL),
    "cassettes/replacement.yaml": (REPLACEMENT_TICKET, REPLACEMENT),
}


@contextmanager
def fake_openai(script: list[Reply]) -> Iterator[FakeLLM]:
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
        if server.unused:
            raise SystemExit(f"{server.unused} scripted replies were not used: the agent changed; update the script")


def record_cassettes() -> None:
    for rel, (ticket, script) in CASSETTES.items():
        path = HERE / rel
        path.unlink(missing_ok=True)
        with fake_openai(script), use_cassette(path, mode="once"):
            result = agent.run_support_orchestrator(ticket)
        print(f"{path.relative_to(ROOT)}: {result}")


@contextmanager
def pre_fix_agent() -> Iterator[None]:
    """The orchestrator as it was when the incident happened: sub-agents wrote around backend failures, and every
    report (and the orchestrator's own answer) was passed on, complete or not."""
    from unittest import mock

    with (
        mock.patch.object(agent, "stops_sub_agent", lambda exc: False),
        mock.patch.object(agent, "usable", lambda report: True),
    ):
        yield


def record_incident() -> None:
    """Run the pre-fix orchestrator with the warehouse down and tracing on, as production did; save the trace."""
    from opentelemetry import trace
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from otlp import write_otlp_json

    os.environ.update(OPENAI_V2_ENV)
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "support-orchestrator"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    agent.WAREHOUSE["up"] = False
    try:
        with pre_fix_agent(), fake_openai(INCIDENT):
            result = agent.run_support_orchestrator(INCIDENT_TICKET)
    finally:
        agent.WAREHOUSE["up"] = True
    spans = sorted(exporter.get_finished_spans(), key=lambda s: s.start_time or 0)
    out = HERE / "incident_trace.json"
    write_otlp_json(spans, out)
    print(f"{out.relative_to(ROOT)}: {len(spans)} spans, result {result}")


STEPS: dict[str, Callable[[], None]] = {"cassettes": record_cassettes, "incident": record_incident}


def main(argv: list[str]) -> None:
    unknown = [a for a in argv if a not in STEPS]
    if unknown or not argv:
        raise SystemExit(f"usage: python -m examples.orchestrator.record {{{'|'.join(STEPS)}}} ...")
    for step in argv:
        STEPS[step]()


if __name__ == "__main__":
    main(sys.argv[1:])
