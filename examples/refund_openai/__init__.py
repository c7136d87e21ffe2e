"""A refund agent on the openai SDK, instrumented with opentelemetry-instrumentation-openai-v2."""
