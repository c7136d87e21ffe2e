"""Paths the cassette tests share; importing it puts the fake LLM server's folder on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "fixtures" / "scripts"
TRACES = REPO / "fixtures" / "traces"
SHARED_HTTP = REPO / ".." / "shared" / "fixtures" / "http"

if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))
