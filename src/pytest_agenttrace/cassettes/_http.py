"""LLM replay over HTTP: vcrpy, told what it must be told (see the guide's HTTP-REPLAY.md).

vcrpy patches httpx / httpx2 (the OpenAI and Anthropic SDKs' transport), requests/urllib3, aiohttp, ... ; this
module gives it a `Cassette` subclass that

- matches on method, path, query and the normalized JSON body (never host or port: fake servers use random ports)
  through a dict index, so a lookup costs the same at 10 or 10,000 interactions;
- plays every recorded interaction at most once (`allow_playback_repeats=False`), in recorded order among equals;
- answers LLM requests from a trace's recorded answers (`_synth`) when no HTTP interaction matches;
- raises `CassetteMismatchError` with a readable diff against the closest recording in replay-only modes;
- drops secret headers and query parameters and replaces key-shaped strings before matching and recording;
  keeps only the request headers that change an answer (content-type, accept, anthropic-version/-beta,
  openai-beta) and drops per-run response headers (date, server, rate limits, cf-*), so re-recording gives
  small diffs; JSON bodies are written pretty-printed.

When recording, LLM requests are rewritten before they are sent (temperature 0, a fixed seed for Chat
Completions) by wrapping the httpx/httpx2 transports over vcrpy's patch. Imported only when a cassette is used.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from vcr import matchers as vcr_matchers
from vcr.cassette import Cassette as VcrCassette
from vcr.errors import UnhandledHTTPRequestError
from vcr.filters import decode_response
from vcr.patch import CassettePatcherBuilder
from vcr.record_mode import RecordMode
from vcr.request import HeadersDict
from vcr.request import Request as VcrRequest
from vcr.serializers import compat

from ._diff import diff_lines
from ._errors import CassetteMismatchError
from ._format import LLMInteraction, pretty_http_interaction
from ._normalize import REWRITTEN_FIELDS, canonical, json_body, normalize_query, normalize_request_body
from ._scrub import SCRUBBED_HEADERS, SCRUBBED_QUERY_PARAMETERS, compile_patterns, scrub_text
from ._synth import accepts, api_for_path, expected_view, render_response, sent_view

if TYPE_CHECKING:
    from ._session import ReplaySession

__all__ = ["HttpReplay", "RECORD_SEED", "rewrite_for_recording"]

#: The seed sent with Chat Completions requests while recording (the other APIs have no seed).
RECORD_SEED = 42
_SCRUBBED = frozenset(SCRUBBED_HEADERS)
#: Request headers kept in a cassette (the others, SDK versions, OS, retry counts, change between runs and
#: machines and are never matched); the kept ones can change what an API answers.
_KEPT_REQUEST_HEADERS = frozenset({"content-type", "accept", "anthropic-version", "anthropic-beta", "openai-beta"})
#: Response headers dropped from a cassette: they differ on every recording and no client needs them on replay.
_VOLATILE_RESPONSE_HEADERS = frozenset(
    {"date", "server", "connection", "keep-alive", "transfer-encoding", "alt-svc", "strict-transport-security", "via"}
)
_VOLATILE_RESPONSE_PREFIXES = ("cf-", "x-ratelimit-", "anthropic-ratelimit-", "openai-processing", "x-envoy-")
_SCRUBBED_QUERY = frozenset(SCRUBBED_QUERY_PARAMETERS)
#: Models that reject a temperature other than the default (OpenAI reasoning models).
_REASONING_MODEL = re.compile(r"^(?:o\d|gpt-5(?!-chat)|codex)", re.I)


# ----------------------------------------------------------------------------------------- recording rewrite


def rewrite_for_recording(body: Any, api: str) -> dict[str, Any] | None:
    """The request body with temperature 0 (and seed `RECORD_SEED` for Chat Completions), or None if unchanged.

    Left alone: reasoning models and requests with `reasoning`/`reasoning_effort` (OpenAI) or `thinking`
    enabled (Anthropic), which reject a temperature other than 1; an explicit `seed` is kept.
    """
    if not isinstance(body, dict):
        return None
    new = dict(body)
    thinking = body.get("thinking")
    reasoning = (
        "reasoning" in body
        or "reasoning_effort" in body
        or (isinstance(thinking, Mapping) and thinking.get("type") not in (None, "disabled"))
        or bool(_REASONING_MODEL.match(str(body.get("model") or "")))
    )
    if not reasoning:
        new["temperature"] = 0
    if api == "chat" and "seed" not in body:
        new["seed"] = RECORD_SEED
    return new if new != body else None


def _rewrite_httpx_request(request: Any, body: bytes) -> None:
    api = api_for_path(request.url.path)
    if api is None or request.method != "POST":
        return
    new = rewrite_for_recording(json_body(body), api)
    if new is None:
        return
    raw = json.dumps(new).encode("utf-8")
    module = sys.modules[type(request).__module__.split(".")[0]]  # httpx or httpx2
    request._content = raw
    request.stream = module.ByteStream(raw)
    request.headers["Content-Length"] = str(len(raw))


@contextlib.contextmanager
def _rewriting_transports() -> Iterator[None]:
    """Wrap httpx/httpx2 transports (already patched by vcrpy) so LLM requests are rewritten before vcrpy sees them."""
    restore: list[tuple[Any, str, Any]] = []
    for mod_name in ("httpx2", "httpx"):
        module = sys.modules.get(mod_name)
        if module is None:
            continue
        sync_cls, async_cls = module.HTTPTransport, module.AsyncHTTPTransport
        inner_sync = sync_cls.handle_request
        inner_async = async_cls.handle_async_request

        def handle_request(self: Any, request: Any, _inner: Any = inner_sync) -> Any:
            _rewrite_httpx_request(request, request.read())
            return _inner(self, request)

        async def handle_async_request(self: Any, request: Any, _inner: Any = inner_async) -> Any:
            _rewrite_httpx_request(request, await request.aread())
            return await _inner(self, request)

        restore.append((sync_cls, "handle_request", inner_sync))
        restore.append((async_cls, "handle_async_request", inner_async))
        sync_cls.handle_request = handle_request
        async_cls.handle_async_request = handle_async_request
    try:
        yield
    finally:
        for cls, attr, original in reversed(restore):
            setattr(cls, attr, original)


# ------------------------------------------------------------------------------------------------ filters


def _scrub_query(uri: str) -> str:
    parts = urlsplit(uri)
    if not parts.query:
        return uri
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k.lower() not in _SCRUBBED_QUERY]
    if len(kept) == len(pairs):
        return uri
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _scrub_body(body: Any, patterns: Any) -> Any:
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        new = scrub_text(text, patterns)
        return new.encode("utf-8") if new != text else body
    if isinstance(body, str):
        return scrub_text(body, patterns)
    return body


def _make_request_filter(patterns: Any) -> Callable[[VcrRequest], VcrRequest]:
    def before_record_request(request: VcrRequest) -> VcrRequest:
        """A scrubbed copy of `request` (kept headers only, secret query parameters and key-shaped strings removed).

        Shallow: the copy gets its own headers and, only when scrubbing changed them, its own URI and body; the
        rest (method, parsed URI, body bytes) is immutable and shared. vcrpy may still send the original.
        """
        filtered = copy.copy(request)
        headers = HeadersDict()
        for name in request.headers:
            if name.lower() in _KEPT_REQUEST_HEADERS:
                value = request.headers[name]
                headers[name] = scrub_text(value, patterns) if isinstance(value, str) else value
        filtered.headers = headers
        uri = request.uri
        scrubbed_uri = _scrub_query(uri)
        if scrubbed_uri is not uri:
            filtered.uri = scrubbed_uri
        body = request.body
        scrubbed_body = _scrub_body(body, patterns)
        if scrubbed_body is not body:
            filtered.body = scrubbed_body
        return filtered

    return before_record_request


def _make_response_filter(patterns: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
        """`response` (a private copy: `_Cassette.append` makes one) decompressed, per-run and secret headers
        dropped, key-shaped strings replaced."""
        if any(name.lower() == "content-encoding" for name in response["headers"]):
            response = decode_response(response)  # copies again, then decompresses
        headers = {}
        for name, values in (response.get("headers") or {}).items():
            low = name.lower()
            if low in _SCRUBBED or low in _VOLATILE_RESPONSE_HEADERS or low.startswith(_VOLATILE_RESPONSE_PREFIXES):
                continue
            headers[name] = [scrub_text(v, patterns) if isinstance(v, str) else v for v in values]
        response["headers"] = headers
        body = response.get("body")
        if isinstance(body, dict) and "string" in body:
            body["string"] = _scrub_body(body["string"], patterns)
        return response

    return before_record_response


def _normalize_loaded(interaction: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A stored interaction in the shape vcrpy's objects expect, tolerating other recorders' quirks.

    `parsed_body` (pydantic-ai's serializer) becomes a JSON body, scalar and bytes header values become lists of
    str, a missing status message becomes ''.
    """
    req = dict(interaction["request"])
    resp = copy.deepcopy(dict(interaction.get("response") or {}))
    if "parsed_body" in req:
        req["body"] = json.dumps(req.pop("parsed_body"))
    if "parsed_body" in resp:
        resp["body"] = {"string": json.dumps(resp.pop("parsed_body"))}
    for d in (req, resp):
        headers = d.get("headers") or {}
        fixed: dict[str, list[Any]] = {}
        for k, v in headers.items():
            values = v if isinstance(v, list) else [v]
            fixed[str(k)] = [x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in values]
        d["headers"] = fixed
    status = resp.get("status") or {"code": 200}
    resp["status"] = {"code": int(status.get("code", 200)), "message": status.get("message") or ""}
    if not isinstance(resp.get("body"), dict):
        resp["body"] = {"string": resp.get("body") or b""}
    req.setdefault("body", None)
    req = {k: req[k] for k in ("method", "uri", "body", "headers")}
    return req, compat.convert_to_bytes(resp)


