"""A weather agent written with pydantic-ai 2.68: two tools, a structured answer, OpenTelemetry on.

The model (`OpenAIChatModel` over the openai SDK, so its HTTP traffic goes through httpx2, which cassettes
replay) geocodes the city, asks for the weather at that position and answers with a `WeatherReport`
(OpenAI structured output). pydantic-ai's own `Instrumentation` capability emits the spans (`invoke_agent`,
`chat`, `execute_tool`) to the global tracer provider, which `pytest --agenttrace` captures.

Each tool is split in two: the pydantic-ai tool the model sees (`geocode`, `get_weather`: agent logic, always
runs) and the service it calls (`geocoding_api`, `weather_api`: the I/O boundary, marked with
`@pytest_agenttrace.tool` under the same name and parameter names, so tests replay it from a cassette, including
one converted from a production trace).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from openai import AsyncOpenAI
from pydantic import BaseModel, Field
from pydantic_ai import Agent, NativeOutput, RunContext
from pydantic_ai.capabilities import AbstractCapability, Instrumentation
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.run import AgentRunResult

import pytest_agenttrace

AGENT_NAME = "weather_agent"
MODEL = "gpt-4o-mini"
#: Nothing listens on port 9 (discard): without a cassette or a server, a request fails at once.
OFFLINE_BASE_URL = "http://127.0.0.1:9/v1"
INSTRUCTIONS = (
    "You answer questions about the current weather in a city. Call geocode with the city name, then "
    "get_weather with the lat and lng it returned. If geocode reports an unknown city, check the spelling and "
    "try again. Answer with a WeatherReport."
)


class WeatherReport(BaseModel):
    """The agent's answer (its JSON schema is sent to the model as the response format)."""

    city: str = Field(description="The city, as the geocoder spells it")
    temperature_c: float | None = Field(description="Temperature in degrees Celsius, null when unknown")
    conditions: str = Field(description="Sky conditions, e.g. 'sunny'; 'unknown' when unavailable")
    summary: str = Field(description="One sentence for the user")


class WeatherServiceDown(RuntimeError):
    """A service the agent depends on is down: retrying the same call cannot help."""

    def __init__(self, city: str, message: str) -> None:
        self.city = city
        super().__init__(message)


@dataclass
class WeatherDeps:
    """Per-run settings of the agent (pydantic-ai `deps`)."""

    #: The fix of the geocoding-outage incident (README.md): an outage ends the run with an honest answer.
    #: False reproduces the incident: the error went back to the model, which called geocode again and again.
    stop_on_outage: bool = True


# ----------------------------------------------------------------------------------------- toy services

#: city (lower case) -> (name, lat, lng)
CITIES: dict[str, tuple[str, float, float]] = {
    "london": ("London", 51.5072, -0.1276),
    "lisbon": ("Lisbon", 38.7223, -9.1393),
    "paris": ("Paris", 48.8566, 2.3522),
}
#: (lat, lng) rounded to 2 places -> current weather
FORECASTS: dict[tuple[float, float], dict[str, Any]] = {
    (51.51, -0.13): {"temp_c": 21.0, "conditions": "sunny"},
    (38.72, -9.14): {"temp_c": 24.5, "conditions": "clear"},
    (48.86, 2.35): {"temp_c": 17.0, "conditions": "light rain"},
}


@dataclass
class Services:
    """Switches of the toy services (record.py turns the geocoder off to reproduce the incident)."""

    geocoder_up: bool = True


SERVICES = Services()


@pytest_agenttrace.tool(name="geocode", span=False)  # pydantic-ai already emits the execute_tool span
async def geocoding_api(city: str) -> dict[str, Any]:
    """The geocoding service: `status` 200 with lat/lng, 404 for an unknown city, 503 when it is down."""
    if not SERVICES.geocoder_up:
        return {"status": 503, "error": "geocoding service unavailable, try again later"}
    hit = CITIES.get(city.strip().lower())
    if hit is None:
        return {"status": 404, "error": f"no city named {city!r}"}
    name, lat, lng = hit
    return {"status": 200, "city": name, "lat": lat, "lng": lng}


@pytest_agenttrace.tool(name="get_weather", span=False)
async def weather_api(lat: float, lng: float) -> dict[str, Any]:
    """The weather service: current temperature and conditions at a position (404 where it has no station)."""
    forecast = FORECASTS.get((round(lat, 2), round(lng, 2)))
    if forecast is None:
        return {"status": 404, "error": f"no weather station near lat={lat}, lng={lng}"}
    return {"status": 200, **forecast}


# ------------------------------------------------------------------------------------------ the agent


async def geocode(ctx: RunContext[WeatherDeps], city: str) -> dict[str, Any]:
    """Latitude and longitude of a city (status 404: unknown city name, check the spelling)."""
    place = await geocoding_api(city)
    if ctx.deps.stop_on_outage and place.get("status", 200) >= 500:
        raise WeatherServiceDown(city, str(place.get("error")))
    return place


async def get_weather(ctx: RunContext[WeatherDeps], lat: float, lng: float) -> dict[str, Any]:
    """Current temperature (degrees C) and conditions at a latitude and longitude."""
    report = await weather_api(lat, lng)
    if ctx.deps.stop_on_outage and report.get("status", 200) >= 500:
        raise WeatherServiceDown(f"{lat},{lng}", str(report.get("error")))
    return report


@dataclass
class AnswerWhenServicesAreDown(AbstractCapability[WeatherDeps]):
    """Ends a run whose service is down with an honest `WeatherReport` instead of an exception (the run, and
    its `invoke_agent` span, succeed; the failed tool call stays an error in the trace)."""

    async def on_run_error(self, ctx: RunContext[WeatherDeps], *, error: BaseException) -> AgentRunResult[Any]:
        if not isinstance(error, WeatherServiceDown):
            raise error
        report = WeatherReport(
            city=error.city,
            temperature_c=None,
            conditions="unknown",
            summary=f"The weather service is unavailable right now ({error}); please try again later.",
        )
        return AgentRunResult(report)


def build_agent(client: AsyncOpenAI) -> Agent[WeatherDeps, WeatherReport]:
    """The agent on an openai client; spans go to the global tracer provider (`Instrumentation()`)."""
    model = OpenAIChatModel(MODEL, provider=OpenAIProvider(openai_client=client))
    return Agent(
        model,
        name=AGENT_NAME,
        instructions=INSTRUCTIONS,
        deps_type=WeatherDeps,
        # NativeOutput: the answer is the final message's JSON (response_format json_schema). The default tool
        # output would add a `final_result` tool call to every trace (see README.md, known gaps).
        output_type=NativeOutput(WeatherReport),
        tools=[geocode, get_weather],
        capabilities=[Instrumentation(), AnswerWhenServicesAreDown()],
    )


def _client(base_url: str | None) -> AsyncOpenAI:
    return AsyncOpenAI(
        base_url=base_url or os.environ.get("OPENAI_BASE_URL") or OFFLINE_BASE_URL,
        api_key=os.environ.get("OPENAI_API_KEY") or "sk-example-not-a-real-key",
        max_retries=0,  # a replay miss must fail at once, not after retries
    )


async def answer(question: str, *, base_url: str | None = None, deps: WeatherDeps | None = None) -> WeatherReport:
    """Answer a weather question (the agent's entry point; `agenttrace convert --entrypoint` calls it)."""
    client = _client(base_url)
    try:
        result = await build_agent(client).run(question, deps=deps or WeatherDeps())
    finally:
        await client.close()
    return result.output
