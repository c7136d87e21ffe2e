"""The one chokepoint for tools: `@tool` (sync and async) and `patch_tools` for functions you cannot decorate.

A decorated tool emits a GenAI `execute_tool <name>` span (OTel API only) and, inside a replay session, is
answered from the cassette instead of running (the span is still emitted, with `agenttrace.replayed=true`, so a
replayed trace looks like the recorded one). Outside a session it just runs. Arguments are bound to parameter
names with `inspect.signature`, so `get_order("A1")` and `get_order(order_id="A1")` are the same call;
framework context arguments (pydantic-ai `RunContext`, LangChain callbacks/config) are left out of the match and
a `RunContext`'s `tool_call_id` becomes the call id.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import dataclasses
import functools
import inspect
import json
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar, overload

from ._errors import CassetteError
from ._normalize import to_jsonable
from ._session import ToolCallRequest, ToolDecision, ToolOverride, current_session

__all__ = ["RecordedToolError", "is_tool", "patch_tools", "tool", "wrap_langchain_tool"]

F = TypeVar("F", bound=Callable[..., Any])

_TRACER: Any = None
_CONTEXT_MODULES = ("pydantic_ai", "langchain_core.callbacks")


class RecordedToolError(RuntimeError):
    """A recorded tool failure replayed when its exception type cannot be rebuilt (`type_name` says what it was)."""

    def __init__(self, message: str, *, type_name: str | None = None) -> None:
        self.type_name = type_name
        super().__init__(f"{type_name}: {message}" if type_name else message)


def _tracer() -> Any:
    global _TRACER
    if _TRACER is None:
        from opentelemetry import trace

        from .. import __version__

        _TRACER = trace.get_tracer("pytest_agenttrace.cassettes", __version__)
    return _TRACER


# ------------------------------------------------------------------------------------------------ arguments


def _is_context(value: Any, param: inspect.Parameter) -> bool:
    module = type(value).__module__ or ""
    if module.startswith(_CONTEXT_MODULES):
        return True
    ann = param.annotation
    name = ann if isinstance(ann, str) else getattr(ann, "__name__", "")
    return isinstance(name, str) and name.split(".")[-1].split("[")[0] in ("RunContext", "RunnableConfig")


class _Binder:
    """Turns `(args, kwargs)` into `{parameter: value}` JSON data and a call id."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        try:
            self.sig: inspect.Signature | None = inspect.signature(fn)
        except (TypeError, ValueError):
            self.sig = None

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, str | None]:
        if self.sig is None:
            return to_jsonable({"args": list(args), **kwargs}), None
        bound = self.sig.bind(*args, **kwargs)  # a TypeError here is the one the real call would raise
        out: dict[str, Any] = {}
        call_id: str | None = None
        for i, (name, value) in enumerate(bound.arguments.items()):
            param = self.sig.parameters[name]
            if i == 0 and name in ("self", "cls"):
                continue
            if _is_context(value, param):
                tcid = getattr(value, "tool_call_id", None)
                if isinstance(tcid, str) and tcid:
                    call_id = tcid
                continue
            if param.kind is inspect.Parameter.VAR_KEYWORD:
                out.update(value)
            elif param.kind is inspect.Parameter.VAR_POSITIONAL:
                out[name] = list(value)
            else:
                out[name] = value
        return to_jsonable(out), call_id


# -------------------------------------------------------------------------------------------------- replay


def _rebuild_error(error: Any) -> BaseException:
    """The recorded exception: its own type when it is a builtin or already imported (never imports), else
    `RecordedToolError`."""
    type_name = error.type
    cls: Any = None
    if type_name:
        if "." in type_name:
            module_name, _, qual = type_name.rpartition(".")
            module = sys.modules.get(module_name)
            cls = getattr(module, qual, None) if module is not None else None
        else:
            cls = getattr(builtins, type_name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(error.message)
        except Exception:
            pass
    return RecordedToolError(error.message, type_name=type_name)


def _coerce(data: Any, fn: Callable[..., Any]) -> Any:
    """Recorded JSON data turned back into the declared return type when it is a pydantic model or dataclass."""
    try:
        import typing

        ret = typing.get_type_hints(fn).get("return")
    except Exception:
        return data
    if not isinstance(ret, type) or data is None:
        return data
    try:
        if hasattr(ret, "model_validate"):
            return ret.model_validate(data)
        if dataclasses.is_dataclass(ret):
            from pydantic import TypeAdapter

            return TypeAdapter(ret).validate_python(data)
    except Exception:
        return data
    return data


def _json(value: Any) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False)


