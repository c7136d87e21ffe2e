"""OpenAI Agents SDK native traces (the `POST /v1/traces/ingest` bodies its exporter sends).

Accepted: a list of `{"data": [...]}` bodies, one body, or a bare list of items. Items are `{"object": "trace", id,
workflow_name, group_id, metadata}` or `{"object": "trace.span", id, trace_id, parent_id, started_at, ended_at,
span_data: {type, ...}, error}`. Ids: `trace_<32 hex>` -> the 32 hex; `span_<24 hex>` -> its first 16 hex (the
original is kept as `openai_agents.span.id`). Every span gets `openai_agents.span.type`. Mapping by `span_data.type`:

- `agent` -> name `invoke_agent <name>`, `gen_ai.operation.name=invoke_agent`, `gen_ai.agent.name`,
  `openai_agents.agent.{handoffs,tools,output_type}`.
- `function` -> name `execute_tool <name>`, `gen_ai.operation.name=execute_tool`, `gen_ai.tool.name`,
  `gen_ai.tool.call.arguments` (input), `gen_ai.tool.call.result` (output; text kept as is, e.g. a Python repr),
  `openai_agents.function.mcp_data` (JSON).
- `response` / `generation` -> kind CLIENT, name `chat` (`chat <model>` when known), `gen_ai.operation.name=chat`,
  `gen_ai.response.id`, and when present `gen_ai.request.model`, `gen_ai.usage.input_tokens`/`output_tokens`
  (`prompt_tokens`/`completion_tokens` too), `gen_ai.input.messages`/`gen_ai.output.messages` (JSON of what was
  recorded), `gen_ai.request.{temperature,top_p,max_tokens}` from `model_config`.
- `handoff` -> name `handoff`, `openai_agents.handoff.from` / `.to`.
- `guardrail` -> name `guardrail <name>`, `openai_agents.guardrail.triggered`; `custom` -> name `<name>`,
  `openai_agents.custom.data` (JSON); `mcp_tools` -> name `mcp_tools`, `openai_agents.mcp_tools.{server,result}`;
  other types -> name `<type>`, scalar fields as `openai_agents.<type>.<field>`, others as JSON.
- `error: {message, data}` -> status ERROR with the message, `data` as `openai_agents.error.data` (JSON).
- A trace object's `workflow_name` / `group_id` / `metadata` go on that trace's root spans as
  `openai_agents.trace.{workflow_name,group_id,metadata}`.
"""

from __future__ import annotations

from typing import Any

from .._records import SpanRecord
from ._common import (
    SPAN_ERRORS,
    FieldError,
    ReadContext,
    fail_span,
    foreign_id,
    iso_to_ns,
    json_text,
    plain_value,
    require_dict,
    require_list,
    require_str,
    short,
    text_or_json,
    truncate,
)

NAME = "OpenAI Agents traces/ingest payloads"
_EXPECTED = 'a span item {"object": "trace.span", id, trace_id, parent_id, started_at, ended_at, span_data: {type}}'


def _is_item(d: Any) -> bool:
    return isinstance(d, dict) and d.get("object") in ("trace", "trace.span")


def _is_body(d: Any) -> bool:
    return isinstance(d, dict) and isinstance(d.get("data"), list) and (not d["data"] or _is_item(d["data"][0]))


def sniff(doc: Any) -> bool:
    if isinstance(doc, dict):
        return _is_body(doc) or _is_item(doc)
    return isinstance(doc, list) and bool(doc) and (_is_body(doc[0]) or _is_item(doc[0]))


def _items(doc: Any, ctx: ReadContext) -> list[Any]:
    if isinstance(doc, dict):
        doc = [doc]
    items: list[Any] = []
    for i, entry in enumerate(doc):
        if isinstance(entry, dict) and "data" in entry and "object" not in entry:
            try:
                items.extend(require_list(entry["data"], f"body {i + 1}: 'data'"))
            except FieldError as exc:
                raise ctx.error(str(exc)) from None
        else:
            items.append(entry)
    return items


def read(doc: Any, ctx: ReadContext) -> list[SpanRecord]:
    maxc = ctx.max_attr_chars
    traces: dict[str, dict[str, Any]] = {}
    out: list[SpanRecord] = []
    for raw in _items(doc, ctx):
        try:
            raw = require_dict(raw, "an item")
            if raw.get("object") == "trace":
                traces[foreign_id(require_str(raw["id"], "trace id"), 16, "id", prefixes=("trace_",))] = raw
                continue
            if raw.get("object") != "trace.span":
                raise FieldError(f"'object' must be 'trace' or 'trace.span', got {short(raw.get('object'))}")
            out.append(_span(raw, maxc))
        except SPAN_ERRORS as exc:
            fail_span(
                ctx, raw, exc, expected=_EXPECTED, name_keys=("span_data.name", "span_data.type"), id_keys=("id",)
            )
    if traces:
        out = [_with_trace_info(r, traces.get(r.trace_id), maxc) if r.parent_id is None else r for r in out]
    return out


def _with_trace_info(record: SpanRecord, trace: dict[str, Any] | None, maxc: int) -> SpanRecord:
    if trace is None:
        return record
    for key in ("workflow_name", "group_id", "metadata"):
        value = trace.get(key)
        if value is not None:
            text = value if isinstance(value, (str, int, float, bool)) else json_text(value)
            if isinstance(text, str) and len(text) > maxc:
                text = truncate(text, maxc)
            record.attributes.setdefault(f"openai_agents.trace.{key}", text)
    return record


