"""Hypothesis strategies that perturb a cassette's tool outputs, for property tests of an agent's robustness.

    from hypothesis import given, settings
    from pytest_agenttrace import strategies as ats

    @settings(max_examples=25, deadline=None)
    @given(perturbation=ats.perturbations(CASSETTE, steps=[2], kinds=("empty", "error", "truncate", "reorder")))
    def test_never_refunds_twice(perturbation):
        with ats.capture() as trace, ats.replaying(CASSETTE, perturbation):
            run_agent(...)
        assert_max_tool_calls(trace, 1, name="refund_order")

Kinds, least to most disruptive (hypothesis shrinks towards the first): `none`, `empty`, `error`, `timeout`,
`truncate`, `reorder`, `schema`. A falsifying example prints as
`Perturbation(step=2, tool='search_kb', kind='error', output=RuntimeError('internal error'))`, and `capture()` notes
the trajectory. This module imports hypothesis; `import pytest_agenttrace` does not.
"""

from __future__ import annotations

from ._perturb import (
    DEFAULT_ERRORS,
    KINDS,
    Perturbation,
    PerturbationError,
    capture,
    from_schema,
    infer_schema,
    perturbations,
    replaying,
)

__all__ = [
    "DEFAULT_ERRORS",
    "KINDS",
    "Perturbation",
    "PerturbationError",
    "capture",
    "from_schema",
    "infer_schema",
    "perturbations",
    "replaying",
]
