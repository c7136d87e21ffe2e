"""pydantic-ai / logfire extras beyond GenAI semconv: `final_result`, `agent_name`, `pydantic_ai.all_messages`,
and the pre-1.0 names (`agent run` spans, `running tool` spans with `tool_arguments` / `tool_response`)."""

from __future__ import annotations

from .._records import SpanRecord
from ._facts import Facts, first


def extract(rec: SpanRecord) -> Facts | None:
    a = rec.attributes
    if "final_result" in a or "agent_name" in a or "pydantic_ai.all_messages" in a:
        f = Facts(role="agent")
        f.set("name", first(a, "gen_ai.agent.name", "agent_name"))
        f.set("output", a.get("final_result"))
        return f
    if rec.name == "running tool" or ("tool_arguments" in a and "gen_ai.tool.name" in a):
        f = Facts(role="tool")
        f.set("name", first(a, "gen_ai.tool.name"))
        f.set("call_id", first(a, "gen_ai.tool.call.id"))
        f.set("arguments", first(a, "tool_arguments"))
        f.set("result", first(a, "tool_response"))
        return f
    if rec.name == "agent run":
        return Facts(role="agent", fields={"name": first(a, "agent_name") or "agent"})
    return None
