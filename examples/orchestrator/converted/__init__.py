"""Tests produced by `agenttrace convert` from incident_trace.json (then edited: see ../README.md)."""
