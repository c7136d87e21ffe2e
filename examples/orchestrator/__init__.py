"""A multi-agent support orchestrator: sub-agents in a thread, an asyncio task and behind a propagation carrier."""
