"""Every third-party fixture trace pseudonymizes without error, keeps its trajectory, and scans clean afterwards.

The expected counts pin what the detectors find in real traces: a change there is either a new detection or a new
false positive, and should be looked at.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from pii_support import FIXTURES

from pytest_agenttrace import Trace
from pytest_agenttrace.formats import load_trace, save_trace
from pytest_agenttrace.pii import Pseudonymizer, scan_paths

TRACES = FIXTURES / "traces"

#: kind -> distinct values found, per fixture file (files not listed: nothing found).
EXPECTED = {
    "agentevals/kagent-helm-agent_jaeger-api.json": {"email": 1},  # admin@kagent.dev in the agent's config
    "agentevals/kagent-helm-agent_tempo-otlp-batches.json": {"email": 1},
    "langfuse/csharp-agent-with-gemini-2026-03-09.langfuse-export.json": {"user_id": 1},  # Langfuse user id
    "langfuse/google-adk-2025-08-28.langfuse-export.json": {"user_id": 1},
}


def fixture_files() -> list[Path]:
    if not TRACES.is_dir():
        return []
    return sorted(p for p in TRACES.rglob("*") if p.is_file() and p.name.endswith((".json", ".jsonl", ".json.gz")))


def load(path: Path) -> Trace:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # odd structures in third-party files are not this test's subject
        return load_trace(path)


@pytest.fixture(scope="module")
def files() -> list[Path]:
    found = fixture_files()
    if not found:
        pytest.skip("../shared/fixtures not present (third-party fixtures are not shipped)")
    return found


def test_fixture_traces_pseudonymize(files: list[Path], tmp_path: Path) -> None:
    counts: dict[str, dict[str, int]] = {}
    for path in files:
        trace = load(path)
        p = Pseudonymizer("fixture-salt")
        out = p.transform_trace(trace)
        name = path.relative_to(TRACES).as_posix()
        if p.report():
            counts[name] = p.report()
        assert out.tool_names == trace.tool_names, name
        assert [c.request_model for c in out.llm_calls] == [c.request_model for c in trace.llm_calls], name
        dumped = json.dumps([r.to_dict() for r in out.records], ensure_ascii=False, default=str)
        assert [v for v in p.mapping().values() if v in dumped] == [], name
        target = tmp_path / name.replace("/", "__")
        save_trace(out, target)
        assert scan_paths([target]) == [], name
    assert counts == EXPECTED
