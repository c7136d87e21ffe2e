"""Shared fixtures of the cassette tests: the fake LLM server's folder on sys.path, a network guard, fixture paths."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cassette_support import SHARED_HTTP


class NetworkBlocked(OSError):
    """Raised by the `no_network` guard for any connection attempt."""


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Record modes are forced to `none` when CI is set; these tests choose their modes themselves."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("ANTHROPIC_OPEN_TELEMETRY", "false")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every socket connection (any address, loopback included) and name lookup fails; yields the attempts."""
    attempts: list[Any] = []

    def connect(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise NetworkBlocked(f"network blocked in this test: connect({address!r})")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(host)
        raise NetworkBlocked(f"network blocked in this test: getaddrinfo({host!r})")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts


@pytest.fixture
def shared_http() -> Path:
    if not SHARED_HTTP.is_dir():
        pytest.skip("../shared/fixtures not present (third-party fixtures are not shipped)")
    return SHARED_HTTP.resolve()
