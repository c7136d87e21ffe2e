"""Setup of the refund_anthropic example's tests: an offline client and a fresh shop.

No instrumentor: the anthropic SDK traces itself into the global tracer provider, which `--agenttrace` sets.
"""

from __future__ import annotations

import pytest

from . import agent

#: Nothing listens on port 9 (discard): a request that the cassette does not answer fails instead of leaving.
OFFLINE_BASE_URL = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def anthropic_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent's client reads these: a dummy key and an unreachable base URL (cassettes answer instead)."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", OFFLINE_BASE_URL)


@pytest.fixture(autouse=True)
def fresh_shop() -> None:
    agent.reset_shop()
