"""The cassette file: versioned YAML holding tool interactions, LLM interactions and HTTP interactions.

One file per test (`cassettes/<module>/<test>.yaml`). Layout, top to bottom:

    version: 1
    meta: {source, source_trace_id, recorded_at, plugin_version}
    tools: [{step, name, call_id, arguments, result | error: {type, message}}]      # in call order
    llm: [{provider, api, agent, request: {model, system, input}, response: {...}}] # from a trace
    interactions: [{request: {...}, response: {...}}]                               # vcrpy's own shape

`interactions` is vcrpy's key and shape, so the file is also a plain vcrpy cassette (vcrpy and cassetter read it
as one and ignore the other keys). `llm` entries come from a trace (`Cassette.from_trace`): the model's recorded
answers, turned into provider HTTP responses at replay time. Loading uses `yaml.safe_load` semantics only.
Pure module: no pytest, no OpenTelemetry, no vcrpy.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .._model import Message, OtherPart, Part, TextPart, ToolCallPart, ToolResultPart
from ._errors import CassetteFormatError
from ._normalize import json_body, to_jsonable

if TYPE_CHECKING:
    from .._model import LLMCall, Trace

__all__ = [
    "FORMAT_VERSION",
    "Cassette",
    "LLMInteraction",
    "ToolError",
    "ToolInteraction",
    "dump_yaml",
    "load_yaml",
    "map_strings",
    "message_from_dict",
    "message_to_dict",
    "pretty_http_interaction",
]

FORMAT_VERSION = 1
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SAFE_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


# ------------------------------------------------------------------------------------------------------ YAML


class _Dumper(_SAFE_DUMPER):
    """Safe dumper that writes multi-line strings (pretty JSON bodies, SSE streams) as literal blocks."""


def _represent_str(dumper: Any, data: str) -> Any:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _represent_str)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dump_yaml(data: Any) -> str:
    """YAML text for plain data, diff-friendly: insertion order kept, multi-line strings as blocks, no wrapping.
    Lone surrogates (from JSON escapes or surrogateescape'd file names) cannot be UTF-8: they become U+FFFD."""
    try:
        text: str = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=2**31 - 1)
    except UnicodeEncodeError:
        data = map_strings(data, lambda s: _LONE_SURROGATE.sub("\ufffd", s))
        text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=2**31 - 1)
    return text


#: Most values a cassette may expand to through YAML aliases (`&a` / `*a`): an alias bomb is refused, not expanded.
MAX_YAML_NODES = 10_000_000


def load_yaml(text: str, *, path: str | None = None) -> Any:
    """Parse YAML with the safe loader only (no Python object tags); errors name the file and line."""
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except (ValueError, OverflowError, TypeError) as exc:  # a tagged scalar its type rejects (!!int 'x', ...)
        raise CassetteFormatError(
            f"a value its YAML tag rejects ({exc}); fix the file or re-record it", path=path
        ) from None
    except yaml.YAMLError as exc:
        raise CassetteFormatError(
            f"not valid YAML ({exc}); fix the file or delete it and re-record", path=path
        ) from None
    _check_data(data, path=path)
    return data


