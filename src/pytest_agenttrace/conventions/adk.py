"""Google ADK (`gcp.vertex.agent.*`): tool arguments and results live only in `tool_call_args` / `tool_response`,
model requests and responses in `llm_request` / `llm_response`. `gen_ai.system=gcp.vertex.agent` names the framework,
not the provider, so it is dropped here."""

from __future__ import annotations

from typing import Any

from .._model import parse_json_maybe
from .._records import SpanRecord
from ._facts import Facts
from ._messages import parse_messages

#: `extract` returns None for a span without one of these attributes (lets `read_span` skip this module).
CLAIM_KEYS = frozenset({"gcp.vertex.agent.tool_call_args", "gcp.vertex.agent.llm_request"})
CLAIM_NAMES: frozenset[str] = frozenset()


def extract(rec: SpanRecord) -> Facts | None:
    a = rec.attributes
    if "gcp.vertex.agent.tool_call_args" in a or "gcp.vertex.agent.llm_request" in a:
        f = Facts()
        if "gcp.vertex.agent.tool_call_args" in a:
            f.set("arguments", a.get("gcp.vertex.agent.tool_call_args"))
            result = parse_json_maybe(a.get("gcp.vertex.agent.tool_response"))
            f.set("result", result)
        req = parse_json_maybe(a.get("gcp.vertex.agent.llm_request"))
        if isinstance(req, dict) and "gcp.vertex.agent.tool_call_args" not in a:
            f.set("input_messages", parse_messages(req.get("contents")))
            f.set("request_model", req.get("model"))
        resp = parse_json_maybe(a.get("gcp.vertex.agent.llm_response"))
        if isinstance(resp, dict) and "gcp.vertex.agent.tool_call_args" not in a:
            content = resp.get("content")
            if isinstance(content, dict):
                msg: dict[str, Any] = dict(content)
                if resp.get("finish_reason"):
                    msg["finish_reason"] = resp["finish_reason"]
                f.set("output_messages", parse_messages([msg], default_role="assistant"))
        return f
    return None


FRAMEWORK_SYSTEMS = frozenset({"gcp.vertex.agent"})
