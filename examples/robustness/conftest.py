"""Setup of the robustness example: openai-v2 instrumentation per test, a fresh shop, and no socket at all.

openai-v2 2.4b0 needs `httpx` installed and `opentelemetry-util-genai==1.1b0` (COMPAT.md trap 1). Its spans carry
the token usage the cost budget is computed from. It is turned on for each test and off after, so the other
examples' own instrumentation is not affected.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from . import agent


@pytest.fixture(autouse=True)
def openai_v2(request: pytest.FixtureRequest) -> Iterator[None]:
    """openai-v2 on for this test, on the plugin's provider with `--agenttrace` (else the global one)."""
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    instrumentor = OpenAIInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        yield
        return
    provider: Any = None
    if request.config.getoption("agenttrace", False) or request.config.getini("agenttrace"):
        provider = request.getfixturevalue("agenttrace_tracer_provider")
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield
    finally:
        instrumentor.uninstrument()


@pytest.fixture(autouse=True)
def fresh_shop() -> None:
    """Every test starts with the same order and no refunds."""
    agent.SHOP.reset()


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """This example opens no connection, not even to 127.0.0.1: the cassette and the in-process model answer."""

    def refuse(self: socket.socket, address: Any) -> None:
        raise OSError(f"the robustness example opens no socket; something tried to connect to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
