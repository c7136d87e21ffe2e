"""A travel agent built as a LangGraph `StateGraph`: `ChatOpenAI` with two tools and a structured `TripPlan`.

The graph is hand-built (`call_model` -> `tools` -> back, `tools_condition` to stop) rather than
`create_react_agent`, which is deprecated in LangGraph 1.x and would warn (an error under `-W error`). The model
answers with a `TripPlan` (OpenAI structured output, `response_format`), so the final message is JSON. Spans come
from `openinference-instrumentation-langchain`, switched on by the application (here: the tests' conftest.py).

The tools are LangChain tools whose functions go through `@pytest_agenttrace.tool` (with `span=False`: OpenInference
already records a TOOL span, and it never makes its spans current, so a second span would not nest under it).
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from pydantic import BaseModel, Field, SecretStr

import pytest_agenttrace

AGENT_NAME = "travel_agent"  # OpenInference marks a run whose name contains "agent" as an AGENT span
MODEL = "gpt-4o-mini"
#: Nothing listens on port 9 (discard): without a cassette or a server, a request fails at once.
OFFLINE_BASE_URL = "http://127.0.0.1:9/v1"
SYSTEM_PROMPT = (
    "You plan short trips. Find a direct flight with search_flights (IATA airport codes, e.g. BER, LIS), get the "
    "weather at the destination with get_weather, then answer with a TripPlan."
)


class Flight(BaseModel):
    number: str
    departs: str = Field(description="Local departure time, HH:MM")
    price_eur: float


class Weather(BaseModel):
    conditions: str
    temp_c: float


class TripPlan(BaseModel):
    """The agent's answer (its JSON schema is the response format of every model call)."""

    origin: str = Field(description="IATA code of the departure airport")
    destination: str = Field(description="IATA code of the arrival airport")
    flight: Flight | None = Field(description="The cheapest direct flight, null when there is none")
    weather: Weather | None = Field(description="Weather at the destination, null when unknown")
    summary: str = Field(description="One or two sentences for the traveller")


# ----------------------------------------------------------------------------------------- toy services

#: (origin, destination) -> direct flights tomorrow, cheapest first
FLIGHTS: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("BER", "LIS"): [{"number": "TP 537", "departs": "09:40", "price_eur": 129.0}],
    ("BER", "OPO"): [{"number": "FR 1204", "departs": "06:15", "price_eur": 74.0}],
    ("MUC", "LIS"): [{"number": "LH 1792", "departs": "12:05", "price_eur": 188.0}],
}
#: city -> weather tomorrow
FORECASTS: dict[str, dict[str, Any]] = {
    "lisbon": {"conditions": "sunny", "temp_c": 24.0},
    "porto": {"conditions": "cloudy", "temp_c": 19.0},
    "faro": {"conditions": "sunny", "temp_c": 27.0},
}


@tool
@pytest_agenttrace.tool(span=False)
def search_flights(origin: str, destination: str) -> dict[str, Any]:
    """Direct flights tomorrow between two airports given as IATA codes, cheapest first."""
    return {"origin": origin, "destination": destination, "flights": FLIGHTS.get((origin, destination), [])}


@tool
@pytest_agenttrace.tool(span=False)
def get_weather(city: str) -> dict[str, Any]:
    """Tomorrow's weather forecast for a city."""
    forecast = FORECASTS.get(city.strip().lower())
    if forecast is None:
        return {"city": city, "error": "no forecast for this city"}
    return {"city": city, **forecast}


TOOLS = [search_flights, get_weather]


# ------------------------------------------------------------------------------------------ the graph


class State(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


def _empty_search(state: State) -> dict[str, Any] | None:
    """The arguments of the search the tools node just ran, when it found no flight."""
    messages = state["messages"]
    results: dict[str, ToolMessage] = {}
    for m in reversed(messages):
        if not isinstance(m, ToolMessage):
            break
        results[m.tool_call_id] = m
    request = messages[-len(results) - 1] if results else None
    if not isinstance(request, AIMessage):
        return None
    for tc in request.tool_calls:
        if tc["name"] != "search_flights" or tc["id"] not in results:
            continue
        try:
            found = json.loads(str(results[tc["id"]].content))
        except ValueError:
            continue
        if isinstance(found, dict) and found.get("flights") == []:
            return dict(tc["args"])
    return None


def no_flights(state: State) -> dict[str, Any]:
    """Answer at once when the search found nothing: searching again with the same airports cannot help."""
    args = _empty_search(state) or {}
    origin, destination = str(args.get("origin", "?")), str(args.get("destination", "?"))
    plan = TripPlan(
        origin=origin,
        destination=destination,
        flight=None,
        weather=None,
        summary=f"There is no direct flight from {origin} to {destination} tomorrow; try another day or airport.",
    )
    return {"messages": [AIMessage(content=plan.model_dump_json())]}


def build_graph(llm: ChatOpenAI, *, stop_on_empty_search: bool = True) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The agent's graph. `stop_on_empty_search` is the fix of the search-loop incident (README.md); False
    reproduces it: an empty result went back to the model, which searched again and again."""
    bound = llm.bind_tools(TOOLS, response_format=TripPlan, strict=True)

    def call_model(state: State) -> dict[str, Any]:
        return {"messages": [bound.invoke(state["messages"])]}

    def after_tools(state: State) -> str:
        return "no_flights" if stop_on_empty_search and _empty_search(state) is not None else "call_model"

    graph = StateGraph(State)
    graph.add_node("call_model", call_model)
    graph.add_node("tools", ToolNode(TOOLS))
    graph.add_node("no_flights", no_flights)
    graph.add_edge(START, "call_model")
    graph.add_conditional_edges("call_model", tools_condition, ["tools", END])
    graph.add_conditional_edges("tools", after_tools, ["call_model", "no_flights"])
    graph.add_edge("no_flights", END)
    return graph.compile(name=AGENT_NAME)


def plan_trip(request: str, *, base_url: str | None = None, stop_on_empty_search: bool = True) -> TripPlan:
    """Plan a trip from a traveller's request (the agent's entry point; `agenttrace convert --entrypoint` calls it)."""
    llm = ChatOpenAI(
        model=MODEL,
        base_url=base_url or os.environ.get("OPENAI_BASE_URL") or OFFLINE_BASE_URL,
        api_key=SecretStr(os.environ.get("OPENAI_API_KEY") or "sk-example-not-a-real-key"),
        max_retries=0,  # a replay miss must fail at once, not after retries
    )
    app = build_graph(llm, stop_on_empty_search=stop_on_empty_search)
    out = app.invoke({"messages": [SystemMessage(SYSTEM_PROMPT), HumanMessage(request)]})
    return TripPlan.model_validate_json(str(out["messages"][-1].content))
