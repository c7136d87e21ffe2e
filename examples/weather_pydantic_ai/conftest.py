"""Setup of the weather_pydantic_ai example's tests.

Nothing to instrument here: pydantic-ai's `Instrumentation()` capability is part of the agent (agent.py) and
writes to the global tracer provider, which `--agenttrace` installs and captures from.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from . import agent


@pytest.fixture(autouse=True)
def services_up() -> None:
    """Every test starts with the toy services up."""
    agent.SERVICES.geocoder_up = True


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
