"""Re-record this example's cassettes and its incident trace against a scripted fake LLM (no API key, no network).

From the repository root:

    .venv/bin/python -m examples.weather_pydantic_ai.record cassettes   # cassettes/*.yaml (what the tests replay)
    .venv/bin/python -m examples.weather_pydantic_ai.record incident    # incident_trace.json (the failing run)

The fake server (`fixtures/scripts/fake_llm.py`) answers the scripted replies below in order; the agent runs for
real (real pydantic-ai, real openai SDK, the toy services) inside `use_cassette(...)`, which writes what happened.
With a real model you would record the same way with a real `OPENAI_API_KEY` and no base URL.
"""

from __future__ import annotations

import asyncio
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

LONDON = "What's the weather in London right now?"
TYPO = "How warm is it in Londn today?"
OUTAGE = "Is it sunny in London?"


def _tool(call_id: str, name: str, tokens: tuple[int, int], **arguments: Any) -> Reply:
    return Reply(
        tool_calls=[ToolCall(id=call_id, name=name, arguments=arguments)],
        usage=Usage(input_tokens=tokens[0], output_tokens=tokens[1]),
        model=RESPONSE_MODEL,
    )


def _answer(report: dict[str, Any], tokens: tuple[int, int]) -> Reply:
    return Reply(
        text=json.dumps(report), usage=Usage(input_tokens=tokens[0], output_tokens=tokens[1]), model=RESPONSE_MODEL
    )


#: The happy path: geocode, weather at the returned position, answer.
HAPPY = [
    _tool("call_geo_1", "geocode", (312, 15), city="London"),
    _tool("call_wx_1", "get_weather", (371, 24), lat=51.5072, lng=-0.1276),
    _answer(
        {"city": "London", "temperature_c": 21.0, "conditions": "sunny", "summary": "Sunny in London, 21 C."},
        (420, 38),
    ),
]
#: A misspelt city: geocode answers 404, the model corrects the spelling and goes on.
TYPO_FIXED = [
    _tool("call_geo_2", "geocode", (314, 15), city="Londn"),
    _tool("call_geo_3", "geocode", (362, 15), city="London"),
    _tool("call_wx_2", "get_weather", (414, 24), lat=51.5072, lng=-0.1276),
    _answer(
        {"city": "London", "temperature_c": 21.0, "conditions": "sunny", "summary": "It is 21 C and sunny in London."},
        (463, 40),
    ),
]
#: The incident: the geocoder is down (503); the error goes back to the model, which calls geocode again with the
#: same city, three times, then answers without data.
OUTAGE_LOOP = [
    _tool("call_geo_7", "geocode", (310, 15), city="London"),
    _tool("call_geo_8", "geocode", (357, 15), city="London"),
    _tool("call_geo_9", "geocode", (404, 15), city="London"),
    _answer(
        {
            "city": "London",
            "temperature_c": None,
            "conditions": "unknown",
            "summary": "I could not look up London right now.",
        },
        (451, 41),
    ),
]

#: cassette (relative to this folder) -> (question, script)
CASSETTES: dict[str, tuple[str, list[Reply]]] = {
    "cassettes/london.yaml": (LONDON, HAPPY),
    "cassettes/typo.yaml": (TYPO, TYPO_FIXED),
}


def _check_all_used(server: FakeLLM) -> None:
    if server.unused:
        raise SystemExit(f"{server.unused} scripted replies were not used: the agent changed; update the script")


def record_cassettes() -> None:
    for rel, (question, script) in CASSETTES.items():
        path = HERE / rel
        path.unlink(missing_ok=True)
        with FakeLLM(script) as server, use_cassette(path, mode="once"):
            report = asyncio.run(agent.answer(question, base_url=server.base_url))
        _check_all_used(server)
        print(f"{path.relative_to(ROOT)}: {report!r}")


def record_incident() -> None:
    """Run the agent as it was before the fix, with the geocoder down and tracing on, and save the trace as
    OTLP/JSON (what a collector's file exporter would have written in production)."""
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from otlp import write_otlp_json

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "weather-service"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    agent.SERVICES.geocoder_up = False
    try:
        with FakeLLM(OUTAGE_LOOP) as server:
            report = asyncio.run(
                agent.answer(OUTAGE, base_url=server.base_url, deps=agent.WeatherDeps(stop_on_outage=False))
            )
        _check_all_used(server)
    finally:
        agent.SERVICES.geocoder_up = True
    spans = sorted(exporter.get_finished_spans(), key=lambda s: s.start_time or 0)
    out = HERE / "incident_trace.json"
    write_otlp_json(spans, out)
    print(f"{out.relative_to(ROOT)}: {len(spans)} spans, answer {report!r}")


STEPS: dict[str, Callable[[], None]] = {"cassettes": record_cassettes, "incident": record_incident}


def main(argv: list[str]) -> None:
    unknown = [a for a in argv if a not in STEPS]
    if unknown or not argv:
        raise SystemExit(f"usage: python -m examples.weather_pydantic_ai.record {{{'|'.join(STEPS)}}} ...")
    for step in argv:
        STEPS[step]()


if __name__ == "__main__":
    main(sys.argv[1:])
