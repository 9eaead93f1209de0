"""HTTP replies the fake sends, and Zoho's request-level error envelope."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """One HTTP response: ``body`` is JSON-encoded unless it is ``None`` (204/304 have none)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


def api_error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> Reply:
    """Zoho's four-key envelope for errors that concern the whole request."""
    return Reply(
        status,
        {"code": code, "details": details or {}, "message": message, "status": "error"},
    )


def item_error(code: str, message: str, details: dict[str, Any]) -> dict[str, Any]:
    """One failed record inside a write response's ``data`` array."""
    return {"code": code, "details": details, "message": message, "status": "error"}


def too_many_requests() -> Reply:
    # Zoho documents no Retry-After (nor any reset header) on 429, so none is sent.
    return api_error(
        429,
        "TOO_MANY_REQUESTS",
        "Number of API requests for the 24 hour period is exceeded or the concurrency "
        "limit of the user for the app is exceeded.",
    )


def token_error(error: str, status: int = 200, description: str | None = None) -> Reply:
    """The accounts server's error shape: ``{"error": ...}``, usually with HTTP 200."""
    body: dict[str, Any] = {"error": error}
    if description is not None:
        body["error_description"] = description
    return Reply(status, body)
