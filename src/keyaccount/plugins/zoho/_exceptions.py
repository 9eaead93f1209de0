"""The Zoho adapter's private error tree, and the one place Zoho answers become errors.

``error_from_response`` maps an HTTP status plus Zoho's ``code`` to a class; the same function
reads per-record items of a write (status ``None``). ``to_provider_error`` translates the tree
into ``keyaccount.errors`` at the provider boundary so callers never see these classes.

Messages hold Zoho's code and message and the request's method and path, never headers, query
strings or bodies, which can carry tokens or client secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keyaccount.errors import (
    DuplicateRemote,
    InvalidRemoteData,
    ProviderAuthError,
    ProviderError,
    ProviderPermissionDenied,
    RateLimited,
    RemoteNotFound,
    TransientProviderError,
)

PROVIDER = "zoho"


class ZohoError(Exception):
    """Base of every error the Zoho adapter raises internally."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class ZohoAPIError(ZohoError):
    """Zoho answered with an error: ``status_code`` (None for a per-record item), ``code``,
    ``details`` as Zoho sent them."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.details: Mapping[str, Any] = details or {}
        prefix = f"HTTP {status_code} " if status_code is not None else ""
        super().__init__(f"{prefix}{code}: {message}" if code else f"{prefix}{message}")


class BadRequestError(ZohoAPIError):
    """400 without a more specific code."""


class InvalidDataError(ZohoAPIError):
    """A value was rejected: INVALID_DATA, MANDATORY_NOT_FOUND and similar; ``field`` names it."""

    @property
    def field(self) -> str | None:
        name = self.details.get("api_name") or self.details.get("param_name")
        return str(name) if name else None


class DuplicateDataError(ZohoAPIError):
    """DUPLICATE_DATA: ``existing_id`` is the record that already holds the value."""

    @property
    def existing_id(self) -> str | None:
        dup = self.details.get("duplicate_record")
        if isinstance(dup, Mapping) and dup.get("id") is not None:
            return str(dup["id"])
        found = self.details.get("id")
        return str(found) if found is not None else None

    @property
    def field(self) -> str | None:
        name = self.details.get("api_name")
        return str(name) if name else None


class PaginationLimitError(ZohoAPIError):
    """DISCRETE_PAGINATION_LIMIT_EXCEEDED: ``page`` was used past the 2,000-record cap."""


class AuthenticationError(ZohoAPIError):
    """401, or an OAuth failure at the accounts server."""


class InvalidTokenError(AuthenticationError):
    """The access token is expired, evicted or revoked; a refresh may cure it."""


class PermissionDeniedError(ZohoAPIError):
    """403, OAUTH_SCOPE_MISMATCH (sent as 401 or 403) or NO_PERMISSION."""


class NotFoundError(ZohoAPIError):
    """404, an unknown module, or an id Zoho does not hold."""


class RateLimitError(ZohoAPIError):
    """429 TOO_MANY_REQUESTS: credits or concurrency exhausted; Zoho sends no Retry-After."""


class InternalServerError(ZohoAPIError):
    """5xx."""


class ZohoConnectionError(ZohoError):
    """The request could not be completed: ``sent`` says whether it may have reached Zoho."""

    def __init__(self, message: str, *, sent: bool) -> None:
        self.sent = sent
        super().__init__(message)


class ZohoTimeoutError(ZohoConnectionError):
    """Connect, read or write timed out."""


_INVALID_DATA_CODES = frozenset(
    {
        "INVALID_DATA",
        "MANDATORY_NOT_FOUND",
        "REQUIRED_PARAM_MISSING",
        "EXPECTED_FIELD_MISSING",
        "PATTERN_NOT_MATCHED",
        "DEPENDENT_FIELD_MISSING",
        "DATA_MISMATCH",
        "LIMIT_EXCEEDED",
        "INVALID_QUERY",
    }
)
_PERMISSION_CODES = frozenset({"OAUTH_SCOPE_MISMATCH", "NO_PERMISSION", "NOT_ALLOWED"})
_INVALID_TOKEN_CODES = frozenset({"INVALID_TOKEN", "INVALID_OAUTHTOKEN"})
_NOT_FOUND_CODES = frozenset({"NOT_FOUND", "INVALID_MODULE", "INVALID_URL_PATTERN"})
_ID_NOT_FOUND_MESSAGE = "the id given seems to be invalid"


def error_from_response(status: int | None, body: Mapping[str, Any] | None) -> ZohoAPIError:
    """The error for Zoho's ``{"code", "message", "details", "status"}`` envelope.

    ``status`` is the HTTP status, or ``None`` for one item of a batch write. Zoho's code
    decides where it is specific; the status decides otherwise.
    """
    body = body if isinstance(body, Mapping) else {}
    code = str(body.get("code") or "")
    message = str(body.get("message") or "no message")
    raw_details = body.get("details")
    details: Mapping[str, Any] = raw_details if isinstance(raw_details, Mapping) else {}
    kw: dict[str, Any] = {"status_code": status, "code": code, "details": details}

    if code == "DUPLICATE_DATA":
        return DuplicateDataError(message, **kw)
    if code == "DISCRETE_PAGINATION_LIMIT_EXCEEDED":
        return PaginationLimitError(message, **kw)
    if code in _INVALID_TOKEN_CODES:
        return InvalidTokenError(message, **kw)
    if code in _PERMISSION_CODES:
        return PermissionDeniedError(message, **kw)
    if code == "TOO_MANY_REQUESTS" or status == 429:
        return RateLimitError(message, **kw)
    if code in _NOT_FOUND_CODES:
        return NotFoundError(message, **kw)
    if code == "INVALID_DATA" and message.lower().startswith(_ID_NOT_FOUND_MESSAGE):
        return NotFoundError(message, **kw)
    if code in _INVALID_DATA_CODES:
        return InvalidDataError(message, **kw)
    if code == "INTERNAL_ERROR":
        return InternalServerError(message, **kw)
    if status is None:
        return ZohoAPIError(message, **kw)
    if status == 401 or code == "AUTHENTICATION_FAILURE":
        return AuthenticationError(message, **kw)
    if status == 403:
        return PermissionDeniedError(message, **kw)
    if status == 404:
        return NotFoundError(message, **kw)
    if status >= 500:
        return InternalServerError(message, **kw)
    if status == 400:
        return BadRequestError(message, **kw)
    return ZohoAPIError(message, **kw)


def to_provider_error(err: ZohoError) -> ProviderError:
    """The provider-neutral error callers catch; raise it ``from err``."""
    text = err.message if not isinstance(err, ZohoAPIError) else str(err)
    if isinstance(err, DuplicateDataError):
        return DuplicateRemote(
            text, provider=PROVIDER, existing_id=err.existing_id, field=err.field
        )
    if isinstance(err, InvalidDataError):
        return InvalidRemoteData(text, provider=PROVIDER, field=err.field)
    if isinstance(err, AuthenticationError):
        return ProviderAuthError(text, provider=PROVIDER)
    if isinstance(err, PermissionDeniedError):
        return ProviderPermissionDenied(text, provider=PROVIDER)
    if isinstance(err, NotFoundError):
        return RemoteNotFound(text, provider=PROVIDER)
    if isinstance(err, RateLimitError):
        return RateLimited(text, provider=PROVIDER, retry_after=None)
    if isinstance(err, InternalServerError | ZohoConnectionError):
        return TransientProviderError(text, provider=PROVIDER)
    if isinstance(err, BadRequestError | PaginationLimitError):
        return InvalidRemoteData(text, provider=PROVIDER, field=None)
    return ProviderError(text, provider=PROVIDER)
