"""A refund agent on the anthropic SDK, which emits its own OpenTelemetry spans."""
