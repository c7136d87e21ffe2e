"""Public face of live capture: attach the plugin's span processor to a TracerProvider of your own.

from pytest_agenttrace.capture import attach
attach(my_provider)   # spans of instrumentors given `tracer_provider=my_provider` are captured per test
"""

from __future__ import annotations

from ._capture import attach

__all__ = ["attach"]
