"""Setup of the refund_openai example's tests.

The openai-v2 instrumentation and the offline client settings come from `examples/_openai_v2_fixtures.py`.
"""

from __future__ import annotations

import pytest

from examples._openai_v2_fixtures import openai_offline, openai_v2  # noqa: F401  (autouse fixtures)

from . import agent


@pytest.fixture(autouse=True)
def fresh_shop() -> None:
    """Every test starts with the same orders and no refunds."""
    agent.SHOP.reset()
