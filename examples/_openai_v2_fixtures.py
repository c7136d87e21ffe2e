"""Fixtures shared by the examples whose agents use the openai SDK with the official openai-v2 instrumentation.

openai-v2 2.4b0 needs `httpx` installed and `opentelemetry-util-genai==1.1b0`; it records message content on its
spans only with the two environment variables below, read when `instrument()` runs (COMPAT.md traps 1 and 2).
Each example's conftest imports these fixtures by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

OPENAI_V2_ENV = {
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "span_only",
    "OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
}
#: Nothing listens on port 9 (discard): a request that the cassette does not answer fails instead of leaving.
OFFLINE_BASE_URL = "http://127.0.0.1:9/v1"


@pytest.fixture(autouse=True)
def openai_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent's client reads these: a dummy key and an unreachable base URL (cassettes answer instead)."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("OPENAI_BASE_URL", OFFLINE_BASE_URL)


@pytest.fixture(autouse=True)
def openai_v2(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """openai-v2 on for this test, exporting to the plugin's provider (off again after, so other examples
    are not affected). Left alone when something else already instrumented openai."""
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    for key, value in OPENAI_V2_ENV.items():
        monkeypatch.setenv(key, value)
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
