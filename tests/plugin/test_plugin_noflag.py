"""Without `--agenttrace` the plugin is inert: no heavy imports, no tracer provider touched (fresh processes)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pytest_agenttrace.plugin import OPTION_ENABLE

HEAVY = ("opentelemetry", "vcr", "deepdiff", "jsonschema", "genai_prices", "yaml", "httpx", "httpx2")
#: Modules of this package that may only be imported once capture is on.
CAPTURE_ONLY = ("_capture", "_session", "_live", "_model", "_build", "_config", "conventions")


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = "import sys, pytest_agenttrace.plugin\nprint('\\n'.join(sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    modules = out.split()
    assert "pytest_agenttrace.plugin" in modules
    assert [m for m in modules if m.split(".")[0] in HEAVY] == []
    assert [m for m in modules if m.split(".")[:2][-1] in CAPTURE_ONLY and m.startswith("pytest_agenttrace.")] == []


INNER = """
import sys
from opentelemetry import trace

def test_nothing_touched():
    with trace.get_tracer("x").start_as_current_span("ignored"):
        pass
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    assert "opentelemetry.sdk" not in sys.modules
    assert "pytest_agenttrace._capture" not in sys.modules and "pytest_agenttrace._session" not in sys.modules
"""


@pytest.mark.parametrize("enabled", [False, True])
def test_a_run_without_the_flag_changes_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    # Only this plugin is loaded (other installed plugins may import the SDK themselves).
    pytester.makepyfile(INNER)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    args = ["-p", "pytest_agenttrace.plugin", *([OPTION_ENABLE] if enabled else [])]
    result = pytester.runpytest_subprocess(*args)
    if enabled:  # the same test fails with capture on: it can tell the difference
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*where False = isinstance(<pytest_agenttrace._tracer.RecordingTracerProvider *"])
    else:
        result.assert_outcomes(passed=1)
        result.stdout.no_fnmatch_line("*agenttrace*")