@contextlib.contextmanager
def _span(name: str, arguments: Any, *, call_id: str | None, enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from opentelemetry.trace import SpanKind

    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": name,
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.arguments": _json(arguments),
    }
    if call_id:
        attrs["gen_ai.tool.call.id"] = call_id
    with _tracer().start_as_current_span(f"execute_tool {name}", kind=SpanKind.INTERNAL, attributes=attrs) as span:
        try:
            yield span
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__qualname__)
            raise


def _set(span: Any, key: str, value: Any) -> None:
    if span is not None:
        span.set_attribute(key, value)


def _answer(decision: ToolDecision, fn: Callable[..., Any], span: Any) -> tuple[bool, Any]:
    """(True, result) when the decision answers the call without running it; raises for errors and faults."""
    _set(span, "agenttrace.step", decision.step)
    if decision.kind == "fail":
        assert decision.error is not None
        raise decision.error
    if decision.kind == "override":
        ov: ToolOverride = decision.override  # type: ignore[assignment]
        _set(span, "agenttrace.overridden", True)
        if ov.timeout:
            raise TimeoutError(f"tool {decision.call.name!r} timed out (simulated: {ov.describe()})")
        if ov.raises is not None:
            # a fresh copy per call: re-raising one instance would grow its traceback on every call
            raise ov.raises() if isinstance(ov.raises, type) else copy.copy(ov.raises)
        _set(span, "gen_ai.tool.call.result", _json(ov.result))
        return True, ov.result
    if decision.kind == "replay":
        rec = decision.interaction
        assert rec is not None
        _set(span, "agenttrace.replayed", True)
        if rec.call_id and not decision.call.call_id:
            _set(span, "gen_ai.tool.call.id", rec.call_id)
        if rec.error is not None:
            raise _rebuild_error(rec.error)
        _set(span, "gen_ai.tool.call.result", _json(rec.result))
        return True, _coerce(rec.result, fn)
    return False, None


# ---------------------------------------------------------------------------------------------- decorator


def _wrap(fn: Callable[..., Any], name: str, span: bool) -> Callable[..., Any]:
    if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
        raise CassetteError(f"@tool cannot wrap generator function {fn.__qualname__!r}: a tool must return its result")
    binder = _Binder(fn)

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            session = current_session()
            if session is None and not span:
                return await fn(*args, **kwargs)
            arguments, call_id = binder.bind(args, kwargs)
            call = ToolCallRequest(name=name, arguments=arguments, call_id=call_id)
            with _span(name, arguments, call_id=call_id, enabled=span) as s:
                if session is None:
                    result = await fn(*args, **kwargs)
                    _set(s, "gen_ai.tool.call.result", _json(result))
                    return result
                decision = session.begin_tool(call)
                answered, value = _answer(decision, fn, s)
                if answered:
                    return value
                try:
                    result = await fn(*args, **kwargs)
                except Exception as exc:
                    session.finish_tool(decision, error=exc)
                    raise
                session.finish_tool(decision, result=result)
                _set(s, "gen_ai.tool.call.result", _json(result))
                return result

        wrapper: Callable[..., Any] = async_wrapper
    else:

        @functools.wraps(fn)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            session = current_session()
            if session is None and not span:
                return fn(*args, **kwargs)
            arguments, call_id = binder.bind(args, kwargs)
            call = ToolCallRequest(name=name, arguments=arguments, call_id=call_id)
            with _span(name, arguments, call_id=call_id, enabled=span) as s:
                if session is None:
                    result = fn(*args, **kwargs)
                    _set(s, "gen_ai.tool.call.result", _json(result))
                    return result
                decision = session.begin_tool(call)
                answered, value = _answer(decision, fn, s)
                if answered:
                    return value
                try:
                    result = fn(*args, **kwargs)
                except Exception as exc:
                    session.finish_tool(decision, error=exc)
                    raise
                session.finish_tool(decision, result=result)
                _set(s, "gen_ai.tool.call.result", _json(result))
                return result

        wrapper = sync_wrapper
    wrapper.__agenttrace_tool__ = name  # type: ignore[attr-defined]
    return wrapper


@overload
def tool(fn: F, /) -> F: ...
@overload
def tool(*, name: str | None = None, span: bool = True) -> Callable[[F], F]: ...
def tool(fn: Any = None, /, *, name: str | None = None, span: bool = True) -> Any:
    """Make a function (sync or async) a replayable tool: `@tool`, `@tool(name="get_order")`, `tool(fn)`.

    `span=False` skips the `execute_tool` span (when a framework such as pydantic-ai already emits one).
    """

    def decorate(f: F) -> F:
        if not callable(f):
            raise CassetteError(f"@tool needs a function, got {f!r}")
        return _wrap(f, name or str(getattr(f, "__name__", "tool")), span)  # type: ignore[return-value]

    return decorate(fn) if fn is not None else decorate