def _text(value: Any, maxc: int) -> str:
    text = text_or_json(value)
    return text if len(text) <= maxc else truncate(text, maxc)


def _span(raw: dict[str, Any], maxc: int) -> SpanRecord:
    span_raw = require_str(raw["id"], "id")
    data = require_dict(raw.get("span_data") or {}, "span_data")
    typ = data.get("type")
    if not isinstance(typ, str):
        raise FieldError(f"span_data.type must be a string (agent, response, function, ...), got {short(typ)}")
    attrs: dict[str, Any] = {"openai_agents.span.type": typ}
    kind = "INTERNAL"
    name = typ
    if typ == "agent":
        agent = data.get("name")
        name = f"invoke_agent {agent}" if agent else "invoke_agent"
        attrs["gen_ai.operation.name"] = "invoke_agent"
        if agent is not None:
            attrs["gen_ai.agent.name"] = require_str(agent, "span_data.name")
        for key in ("handoffs", "tools", "output_type"):
            if data.get(key) is not None:
                attrs[f"openai_agents.agent.{key}"] = plain_value(data[key], maxc)
    elif typ == "function":
        tool = data.get("name")
        name = f"execute_tool {tool}" if tool else "execute_tool"
        attrs["gen_ai.operation.name"] = "execute_tool"
        if tool is not None:
            attrs["gen_ai.tool.name"] = require_str(tool, "span_data.name")
        if data.get("input") is not None:
            attrs["gen_ai.tool.call.arguments"] = _text(data["input"], maxc)
        if data.get("output") is not None:
            attrs["gen_ai.tool.call.result"] = _text(data["output"], maxc)
        if data.get("mcp_data") is not None:
            attrs["openai_agents.function.mcp_data"] = _text(data["mcp_data"], maxc)
    elif typ in ("response", "generation"):
        kind = "CLIENT"
        attrs["gen_ai.operation.name"] = "chat"
        model = data.get("model")
        if isinstance(model, dict):  # some versions nest the response object
            model = model.get("model")
        name = f"chat {model}" if isinstance(model, str) and model else "chat"
        if isinstance(model, str) and model:
            attrs["gen_ai.request.model"] = model
        if data.get("response_id") is not None:
            attrs["gen_ai.response.id"] = require_str(data["response_id"], "span_data.response_id")
        usage = data.get("usage")
        if isinstance(usage, dict):
            for src, key in (
                ("input_tokens", "gen_ai.usage.input_tokens"),
                ("prompt_tokens", "gen_ai.usage.input_tokens"),
                ("output_tokens", "gen_ai.usage.output_tokens"),
                ("completion_tokens", "gen_ai.usage.output_tokens"),
            ):
                if isinstance(usage.get(src), int):
                    attrs.setdefault(key, usage[src])
        if data.get("input") is not None:
            attrs["gen_ai.input.messages"] = _text(data["input"], maxc)
        if data.get("output") is not None:
            attrs["gen_ai.output.messages"] = _text(data["output"], maxc)
        config = data.get("model_config")
        if isinstance(config, dict):
            for key in ("temperature", "top_p", "max_tokens"):
                if isinstance(config.get(key), (int, float)) and not isinstance(config.get(key), bool):
                    attrs[f"gen_ai.request.{key}"] = config[key]
    elif typ == "handoff":
        name = "handoff"
        for src, key in (("from_agent", "from"), ("to_agent", "to")):
            if data.get(src) is not None:
                attrs[f"openai_agents.handoff.{key}"] = require_str(data[src], f"span_data.{src}")
    elif typ == "guardrail":
        name = f"guardrail {data['name']}" if data.get("name") else "guardrail"
        if data.get("triggered") is not None:
            if not isinstance(data["triggered"], bool):
                raise FieldError(f"span_data.triggered must be true or false, got {short(data['triggered'])}")
            attrs["openai_agents.guardrail.triggered"] = data["triggered"]
    elif typ == "custom":
        name = str(data.get("name") or "custom")
        if data.get("data") is not None:
            attrs["openai_agents.custom.data"] = _text(data["data"], maxc)
    else:
        for key, value in data.items():
            if key == "type" or value is None:
                continue
            attrs[f"openai_agents.{typ}.{key}"] = (
                plain_value(value, maxc) if isinstance(value, (str, int, float, bool)) else _text(value, maxc)
            )
    span_id = foreign_id(span_raw, 8, "id", prefixes=("span_",))
    attrs["openai_agents.span.id"] = span_raw
    error = raw.get("error")
    code, message = "UNSET", ""
    if error:
        code = "ERROR"
        if isinstance(error, dict):
            message = str(error.get("message") or "")
            if error.get("data") is not None:
                attrs["openai_agents.error.data"] = _text(error["data"], maxc)
        else:
            message = str(error)
    parent = raw.get("parent_id")
    return SpanRecord(
        foreign_id(require_str(raw["trace_id"], "trace_id"), 16, "trace_id", prefixes=("trace_",)),
        span_id,
        name,
        foreign_id(require_str(parent, "parent_id"), 8, "parent_id", prefixes=("span_",)) if parent else None,
        kind,
        iso_to_ns(raw["started_at"], "started_at") if raw.get("started_at") is not None else 0,
        iso_to_ns(raw["ended_at"], "ended_at") if raw.get("ended_at") is not None else 0,
        code,
        message,
        attrs,
        (),
        {},
        "",
        "",
    )
