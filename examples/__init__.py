"""Runnable example agents with their tests: `.venv/bin/pytest examples --agenttrace -p xdist -n 2`."""
