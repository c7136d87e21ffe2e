"""@tool under pydantic-ai and LangChain tools: the frameworks see the same signature; replays skip the real tool."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai import Agent, RunContext
from pydantic_ai.models.test import TestModel

from pytest_agenttrace.cassettes import Cassette, is_tool, tool, use_cassette, wrap_langchain_tool

RAN: list[str] = []


@pytest.fixture(autouse=True)
def _clear() -> None:
    RAN.clear()


def test_pydantic_ai_tools_record_and_replay(tmp_path: Path) -> None:
    agent = Agent(TestModel())

    @agent.tool
    @tool
    async def get_order(ctx: RunContext[None], order_id: str) -> dict[str, Any]:
        """Look an order up."""
        RAN.append("get_order")
        return {"order_id": order_id, "status": "delivered"}

    @agent.tool_plain
    @tool
    def search_kb(query: str) -> str:
        """Search the knowledge base."""
        RAN.append("search_kb")
        return "policy: refunds within 30 days"

    schema = agent._function_toolset.tools["get_order"].function_schema.json_schema
    assert schema["properties"] == {"order_id": {"type": "string"}}  # RunContext is not a tool parameter

    path = tmp_path / "c.yaml"
    with use_cassette(path, mode="once", http=False):
        recorded = asyncio.run(agent.run("refund please")).output
    assert sorted(RAN) == ["get_order", "search_kb"]
    saved = Cassette.load(path).tools
    by_name = {t.name: t for t in saved}
    assert by_name["get_order"].arguments == {"order_id": "a"}  # the RunContext is left out of the arguments
    assert by_name["get_order"].call_id  # ... and gives the tool call id
    RAN.clear()
    with use_cassette(path, http=False) as session:
        assert asyncio.run(agent.run("refund please")).output == recorded
    assert RAN == [] and {c.source for c in session.calls} == {"replayed"}


def test_langchain_tool_over_the_decorator(tmp_path: Path) -> None:
    from langchain_core.tools import tool as lc_tool

    @lc_tool
    @tool
    def get_weather(city: str) -> str:
        """Weather for a city."""
        RAN.append(city)
        return f"sunny in {city}"

    @lc_tool
    @tool
    async def aget_weather(city: str) -> str:
        """Weather for a city, async."""
        RAN.append(city)
        return f"rainy in {city}"

    assert set(get_weather.args) == {"city"}
    path = tmp_path / "c.yaml"
    with use_cassette(path, mode="once", http=False):
        assert get_weather.invoke({"city": "Paris"}) == "sunny in Paris"
        assert asyncio.run(aget_weather.ainvoke({"city": "Rome"})) == "rainy in Rome"
    RAN.clear()
    with use_cassette(path, http=False):
        assert get_weather.invoke({"city": "Paris"}) == "sunny in Paris"
        assert asyncio.run(aget_weather.ainvoke({"city": "Rome"})) == "rainy in Rome"
    assert RAN == []


def test_wrap_an_existing_langchain_tool(tmp_path: Path) -> None:
    from langchain_core.tools import tool as lc_tool

    @lc_tool
    def lookup(order_id: str) -> str:
        """Order lookup built by someone else."""
        RAN.append(order_id)
        return f"order {order_id}"

    wrapped = wrap_langchain_tool(lookup)
    assert is_tool(wrapped.func) and not is_tool(lookup.func)
    path = Cassette().save(tmp_path / "c.yaml")
    with use_cassette(path, mode="new_episodes", http=False) as session:
        assert wrapped.invoke({"order_id": "A1"}) == "order A1"
    assert [(c.name, c.arguments) for c in session.calls] == [("lookup", {"order_id": "A1"})]
