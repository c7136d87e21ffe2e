"""Re-record this example's cassettes and its incident trace against a scripted fake LLM (no API key, no network).

From the repository root:

    .venv/bin/python -m examples.travel_langgraph.record cassettes   # cassettes/*.yaml (what the tests replay)
    .venv/bin/python -m examples.travel_langgraph.record incident    # incident_trace.json (the failing run)

The fake server (`fixtures/scripts/fake_llm.py`) answers the scripted replies below in order; the graph runs for
real (real LangGraph, real `ChatOpenAI`, the toy services) inside `use_cassette(...)`, which writes what happened.
With a real model you would record the same way with a real `OPENAI_API_KEY` and no base URL.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT / "fixtures" / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "fixtures" / "scripts"))

from fake_llm import FakeLLM, Reply, ToolCall, Usage  # noqa: E402

from pytest_agenttrace import use_cassette  # noqa: E402

from . import agent  # noqa: E402

RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"

LISBON = "Find me a direct flight from Berlin to Lisbon tomorrow and tell me the weather there."
FARO = "I need to get from Berlin to Faro tomorrow. What flight can I take, and will it be warm?"


def _tool(call_id: str, name: str, tokens: tuple[int, int], **arguments: Any) -> Reply:
    return Reply(
        tool_calls=[ToolCall(id=call_id, name=name, arguments=arguments)],
        usage=Usage(input_tokens=tokens[0], output_tokens=tokens[1]),
        model=RESPONSE_MODEL,
    )


def _answer(plan: dict[str, Any], tokens: tuple[int, int]) -> Reply:
    usage = Usage(input_tokens=tokens[0], output_tokens=tokens[1])
    return Reply(text=json.dumps(plan), usage=usage, model=RESPONSE_MODEL)


#: The happy path: search, weather at the destination, plan.
HAPPY = [
    _tool("call_fl_1", "search_flights", (486, 22), origin="BER", destination="LIS"),
    _tool("call_wx_1", "get_weather", (548, 16), city="Lisbon"),
    _answer(
        {
            "origin": "BER",
            "destination": "LIS",
            "flight": {"number": "TP 537", "departs": "09:40", "price_eur": 129.0},
            "weather": {"conditions": "sunny", "temp_c": 24.0},
            "summary": "TP 537 leaves Berlin at 09:40 for 129 EUR; Lisbon will be sunny, 24 C.",
        },
        (597, 71),
    ),
]
#: The incident: no direct flight BER-FAO; the empty result goes back to the model, which searches again with the
#: same airports, three times, then gives up.
SEARCH_LOOP = [
    _tool("call_fl_7", "search_flights", (490, 22), origin="BER", destination="FAO"),
    _tool("call_fl_8", "search_flights", (541, 22), origin="BER", destination="FAO"),
    _tool("call_fl_9", "search_flights", (592, 22), origin="BER", destination="FAO"),
    _answer(
        {
            "origin": "BER",
            "destination": "FAO",
            "flight": None,
            "weather": None,
            "summary": "I could not find a flight from Berlin to Faro.",
        },
        (643, 52),
    ),
]

#: cassette (relative to this folder) -> (request, script)
CASSETTES: dict[str, tuple[str, list[Reply]]] = {"cassettes/lisbon.yaml": (LISBON, HAPPY)}


def _check_all_used(server: FakeLLM) -> None:
    if server.unused:
        raise SystemExit(f"{server.unused} scripted replies were not used: the agent changed; update the script")


def record_cassettes() -> None:
    for rel, (request, script) in CASSETTES.items():
        path = HERE / rel
        path.unlink(missing_ok=True)
        with FakeLLM(script) as server, use_cassette(path, mode="once"):
            plan = agent.plan_trip(request, base_url=server.base_url)
        _check_all_used(server)
        print(f"{path.relative_to(ROOT)}: {plan!r}")


def record_incident() -> None:
    """Run the agent as it was before the fix with OpenInference tracing on, and save the trace as OTLP/JSON
    (what a collector's file exporter would have written in production)."""
    from openinference.instrumentation.langchain import LangChainInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from otlp import write_otlp_json

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "travel-service"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        with FakeLLM(SEARCH_LOOP) as server:
            plan = agent.plan_trip(FARO, base_url=server.base_url, stop_on_empty_search=False)
        _check_all_used(server)
    finally:
        instrumentor.uninstrument()
    spans = sorted(exporter.get_finished_spans(), key=lambda s: s.start_time or 0)
    out = HERE / "incident_trace.json"
    write_otlp_json(spans, out)
    print(f"{out.relative_to(ROOT)}: {len(spans)} spans, plan {plan!r}")


STEPS: dict[str, Callable[[], None]] = {"cassettes": record_cassettes, "incident": record_incident}


def main(argv: list[str]) -> None:
    unknown = [a for a in argv if a not in STEPS]
    if unknown or not argv:
        raise SystemExit(f"usage: python -m examples.travel_langgraph.record {{{'|'.join(STEPS)}}} ...")
    for step in argv:
        STEPS[step]()


if __name__ == "__main__":
    main(sys.argv[1:])