# ----------------------------------------------------------------------------------------------- cassette


class _Sent:
    """One live request as matched: the original (for the identity check), its filtered copy, its index key and
    its parsed JSON body (read lazily, only by trace answers). Kept between vcrpy's calls for the same request, so
    a request is filtered, normalized and serialized once."""

    __slots__ = ("_body", "choice", "filtered", "key", "request", "seen")

    def __init__(self, request: VcrRequest, filtered: VcrRequest, key: tuple[Any, ...]) -> None:
        self.request = request
        self.seen = (request.method, request.uri, request.body)
        self.filtered = filtered
        self.key = key
        self.choice: tuple[str, int] | None = None
        self._body: Any = _UNREAD

    def unchanged(self) -> bool:
        """Whether the request still has the method, URI and body it was filtered with (vcrpy's http.client stub
        sets the body after creating the request; a file or iterator body is a new object on every read)."""
        method, uri, body = self.seen
        request = self.request
        return method is request.method and uri is request.uri and body is request.body

    @property
    def body(self) -> Any:
        """The filtered request's JSON body (None when it is not JSON), parsed on first use."""
        if self._body is _UNREAD:
            self._body = json_body(_body_bytes(self.filtered.body))
        return self._body


_UNREAD: Any = object()


def _body_bytes(body: Any) -> Any:
    """A body vcrpy kept as a list of chunks (an iterator body), joined; anything else as it is."""
    if isinstance(body, (list, tuple)):
        return b"".join(x if isinstance(x, bytes) else str(x).encode() for x in body)
    return body