def is_tool(obj: Any) -> bool:
    """Whether `obj` went through `@tool` already."""
    return hasattr(obj, "__agenttrace_tool__")


# -------------------------------------------------------------------------------------------- patch_tools


def _resolve(dotted: str) -> tuple[Any, str, Any]:
    """(owner, attribute, raw value) for `pkg.module.func`, `pkg.module.Class.method` or `pkg.module:attr`."""
    import importlib

    if ":" in dotted:
        module_name, _, rest = dotted.partition(":")
        owner: Any = importlib.import_module(module_name)
        attrs = rest.split(".")
    else:
        parts = dotted.split(".")
        owner = None
        for cut in range(len(parts) - 1, 0, -1):
            try:
                owner = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            attrs = parts[cut:]
            break
        if owner is None:
            raise CassetteError(
                f"cannot patch tool {dotted!r}: no importable module in it; give 'package.module.function'"
            )
    for attr in attrs[:-1]:
        owner = getattr(owner, attr)
    raw = inspect.getattr_static(owner, attrs[-1])
    return owner, attrs[-1], raw


def _is_langchain_tool(obj: Any) -> bool:
    return any(c.__module__.startswith("langchain_core.tools") and c.__name__ == "BaseTool" for c in type(obj).__mro__)


def wrap_langchain_tool(lc_tool: Any, *, span: bool = True) -> Any:
    """A copy of a LangChain `StructuredTool`/`Tool` whose function (and coroutine) go through the chokepoint.

    For tools built elsewhere (you cannot put `@tool` under their `@langchain_core.tools.tool`). Tools that
    subclass `BaseTool` with their own `_run` are not covered: decorate `_run`'s work instead.
    """
    update = {}
    for attr in ("func", "coroutine"):
        fn = getattr(lc_tool, attr, None)
        if callable(fn) and not is_tool(fn):
            update[attr] = tool(fn, name=lc_tool.name, span=span)  # type: ignore[call-overload]
    if not update:
        raise CassetteError(
            f"LangChain tool {getattr(lc_tool, 'name', lc_tool)!r} has no func/coroutine to wrap "
            "(a BaseTool subclass with its own _run): decorate the function it calls with @tool instead"
        )
    return lc_tool.model_copy(update=update)


def _wrapped_value(raw: Any, name: str) -> Any:
    if _is_langchain_tool(raw):
        return wrap_langchain_tool(raw)
    if isinstance(raw, staticmethod):
        return staticmethod(tool(raw.__func__, name=name))  # type: ignore[call-overload]
    if isinstance(raw, classmethod):
        return classmethod(tool(raw.__func__, name=name))  # type: ignore[call-overload]
    if is_tool(raw):
        return raw
    if not callable(raw):
        raise CassetteError(f"cannot patch tool {name!r}: {raw!r} is not callable")
    return tool(raw, name=name)  # type: ignore[call-overload]


@contextlib.contextmanager
def patch_tools(tools: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    """Route functions you cannot decorate through the chokepoint for the `with` block.

    `{"get_order": "myapp.tools.get_order"}` replaces the attribute on its module (or class) with a `@tool`
    wrapper (a LangChain tool object with a copy whose function is wrapped), and also every module-level global
    elsewhere that is the same object (`from myapp.tools import get_order` copies). References kept anywhere
    else (a list or dict of tools, a framework's tool object, a closure) still point at the original: decorate
    those functions instead.
    """
    if not isinstance(tools, Mapping):
        raise CassetteError(f"tools= must map tool names to dotted paths, got {tools!r}")
    restore: list[tuple[Any, str, Any]] = []
    try:
        for name, dotted in tools.items():
            if not isinstance(dotted, str):
                raise CassetteError(f"tools[{name!r}] must be a dotted path string, got {dotted!r}")
            owner, attr, raw = _resolve(dotted)
            wrapped = _wrapped_value(raw, name)
            restore.append((owner, attr, raw))
            setattr(owner, attr, wrapped)
            if inspect.ismodule(owner):
                _patch_copies(raw, wrapped, restore)
        yield {name: dotted for name, dotted in tools.items()}
    finally:
        for owner, attr, raw in reversed(restore):
            setattr(owner, attr, raw)


def _patch_copies(original: Any, wrapped: Any, restore: list[tuple[Any, str, Any]]) -> None:
    for module in list(sys.modules.values()):
        try:
            namespace = vars(module)
        except TypeError:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hits = [k for k, v in list(namespace.items()) if v is original]
        for key in hits:
            restore.append((module, key, original))
            setattr(module, key, wrapped)
