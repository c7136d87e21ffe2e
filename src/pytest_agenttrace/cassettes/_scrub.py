"""Secrets never reach disk: headers removed, query parameters removed, key-shaped strings replaced.

Applied to a request before it is matched or recorded (so a recorded request and a live one are compared after
the same scrubbing), to a response before it is recorded, and to every string of a cassette when it is saved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from ._errors import CassetteError

__all__ = [
    "REPLACEMENT",
    "SCRUBBED_HEADERS",
    "SCRUBBED_QUERY_PARAMETERS",
    "SECRET_PATTERNS",
    "compile_patterns",
    "scrub_text",
]

#: Request and response headers that are dropped before anything is written (compared case-insensitively).
#: `traceparent`/`tracestate`/`baggage` are not secrets but change on every run (the anthropic SDK injects them).
SCRUBBED_HEADERS: tuple[str, ...] = (
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "x-auth-token",
    "cookie",
    "set-cookie",
    "openai-organization",
    "openai-project",
    "anthropic-organization-id",
    "traceparent",
    "tracestate",
    "baggage",
)
#: Query parameters removed from URLs.
SCRUBBED_QUERY_PARAMETERS: tuple[str, ...] = ("api_key", "api-key", "apikey", "key", "token", "access_token", "sig")
#: Key-shaped strings replaced wherever they appear (bodies, header values, tool arguments and results).
SECRET_PATTERNS: tuple[str, ...] = (
    r"\bsk-(?:ant-|proj-|svcacct-)?[A-Za-z0-9_\-]{20,}",  # OpenAI / Anthropic keys
    r"\bAKIA[0-9A-Z]{16}\b",  # AWS access key id
    r"\bAIza[0-9A-Za-z_\-]{35}\b",  # Google API key
    r"\bgh[pousr]_[A-Za-z0-9]{30,}\b",  # GitHub tokens
    r"\bxox[abprs]-[A-Za-z0-9\-]{10,}",  # Slack tokens
    r"(?i)\bbearer\s+[A-Za-z0-9._~+/\-]{16,}=*",  # bearer tokens quoted in bodies or errors
)
REPLACEMENT = "[SCRUBBED]"
#: A literal every match of a built-in pattern contains, tested with `in` before the regex runs (the leading `\b`
#: keeps the regex engine from skipping ahead to it: ~15 ns per character and pattern, every LLM request body).
#: `True`: compared with the text lower-cased (the bearer pattern ignores case; only ASCII letters fold to
#: b/e/a/r, so lower-casing finds every match). A pattern with no entry (the user's) always runs.
_NEEDS: dict[str, tuple[str, bool]] = {
    SECRET_PATTERNS[0]: ("sk-", False),
    SECRET_PATTERNS[1]: ("AKIA", False),
    SECRET_PATTERNS[2]: ("AIza", False),
    SECRET_PATTERNS[3]: ("gh", False),
    SECRET_PATTERNS[4]: ("xox", False),
    SECRET_PATTERNS[5]: ("bearer", True),
}


@lru_cache(maxsize=64)
def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    out = []
    for p in patterns:
        try:
            out.append(re.compile(p))
        except re.error as exc:
            raise CassetteError(
                f"scrub pattern {p!r} is not a valid regular expression ({exc}); fix it in [tool.agenttrace] scrub"
            ) from None
    return tuple(out)


def compile_patterns(extra: Iterable[str] = ()) -> tuple[re.Pattern[str], ...]:
    """The built-in secret patterns plus the user's (`[tool.agenttrace] scrub = [...]`), compiled once."""
    return _compile((*SECRET_PATTERNS, *extra))


def scrub_text(text: str, patterns: Sequence[re.Pattern[str]]) -> str:
    """`text` with every match of `patterns` replaced by `[SCRUBBED]` (the same object when nothing matched)."""
    lowered: str | None = None
    for p in patterns:
        needs = _NEEDS.get(p.pattern)
        if needs is not None:
            literal, fold = needs
            if fold:
                if lowered is None:
                    lowered = text.lower()
                if literal not in lowered:
                    continue
            elif literal not in text:
                continue
        if p.search(text):
            text = p.sub(REPLACEMENT, text)
            lowered = None
    return text
