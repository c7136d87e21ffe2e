"""Setup of the travel_langgraph example's tests: OpenInference's LangChain instrumentation, once per process.

`LangChainInstrumentor` patches LangChain's callback manager for the whole process, so it is switched on once
(session fixture) against the plugin's tracer provider. It only sees LangChain runs: the examples that call the
openai or anthropic SDKs directly get no extra spans from it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest


@pytest.fixture(scope="session", autouse=True)
def langchain_instrumented(request: pytest.FixtureRequest) -> Iterator[None]:
    """OpenInference on for LangChain/LangGraph, exporting to the plugin's provider (left alone when something
    else instrumented LangChain already)."""
    from openinference.instrumentation.langchain import LangChainInstrumentor

    instrumentor = LangChainInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        yield
        return
    provider: Any = None  # without --agenttrace: the global provider
    if request.config.getoption("agenttrace", False) or request.config.getini("agenttrace"):
        provider = request.getfixturevalue("agenttrace_tracer_provider")
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield
    finally:
        instrumentor.uninstrument()


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every socket connection, loopback included: a replayed run must not even try to reach a server."""

    def refuse(self: socket.socket, address: Any) -> Any:
        raise AssertionError(f"a replayed test opened a connection to {address!r}: the cassette did not answer")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture
def fake_llm() -> Iterator[Callable[[Sequence[Any]], Any]]:
    """Start `fixtures/scripts/fake_llm.py`'s scripted server on 127.0.0.1 (for live-capture tests)."""
    from .record import FakeLLM  # record.py puts fixtures/scripts on sys.path

    servers: list[Any] = []

    def start(script: Sequence[Any]) -> Any:
        server = FakeLLM(script).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
        assert not server.errors, server.errors
