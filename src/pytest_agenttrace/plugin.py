"""pytest hooks, options, markers and fixtures only; the work happens in the session and pure modules."""
