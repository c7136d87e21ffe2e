"""Setup of the orchestrator example's tests.

The openai-v2 instrumentation and the offline client settings come from `examples/_openai_v2_fixtures.py`.
"""

from __future__ import annotations

import pytest

from examples._openai_v2_fixtures import openai_offline, openai_v2  # noqa: F401  (autouse fixtures)

from . import agent


@pytest.fixture(autouse=True)
def warehouse_up() -> None:
    """The warehouse backend is up unless a test says otherwise."""
    agent.WAREHOUSE["up"] = True
