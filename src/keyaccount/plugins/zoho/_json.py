"""JSON with exact decimals: Zoho sends currency amounts as JSON numbers, and a float would
round them. Reading parses numbers with a fraction as ``Decimal``; writing emits a ``Decimal``
as a bare JSON number with all its digits."""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal
from typing import Any


def loads_exact(content: bytes | str) -> Any:
    return json.loads(content, parse_float=Decimal)


def dumps_exact(value: Any) -> bytes:
    # json cannot write a Decimal as a number, so each one goes out as a string tagged with a
    # per-call nonce and the tag is then unwrapped; user text cannot forge the nonce.
    nonce = secrets.token_hex(8)
    tag = f"@dec{nonce}:"

    def default(obj: object) -> object:
        if isinstance(obj, Decimal):
            if not obj.is_finite():
                raise ValueError(f"cannot send a non-finite decimal ({obj}) to Zoho")
            return f"{tag}{obj}"
        raise TypeError(f"cannot encode {type(obj).__name__} as JSON")

    text = json.dumps(value, default=default, ensure_ascii=False, separators=(",", ":"))
    pattern = re.compile('"' + re.escape(tag) + r'(-?[0-9][0-9.]*(?:E[+-]?[0-9]+)?)"')
    return pattern.sub(r"\1", text).encode("utf-8")
