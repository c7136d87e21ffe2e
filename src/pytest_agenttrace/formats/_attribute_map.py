"""A bare attribute map: one span's `{"key": value}` attributes with no span envelope (conversion test vectors).

Read as one synthetic span: trace id `0...01`, span id `0...01`, no parent, times 0, named after
`gen_ai.operation.name`, else `openinference.span.kind`, else `span`. Recognized when the object is non-empty, every
value is a scalar or a list of scalars, and at least one key is dotted (`gen_ai.system`), so that an arbitrary JSON
object is not mistaken for one.
"""

from __future__ import annotations

from typing import Any

from .._records import SpanRecord
from ._common import ReadContext, plain_attributes

NAME = "bare attribute map"
_SCALARS = (str, int, float, bool, type(None))


def sniff(doc: Any) -> bool:
    if not isinstance(doc, dict) or not doc:
        return False
    dotted = False
    for key, value in doc.items():
        if not isinstance(value, _SCALARS) and not (
            isinstance(value, list) and all(isinstance(v, _SCALARS) for v in value)
        ):
            return False
        dotted = dotted or "." in key
    return dotted


def read(doc: Any, ctx: ReadContext) -> list[SpanRecord]:
    attrs = plain_attributes(doc, ctx.max_attr_chars, "attributes")
    name = attrs.get("gen_ai.operation.name") or attrs.get("openinference.span.kind") or "span"
    return [SpanRecord(trace_id="0" * 31 + "1", span_id="0" * 15 + "1", name=str(name), attributes=attrs)]