class _Cassette(VcrCassette):
    """vcrpy's cassette with an index on the normalized request and recorded-answer (trace) entries."""

    def __init__(self, *, owner: HttpReplay, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owner = owner
        self._lock = threading.RLock()
        self._index: dict[tuple[Any, ...], list[int]] = {}
        # id(live request) -> its match, from `can_play_response_for` to `play_response` / `append`
        self._pending: dict[int, _Sent] = {}
        self.loading = True
        self.loaded_count = 0

    def _sent(self, request: VcrRequest) -> _Sent | None:
        """`request` filtered (secrets out) and keyed; None when the filter drops it."""
        filtered = self._before_record_request(request)
        if not filtered:
            return None
        return _Sent(request, filtered, self._owner.key(filtered))

    def _take(self, request: VcrRequest) -> _Sent | None:
        """The match `can_play_response_for` kept for this very request (removed), or None."""
        sent = self._pending.pop(id(request), None)
        return sent if sent is not None and sent.request is request else None

    def forget_pending(self) -> None:
        """Drop the matches of requests looked up but never played or recorded (a live call that failed)."""
        with self._lock:
            self._pending.clear()

    # -- index -------------------------------------------------------------------------------------------
    def append(self, request: VcrRequest, response: dict[str, Any]) -> None:
        """vcrpy's `append` (filter the request, copy and filter the response, store), indexing the stored request.

        A request just sent live reuses the filtered copy and key made when it was looked up. Loaded responses are
        already private copies (`_normalize_loaded`), so only live ones are deep-copied before filtering.
        """
        with self._lock:
            sent = self._take(request)
            if sent is None or not sent.unchanged():
                sent = self._sent(request)
            if sent is None:
                return
            if not self.loading:
                response = copy.deepcopy(response)  # the live response object must not change
            response = self._before_record_response(response)
            if response is None:
                return
            i = len(self.data)
            self.data.append((sent.filtered, response))
            self.dirty = True
            self._index.setdefault(sent.key, []).append(i)
            if not self.loading:
                # Recorded just now, for the request that produced it: it answers no other request.
                self.play_counts[i] = 1

    def _responses(self, request: VcrRequest) -> Iterator[tuple[int, dict[str, Any]]]:
        sent = self._sent(request)
        if sent is None:
            return
        for i in self._index.get(sent.key, ()):
            yield i, self.data[i][1]

    def _choose(self, sent: _Sent) -> tuple[str, int] | None:
        """The unplayed interaction answering `sent`, marked played; None when there is none."""
        play_counts = self.play_counts
        for i in self._index.get(sent.key, ()):
            if play_counts[i] == 0:
                play_counts[i] += 1
                return ("http", i)
        j = self._owner.choose_recorded_answer(sent.filtered, sent.body)
        return ("llm", j) if j is not None else None

    # -- vcrpy's entry points (called by its stubs) ---------------------------------------------------------
    def can_play_response_for(self, request: VcrRequest) -> bool:
        sent = self._sent(request)
        if sent is None:
            return False
        with self._lock:
            if self.record_mode != RecordMode.ALL:
                sent.choice = self._choose(sent)
                if sent.choice is not None:
                    self._pending[id(request)] = sent
                    return True
            if self.write_protected:
                raise self._owner.mismatch(sent.filtered)
            self._pending[id(request)] = sent  # sent live next, then `append`ed: filtered and keyed already
        return False

    def play_response(self, request: VcrRequest) -> dict[str, Any]:
        with self._lock:
            sent = self._take(request)
            choice = sent.choice if sent is not None else None
            if choice is not None and sent is not None and not sent.unchanged():
                sent = self._sent(request) or sent  # the reserved answer stands; rendered for the request as it is
            if choice is None:
                if sent is None or not sent.unchanged():
                    sent = self._sent(request)
                choice = self._choose(sent) if sent is not None else None
            if choice is None or sent is None:
                raise UnhandledHTTPRequestError(
                    f"The cassette ({self._path!r}) doesn't contain the request {request!r}"
                )
        kind, i = choice
        if kind == "http":
            response: dict[str, Any] = self.data[i][1]
            return response
        return self._owner.render_recorded_answer(i, sent.filtered, sent.body)


def _body_matcher(owner: HttpReplay) -> Callable[[VcrRequest, VcrRequest], None]:
    def agenttrace_body(r1: VcrRequest, r2: VcrRequest) -> None:
        if owner.body_key(r1) != owner.body_key(r2):
            raise AssertionError("the normalized JSON bodies differ")

    return agenttrace_body


# -------------------------------------------------------------------------------------------------- backend


class HttpReplay:
    """One test's HTTP replay: the vcrpy cassette, its patches, and what to write back."""

    def __init__(
        self,
        session: ReplaySession,
        *,
        interactions: list[dict[str, Any]],
        llm: list[LLMInteraction],
        ignore_request_fields: tuple[str, ...] = (),
        temperature_zero: bool = True,
        scrub: tuple[str, ...] = (),
    ) -> None:
        self.session = session
        self.llm = llm
        self.llm_played = [False] * len(llm)
        self._expected_views: dict[int, dict[str, Any]] = {}
        self._synth_seq = itertools.count(1)
        self.temperature_zero = temperature_zero
        ignore = set(ignore_request_fields)
        if temperature_zero:
            ignore |= REWRITTEN_FIELDS
        self._ignore = frozenset(ignore)
        patterns = compile_patterns(scrub)
        self.cassette = _Cassette(
            owner=self,
            path=str(session.path),
            record_mode=RecordMode(session.mode),
            match_on=(vcr_matchers.method, vcr_matchers.path, vcr_matchers.query, _body_matcher(self)),
            before_record_request=_make_request_filter(patterns),
            before_record_response=_make_response_filter(patterns),
            allow_playback_repeats=False,
        )
        cas = self.cassette
        for i, item in enumerate(interactions):
            try:
                req, resp = _normalize_loaded(item)
                cas.append(VcrRequest._from_dict(req), resp)
            except (TypeError, KeyError, ValueError, AttributeError, OverflowError, IndexError) as exc:
                from ._errors import CassetteFormatError

                raise CassetteFormatError(
                    f"interactions[{i}] is not a vcrpy interaction ({exc}); re-record it", path=str(session.path)
                ) from None
        cas.loaded_count = len(cas.data)
        cas.loading = False
        cas.dirty = False
        cas.rewound = session.existed
        self._stack: contextlib.ExitStack | None = None

    # -- keys --------------------------------------------------------------------------------------------
    def body_key(self, request: VcrRequest) -> Any:
        """The request body as matched: its normalized JSON, serialized with sorted keys, or the raw body."""
        body = _body_bytes(request.body)
        data = json_body(body)
        if data is None:
            return ("raw", body if isinstance(body, (bytes, str)) else repr(body))
        return ("json", json.dumps(normalize_request_body(data, ignore=self._ignore), sort_keys=True))

    def key(self, request: VcrRequest) -> tuple[Any, ...]:
        path = request.path or "/"
        return (
            request.method.upper(),
            path,
            tuple(normalize_query(urlsplit(request.uri).query)),
            self.body_key(request),
        )

    # -- recorded answers from a trace ----------------------------------------------------------------------
    def choose_recorded_answer(self, request: VcrRequest, body: Any) -> int | None:
        """The first unplayed trace answer whose recorded request fields match `request` (parsed JSON `body`),
        marked played; None when there is none."""
        api = api_for_path(request.path or "")
        if api is None or request.method.upper() != "POST" or not self.llm:
            return None
        for j, entry in enumerate(self.llm):
            if self.llm_played[j] or not accepts(entry, api):
                continue
            want = self._expected(j)
            if canonical(sent_view(body, api, want)) == want:
                self.llm_played[j] = True
                return j
        return None

    def _expected(self, j: int) -> dict[str, Any]:
        """`llm[j]`'s expected request view in canonical form, built once per entry."""
        want = self._expected_views.get(j)
        if want is None:
            want = self._expected_views[j] = canonical(expected_view(self.llm[j]))
        return want

    def render_recorded_answer(self, j: int, request: VcrRequest, body: Any) -> dict[str, Any]:
        """The vcrpy response for trace answer `llm[j]`, in the wire format `request` (parsed JSON `body`) asks for."""
        api = api_for_path(request.path or "") or "chat"
        return render_response(self.llm[j], api=api, body=body, seq=next(self._synth_seq))

    # -- mismatch ----------------------------------------------------------------------------------------
    def mismatch(self, request: VcrRequest) -> CassetteMismatchError:
        err = CassetteMismatchError(self._mismatch_message(request))
        self.session.record_error(err)
        return err

    def _describe(self, request: VcrRequest) -> str:
        body = json_body(request.body)
        what = f"{request.method} {request.path}"
        if isinstance(body, Mapping):
            bits = []
            if body.get("model"):
                bits.append(f"model {body['model']!r}")
            for key in ("messages", "input"):
                if isinstance(body.get(key), list):
                    bits.append(f"{len(body[key])} {key}")
            if bits:
                what += f" ({', '.join(bits)})"
        return what

    def _mismatch_message(self, request: VcrRequest) -> str:
        session = self.session
        lines = [f"LLM/HTTP request not found in the cassette: {self._describe(request)}"]
        lines.append(f"cassette: {session.path} (record mode {session.mode!r})")
        if not session.existed:
            lines.append("the cassette file does not exist.")
        else:
            lines.extend(self._closest(request))
        lines.append(session.remedy())
        return "\n".join(lines)

    def _closest(self, request: VcrRequest) -> list[str]:
        cas = self.cassette
        key = self.key(request)
        exact = self.cassette._index.get(key, [])
        if exact:
            return [
                f"the same request was recorded {len(exact)} time(s) and each recording has already been replayed: "
                "the agent sent it more often than during the recording."
            ]
        sent = normalize_request_body(json_body(request.body), ignore=self._ignore)
        best: tuple[int, int, int, list[str]] | None = None
        for i, (stored, _) in enumerate(cas.data):
            if stored.method.upper() != request.method.upper() or (stored.path or "/") != (request.path or "/"):
                continue
            recorded = normalize_request_body(json_body(stored.body), ignore=self._ignore)
            lines = diff_lines(recorded, sent)
            score = (len(lines), 1 if cas.play_counts[i] else 0, i, lines)
            if best is None or score[:3] < best[:3]:
                best = score
        out: list[str] = []
        if best is not None:
            _, played, i, lines = best
            state = "already replayed" if played else "not replayed yet"
            out.append(f"closest recorded request: interactions[{i}] ({state}); differences:")
            out.extend(f"  {line}" for line in lines or ["(query or raw body differs)"])
            if self.temperature_zero is False and any(line.startswith(("temperature", "seed")) for line in lines):
                out.append("  (recorded with temperature 0 / a fixed seed: keep temperature_zero=True to ignore them)")
        api = api_for_path(request.path or "")
        if api is not None and self.llm:
            compatible = [j for j, e in enumerate(self.llm) if accepts(e, api)]
            pending = [j for j in compatible if not self.llm_played[j]]
            if pending:
                j = pending[0]
                want = expected_view(self.llm[j])
                got = sent_view(json_body(request.body), api, want)
                out.append(f"next recorded LLM answer (from a trace): llm[{j}]; differences:")
                out.extend(f"  {line}" for line in diff_lines(canonical(want), canonical(got)))
            elif compatible:
                out.append(
                    f"all {len(compatible)} recorded LLM answers (from a trace) have been used: "
                    "the agent made more LLM calls than the trace holds."
                )
            else:
                providers = sorted({str(e.provider) for e in self.llm})
                out.append(
                    f"the trace's {len(self.llm)} recorded LLM answers come from {', '.join(providers)} "
                    f"and cannot answer a {request.path} request."
                )
        if not out:
            out.append(f"no recorded request to {request.method} {request.path} ({len(cas.data)} interactions).")
        return out

    # -- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        stack = contextlib.ExitStack()
        try:
            for patcher in CassettePatcherBuilder(self.cassette).build():
                stack.enter_context(patcher)
            if self.temperature_zero and self.session.records:
                stack.enter_context(_rewriting_transports())
        except BaseException:
            stack.close()
            raise
        self._stack = stack

    def stop(self) -> None:
        self.cassette.forget_pending()
        if self._stack is not None:
            self._stack.close()
            self._stack = None

    @property
    def dirty(self) -> bool:
        return bool(self.cassette.dirty)

    def _to_disk(self, pairs: list[tuple[VcrRequest, dict[str, Any]]]) -> list[dict[str, Any]]:
        out = []
        for request, response in pairs:
            item = {
                "request": compat.convert_to_unicode(request._to_dict()),
                "response": compat.convert_to_unicode(copy.deepcopy(response)),
            }
            out.append(pretty_http_interaction(item))
        return out

    def new_interactions(self) -> list[dict[str, Any]]:
        """Interactions recorded during this test, in order."""
        return self._to_disk(self.cassette.data[self.cassette.loaded_count :])

    def rerecorded_interactions(self) -> list[dict[str, Any]]:
        """Mode `all`: the loaded interactions no new recording replaced, then the recorded ones."""
        cas = self.cassette
        loaded, recorded = cas.data[: cas.loaded_count], cas.data[cas.loaded_count :]
        replaced = {self.key(request) for request, _ in recorded}
        kept = [(request, response) for request, response in loaded if self.key(request) not in replaced]
        return self._to_disk([*kept, *recorded])
