"""Shared test helpers: a pytester with a quiet ini, and the OTel global provider restored after each run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml  # noqa: F401

# Import the package's modules before any in-process pytester run: pytester restores sys.modules after each run,
# and a module first imported inside a run would come back as a second copy (two `Trace` classes) in the next.

# hypothesis' plugin re-imports hypothesis in every in-process run (0.7 s each); these runs do not need it.
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:hypothesispytest\n"


@pytest.fixture
def fresh_otel_globals() -> Iterator[None]:
    """Let an in-process run set the global tracer provider, then put the outer one back (set-once is per process)."""
    from opentelemetry import trace
    from opentelemetry.util._once import Once

    saved = (trace._TRACER_PROVIDER, trace._TRACER_PROVIDER_SET_ONCE)
    trace._TRACER_PROVIDER = None
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    try:
        yield
    finally:
        trace._TRACER_PROVIDER, trace._TRACER_PROVIDER_SET_ONCE = saved


@pytest.fixture
def pt(pytester: pytest.Pytester, fresh_otel_globals: None) -> pytest.Pytester:
    """`pytester` with a quiet, fast ini (`INI`) and a reversible global tracer provider."""
    pytester.makeini(INI)
    return pytester


@pytest.fixture
def quiet_ini() -> str:
    """The ini text `pt` writes, for tests that add keys to it."""
    return INI