def _check_data(data: Any, *, path: str | None) -> None:
    """Refuse data that refers to itself, expands past `MAX_YAML_NODES` values (shared nodes counted once each
    time they are used, as every later walk over the data would) or holds an integer Python cannot print."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, done = stack.pop()
        if isinstance(node, int) and node.bit_length() > 14_000:  # ~4,300 digits: str() and json.dumps refuse
            try:
                str(node)
            except ValueError:
                raise CassetteFormatError(
                    f"an integer of {node.bit_length():,} bits is too long to use; fix the file or delete it and "
                    "re-record",
                    path=path,
                ) from None
        if not isinstance(node, (dict, list)):
            continue
        key = id(node)
        children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
        if done:
            open_.discard(key)
            total = 1 + sum(sizes.get(id(c), 1) for c in children)
            if total > MAX_YAML_NODES:
                raise CassetteFormatError(
                    f"the YAML aliases (&anchor / *alias) expand to more than {MAX_YAML_NODES:,} values; "
                    "a cassette never needs that: delete it and re-record",
                    path=path,
                )
            sizes[key] = total
            continue
        if key in open_:
            raise CassetteFormatError(
                "the YAML refers to itself (an *alias inside its own &anchor); delete the cassette and re-record",
                path=path,
            )
        if key in sizes:
            continue
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children)


def map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    """A copy of plain data with `fn` applied to every string (keys included)."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, Mapping):
        return {map_strings(k, fn) if isinstance(k, str) else k: map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [map_strings(v, fn) for v in value]
    if isinstance(value, bytes):
        try:
            return fn(value.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return value
    return value


# -------------------------------------------------------------------------------------------------- messages


def message_to_dict(message: Message) -> dict[str, Any]:
    """A message in the GenAI "parts" shape (`Message.to_dict`), plus `name` when set."""
    d = message.to_dict()
    if message.name:
        d["name"] = message.name
    return d


def _part_from_dict(p: Mapping[str, Any]) -> Part:
    typ = p.get("type")
    if typ == "text":
        return TextPart(content=str(p.get("content", "")))
    if typ == "tool_call":
        return ToolCallPart(id=p.get("id"), name=str(p.get("name", "")), arguments=p.get("arguments"))
    if typ == "tool_call_response":
        return ToolResultPart(id=p.get("id"), result=p.get("response"), name=p.get("name"))
    return OtherPart(type=str(typ or "unknown"), data=p.get("data"))


def message_from_dict(d: Mapping[str, Any]) -> Message:
    """The inverse of `message_to_dict`."""
    parts = tuple(_part_from_dict(p) for p in d.get("parts") or () if isinstance(p, Mapping))
    return Message(
        role=str(d.get("role", "user")), parts=parts, finish_reason=d.get("finish_reason"), name=d.get("name")
    )


# ------------------------------------------------------------------------------------------------ interactions


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolError:
    """A recorded tool failure: the exception's type (qualified name when known) and message."""

    message: str
    type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message} if self.type else {"message": self.message}


@dataclass(slots=True, kw_only=True)
class ToolInteraction:
    """One recorded tool call: name, arguments (a JSON object of parameter name -> value), result or error."""

    name: str
    arguments: Any = None
    result: Any = None
    error: ToolError | None = None
    call_id: str | None = None

    def to_dict(self, step: int) -> dict[str, Any]:
        d: dict[str, Any] = {"step": step, "name": self.name}
        if self.call_id:
            d["call_id"] = self.call_id
        d["arguments"] = self.arguments
        if self.error is not None:
            d["error"] = self.error.to_dict()
        else:
            d["result"] = self.result
        return d

    @classmethod
    def from_dict(cls, d: Any, *, where: str) -> ToolInteraction:
        if not isinstance(d, Mapping) or not isinstance(d.get("name"), str) or not d["name"]:
            raise CassetteFormatError(f"{where}: expected a mapping with a non-empty 'name', got {d!r}")
        err = d.get("error")
        error: ToolError | None = None
        if err is not None:
            if isinstance(err, str):
                error = ToolError(message=err)
            elif isinstance(err, Mapping):
                error = ToolError(message=str(err.get("message", "")), type=err.get("type"))
            else:
                raise CassetteFormatError(f"{where}: 'error' must be a mapping {{type, message}}, got {err!r}")
        call_id = d.get("call_id")
        return cls(
            name=d["name"],
            arguments=d.get("arguments"),
            result=d.get("result"),
            error=error,
            call_id=str(call_id) if call_id is not None else None,
        )


@dataclass(slots=True, kw_only=True)
class LLMInteraction:
    """One recorded model call, from a trace: what was new in the request, and the model's answer.

    `input` holds only the messages new in this call (those after the last assistant message of the request,
    system messages excluded: they are in `system`); the earlier history is implied by the entries before it.
    `api` is `chat`, `responses` or `messages` as inferred from the trace; at replay time the wire format is taken
    from the request the agent actually sends.
    """

    provider: str | None = None
    api: str | None = None
    agent: str | None = None
    model: str | None = None
    system: str | None = None
    input: tuple[Message, ...] = ()
    output: tuple[Message, ...] = ()
    response_model: str | None = None
    response_id: str | None = None
    finish_reasons: tuple[str, ...] = ()
    usage: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    streaming: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        request: dict[str, Any] = {}
        if self.model:
            request["model"] = self.model
        if self.system:
            request["system"] = self.system
        request["input"] = [message_to_dict(m) for m in self.input]
        response: dict[str, Any] = {}
        if self.response_model:
            response["model"] = self.response_model
        if self.response_id:
            response["id"] = self.response_id
        if self.finish_reasons:
            response["finish_reasons"] = list(self.finish_reasons)
        if self.usage:
            response["usage"] = dict(self.usage)
        if self.error:
            response["error"] = self.error
        response["output"] = [message_to_dict(m) for m in self.output]
        d: dict[str, Any] = {}
        for key in ("provider", "api", "agent"):
            if getattr(self, key):
                d[key] = getattr(self, key)
        if self.streaming is not None:
            d["streaming"] = self.streaming
        d["request"] = request
        d["response"] = response
        return d

    @classmethod
    def from_dict(cls, d: Any, *, where: str) -> LLMInteraction:
        if not isinstance(d, Mapping):
            raise CassetteFormatError(f"{where}: expected a mapping with 'request' and 'response', got {d!r}")
        req = d.get("request") or {}
        resp = d.get("response") or {}
        if not isinstance(req, Mapping) or not isinstance(resp, Mapping):
            raise CassetteFormatError(f"{where}: 'request' and 'response' must be mappings")

        def msgs(value: Any, key: str) -> tuple[Message, ...]:
            if value is None:
                return ()
            if not isinstance(value, list) or not all(isinstance(m, Mapping) for m in value):
                raise CassetteFormatError(f"{where}: '{key}' must be a list of messages {{role, parts}}, got {value!r}")
            return tuple(message_from_dict(m) for m in value)

        usage = resp.get("usage") or {}
        return cls(
            provider=d.get("provider"),
            api=d.get("api"),
            agent=d.get("agent"),
            model=req.get("model"),
            system=req.get("system"),
            input=msgs(req.get("input"), "request.input"),
            output=msgs(resp.get("output"), "response.output"),
            response_model=resp.get("model"),
            response_id=resp.get("id"),
            finish_reasons=tuple(str(f) for f in resp.get("finish_reasons") or ()),
            usage={str(k): int(v) for k, v in usage.items() if isinstance(v, (int, float))},
            error=resp.get("error"),
            streaming=d.get("streaming"),
        )


# ------------------------------------------------------------------------------------------------- cassette


@dataclass(slots=True, kw_only=True)
class Cassette:
    """What a test replays: tool interactions, LLM interactions and raw HTTP interactions, plus where they came from.

    `Cassette.from_trace(trace)` builds one from a recorded (production) trace; `Cassette.load(path)` reads a file
    (also a plain vcrpy cassette); `save(path)` writes one atomically.
    """

    meta: dict[str, Any] = field(default_factory=dict)
    tools: list[ToolInteraction] = field(default_factory=list)
    llm: list[LLMInteraction] = field(default_factory=list)
    interactions: list[dict[str, Any]] = field(default_factory=list)
    path: Path | None = None

    # -- construction ------------------------------------------------------------------------------------
    @classmethod
    def from_trace(cls, trace: Trace, *, transform: Callable[[str], str] | None = None) -> Cassette:
        """Tool and LLM interactions of a trace, in order; `transform` rewrites every string (pseudonymization)."""
        from .. import __version__

        tools = [
            ToolInteraction(
                name=t.name,
                arguments=to_jsonable(t.arguments),
                result=None if t.error else to_jsonable(t.result),
                error=_tool_error(t.error) if t.error else None,
                call_id=t.call_id,
            )
            for t in trace.tool_calls
        ]
        llm = [_llm_from_call(c) for c in trace.llm_calls]
        meta: dict[str, Any] = {"source": "trace"}
        ids = trace.trace_ids
        if ids:
            meta["source_trace_id"] = ids[0] if len(ids) == 1 else list(ids)
        if trace.source:
            meta["source_file"] = os.path.basename(str(trace.source))
        meta["recorded_at"] = _recorded_at(trace)
        meta["converted_at"] = now_iso()
        meta["plugin_version"] = __version__
        cassette = cls(meta=meta, tools=tools, llm=llm)
        return cassette.transformed(transform) if transform is not None else cassette

    @classmethod
    def from_dict(cls, data: Any, *, path: str | os.PathLike[str] | None = None) -> Cassette:
        """A cassette from parsed YAML; a `CassetteFormatError` names the file and the bad entry."""
        where = os.fspath(path) if path is not None else None
        if not isinstance(data, Mapping):
            raise CassetteFormatError(
                f"expected a cassette mapping with 'version: {FORMAT_VERSION}', got {type(data).__name__}", path=where
            )
        version = data.get("version")
        if version != FORMAT_VERSION:
            raise CassetteFormatError(
                f"unsupported cassette version {version!r} (this plugin reads version {FORMAT_VERSION}); "
                "re-record the cassette",
                path=where,
            )

        def section(key: str) -> list[Any]:
            value = data.get(key)
            if value is None:
                return []
            if not isinstance(value, list):
                raise CassetteFormatError(f"'{key}' must be a list, got {type(value).__name__}", path=where)
            return value

        def parsed(key: str, parse: Callable[..., Any]) -> list[Any]:
            out = []
            for i, item in enumerate(section(key)):
                try:
                    out.append(parse(item, where=f"{key}[{i}]"))
                except CassetteFormatError as exc:
                    raise CassetteFormatError(str(exc), path=where) from None
                except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as exc:
                    raise CassetteFormatError(
                        f"{key}[{i}] has a value of the wrong type ({type(exc).__name__}: {exc}); fix the entry "
                        "or delete the cassette and re-record",
                        path=where,
                    ) from None
            return out

        tools: list[ToolInteraction] = parsed("tools", ToolInteraction.from_dict)
        llm: list[LLMInteraction] = parsed("llm", LLMInteraction.from_dict)
        interactions = section("interactions")
        for i, item in enumerate(interactions):
            if not isinstance(item, Mapping) or not isinstance(item.get("request"), Mapping):
                raise CassetteFormatError(
                    f"interactions[{i}] must be a mapping with 'request' and 'response' (vcrpy shape)", path=where
                )
        meta = data.get("meta") or {}
        if not isinstance(meta, Mapping):
            raise CassetteFormatError(f"'meta' must be a mapping, got {type(meta).__name__}", path=where)
        return cls(
            meta=dict(meta),
            tools=tools,
            llm=llm,
            interactions=[dict(i) for i in interactions],
            path=Path(path) if path is not None else None,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Cassette:
        """Read a cassette file (safe YAML only)."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CassetteFormatError(
                "cassette file does not exist; record it (record mode 'once') or check the path", path=str(p)
            ) from None
        except UnicodeDecodeError as exc:
            raise CassetteFormatError(
                f"not UTF-8 text ({exc.reason} at byte {exc.start}); cassettes are UTF-8 YAML: re-record it",
                path=str(p),
            ) from None
        if not text.strip():
            return cls(path=p)
        return cls.from_dict(load_yaml(text, path=str(p)), path=p)

    # -- output ------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "meta": dict(self.meta),
            "tools": [t.to_dict(i) for i, t in enumerate(self.tools, 1)],
            "llm": [x.to_dict() for x in self.llm],
            "interactions": list(self.interactions),
        }

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict())

    def save(self, path: str | os.PathLike[str] | None = None, *, scrub: Sequence[str] = ()) -> Path:
        """Write the cassette atomically (parent folders created); `scrub` regexes are replaced in every string."""
        from .._atomic import atomic_write_text
        from ._scrub import compile_patterns, scrub_text

        target = Path(path) if path is not None else self.path
        if target is None:
            raise CassetteFormatError("Cassette.save() needs a path: this cassette was not loaded from a file")
        data: Any = self.to_dict()
        patterns = compile_patterns(scrub)
        data = map_strings(data, lambda s: scrub_text(s, patterns))
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, dump_yaml(data))
        self.path = target
        return target

    def transformed(self, fn: Callable[[str], str]) -> Cassette:
        """A copy with `fn` applied to every string of the tools, LLM and HTTP interactions (not `meta`)."""
        data = self.to_dict()
        for key in ("tools", "llm", "interactions"):
            data[key] = map_strings(data[key], fn)
        out = Cassette.from_dict(data)
        out.meta = dict(self.meta)
        out.path = self.path
        return out

    @property
    def tool_names(self) -> list[str]:
        """Recorded tool names in call order."""
        return [t.name for t in self.tools]


_ERROR_TYPE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Timeout|Failure|Warning)): (.*)$", re.S)


def _tool_error(error: str) -> ToolError:
    """`"TimeoutError: warehouse API timed out"` (how traces name a failed tool) -> type and message apart, so a
    replay raises the same exception type with the same message."""
    m = _ERROR_TYPE.match(error)
    return ToolError(message=m.group(2), type=m.group(1)) if m else ToolError(message=error)


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _recorded_at(trace: Trace) -> str | None:
    starts = [r.start_ns for r in trace.records if r.start_ns]
    if not starts:
        return None
    stamp = _dt.datetime.fromtimestamp(min(starts) / 1e9, tz=_dt.UTC).replace(microsecond=0)
    return stamp.isoformat().replace("+00:00", "Z")


# -------------------------------------------------------------------------------------------- trace -> llm

_SYSTEM_ROLES = ("system", "developer")


def _infer_api(call: LLMCall) -> str | None:
    rid = call.response_id or ""
    if rid.startswith("resp_"):
        return "responses"
    if rid.startswith("chatcmpl"):
        return "chat"
    if rid.startswith("msg_") or (call.provider or "").startswith("anthropic"):
        return "messages"
    if call.operation in ("chat", "text_completion") and (call.provider or "openai").startswith(("openai", "azure")):
        return "chat"
    return None


def split_input(messages: Iterable[Message]) -> tuple[str | None, tuple[Message, ...]]:
    """(system text, the messages after the last assistant message, system excluded) of a request's messages."""
    msgs = list(messages)
    system = "\n".join(m.text for m in msgs if m.role in _SYSTEM_ROLES and m.text) or None
    tail: list[Message] = []
    for m in reversed(msgs):
        if m.role == "assistant":
            break
        if m.role not in _SYSTEM_ROLES:
            tail.append(m)
    return system, tuple(reversed(tail))


def _llm_from_call(call: LLMCall) -> LLMInteraction:
    system, new_input = split_input(call.input_messages)
    usage: dict[str, int] = {}
    for key in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"):
        value = getattr(call, key)
        if value is not None:
            usage[key] = int(value)
    return LLMInteraction(
        provider=call.provider,
        api=_infer_api(call),
        agent=call.agent,
        model=call.request_model,
        system=system,
        input=tuple(_jsonable_message(m) for m in new_input),
        output=tuple(_jsonable_message(m) for m in call.output_messages),
        response_model=call.response_model,
        response_id=call.response_id,
        finish_reasons=tuple(call.finish_reasons),
        usage=usage,
        error=call.error,
        streaming=call.streaming,
    )


def _jsonable_message(m: Message) -> Message:
    parts: list[Part] = []
    for p in m.parts:
        if isinstance(p, ToolCallPart):
            parts.append(ToolCallPart(id=p.id, name=p.name, arguments=to_jsonable(p.arguments)))
        elif isinstance(p, ToolResultPart):
            parts.append(ToolResultPart(id=p.id, result=to_jsonable(p.result), name=p.name))
        elif isinstance(p, OtherPart):
            parts.append(OtherPart(type=p.type, data=to_jsonable(p.data)))
        else:
            parts.append(p)
    return Message(role=m.role, parts=tuple(parts), finish_reason=m.finish_reason, name=m.name)


# ---------------------------------------------------------------------------------------- HTTP for the disk

_JSON_TYPES = re.compile(r"application/(?:[\w.+-]*\+)?json", re.I)


def _header(headers: Mapping[str, Any], name: str) -> str:
    for k, v in headers.items():
        if k.lower() == name:
            if isinstance(v, list):
                return str(v[0]) if v else ""
            return str(v)
    return ""


def _pretty_json(text: str) -> str | None:
    data = json_body(text)
    if data is None:
        return None
    pretty = json.dumps(data, indent=2, ensure_ascii=False)
    # Only when it is lossless: the exact same data comes back.
    return pretty if json.loads(pretty) == data else None


def pretty_http_interaction(interaction: dict[str, Any]) -> dict[str, Any]:
    """A vcrpy interaction with JSON bodies pretty-printed (diff-friendly) and response Content-Length fixed."""
    out = {"request": dict(interaction["request"]), "response": dict(interaction.get("response") or {})}
    req = out["request"]
    body = req.get("body")
    if isinstance(body, str):
        pretty = _pretty_json(body)
        if pretty is not None:
            req["body"] = pretty
    resp = out["response"]
    rbody = resp.get("body")
    headers = resp.get("headers") or {}
    if isinstance(rbody, Mapping) and isinstance(rbody.get("string"), str) and isinstance(headers, Mapping):
        is_json = bool(_JSON_TYPES.search(_header(headers, "content-type")))
        encoded = _header(headers, "content-encoding")
        pretty = _pretty_json(rbody["string"]) if is_json and not encoded else None
        if pretty is not None:
            resp["body"] = {**rbody, "string": pretty}
            new_headers = {}
            for k, v in headers.items():
                if k.lower() == "content-length":
                    v = [str(len(pretty.encode("utf-8")))]
                new_headers[k] = v
            resp["headers"] = new_headers
    return out
