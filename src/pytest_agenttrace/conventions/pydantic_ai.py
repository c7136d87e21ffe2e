"""pydantic-ai / logfire extras beyond GenAI semconv: `final_result`, `agent_name`, `pydantic_ai.all_messages`,
the pre-1.0 names (`agent run` spans, `running tool` spans with `tool_arguments` / `tool_response`), and the
structured-output tools of a chat span (`model_request_parameters.output_tools`: answers, not tool calls)."""

from __future__ import annotations

from .._model import parse_json_maybe
from .._records import SpanRecord
from ._facts import Facts, first

#: `extract` returns None for a span without one of these attributes and not named one of `CLAIM_NAMES` (lets
#: `read_span` skip this module).
CLAIM_KEYS = frozenset(
    {"model_request_parameters", "final_result", "agent_name", "pydantic_ai.all_messages", "tool_arguments"}
)
CLAIM_NAMES = frozenset({"running tool", "agent run"})


def extract(rec: SpanRecord) -> Facts | None:
    a = rec.attributes
    params = a.get("model_request_parameters")
    if params is not None:
        # a chat span: the structured-output "tools" (final_result) are how the answer is returned, not tool calls
        data = parse_json_maybe(params)
        names = (
            [t.get("name") for t in data["output_tools"] if isinstance(t, dict) and t.get("name")]
            if isinstance(data, dict) and isinstance(data.get("output_tools"), list)
            else []
        )
        return Facts(fields={"output_tools": tuple(names)}) if names else None
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
