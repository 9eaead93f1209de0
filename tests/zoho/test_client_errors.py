"""One mapping from status + Zoho code to errors, and its translation at the port."""

from __future__ import annotations

import httpx
import pytest
import respx
import tenacity

from keyaccount import errors as port
from keyaccount.plugins.zoho import _exceptions as z
from keyaccount.plugins.zoho._retry import RetryPolicy
from keyaccount.plugins.zoho.provider import ZohoProvider


@pytest.mark.parametrize(
    ("status", "code", "message", "expected"),
    [
        (400, "DUPLICATE_DATA", "duplicate data", z.DuplicateDataError),
        (400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED", "x", z.PaginationLimitError),
        (401, "INVALID_TOKEN", "invalid oauth token", z.InvalidTokenError),
        (401, "INVALID_OAUTHTOKEN", "x", z.InvalidTokenError),
        (401, "AUTHENTICATION_FAILURE", "x", z.AuthenticationError),
        (401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope", z.PermissionDeniedError),
        (403, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope", z.PermissionDeniedError),
        (403, "NO_PERMISSION", "x", z.PermissionDeniedError),
        (403, "", "x", z.PermissionDeniedError),
        (429, "TOO_MANY_REQUESTS", "x", z.RateLimitError),
        (429, "", "x", z.RateLimitError),
        (404, "INVALID_URL_PATTERN", "x", z.NotFoundError),
        (400, "INVALID_MODULE", "The module name given seems to be invalid", z.NotFoundError),
        (400, "INVALID_DATA", "the id given seems to be invalid.", z.NotFoundError),
        (400, "INVALID_DATA", "invalid data", z.InvalidDataError),
        (400, "MANDATORY_NOT_FOUND", "required field not found", z.InvalidDataError),
        (400, "REQUIRED_PARAM_MISSING", "x", z.InvalidDataError),
        (400, "", "x", z.BadRequestError),
        (500, "INTERNAL_ERROR", "x", z.InternalServerError),
        (503, "", "x", z.InternalServerError),
        (None, "DUPLICATE_DATA", "x", z.DuplicateDataError),
        (None, "RECORD_LOCKED", "x", z.ZohoAPIError),
        (405, "INVALID_REQUEST_METHOD", "x", z.ZohoAPIError),
    ],
)
def test_error_from_response(status: int | None, code: str, message: str, expected: type) -> None:
    err = z.error_from_response(status, {"code": code, "message": message, "details": {}})
    assert type(err) is expected
    assert err.status_code == status
    assert err.code == code


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (
            z.DuplicateDataError(
                "d", details={"duplicate_record": {"id": "9"}, "api_name": "Email"}
            ),
            port.DuplicateRemote,
        ),
        (z.InvalidDataError("d", details={"api_name": "Email"}), port.InvalidRemoteData),
        (z.InvalidTokenError("d"), port.ProviderAuthError),
        (z.PermissionDeniedError("d"), port.ProviderPermissionDenied),
        (z.NotFoundError("d"), port.RemoteNotFound),
        (z.RateLimitError("d"), port.RateLimited),
        (z.InternalServerError("d"), port.TransientProviderError),
        (z.ZohoConnectionError("d", sent=True), port.TransientProviderError),
        (z.BadRequestError("d"), port.InvalidRemoteData),
        (z.ZohoAPIError("d"), port.ProviderError),
    ],
)
def test_translation_to_port_errors(err: z.ZohoError, expected: type) -> None:
    out = z.to_provider_error(err)
    assert type(out) is expected
    assert out.provider == "zoho"


def test_translated_errors_keep_what_the_caller_needs() -> None:
    dup = z.to_provider_error(
        z.DuplicateDataError(
            "duplicate data",
            code="DUPLICATE_DATA",
            details={"duplicate_record": {"id": "9"}, "api_name": "Email"},
        )
    )
    assert isinstance(dup, port.DuplicateRemote)
    assert dup.existing_id == "9"
    assert dup.field == "Email"
    bad = z.to_provider_error(z.InvalidDataError("invalid", details={"api_name": "Employees"}))
    assert isinstance(bad, port.InvalidRemoteData)
    assert bad.field == "Employees"
    limited = z.to_provider_error(z.RateLimitError("slow down"))
    assert isinstance(limited, port.RateLimited)
    assert limited.retry_after is None


def _provider(mock: respx.Router) -> ZohoProvider:
    mock.post("https://accounts.zoho.com/oauth/v2/token").mock(
        return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
    )
    return ZohoProvider.from_config(
        {"client_id": "c", "client_secret": "s", "refresh_token": "r"},
        http_client=httpx.Client(transport=httpx.MockTransport(mock.handler)),
        retry=RetryPolicy(wait=tenacity.wait_none()),
    )


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (404, "INVALID_URL_PATTERN", port.RemoteNotFound),
        (400, "INVALID_DATA", port.RemoteNotFound),  # "the id given seems to be invalid"
        (401, "OAUTH_SCOPE_MISMATCH", port.ProviderPermissionDenied),
        (403, "OAUTH_SCOPE_MISMATCH", port.ProviderPermissionDenied),
        (500, "INTERNAL_ERROR", port.TransientProviderError),
    ],
)
def test_provider_raises_port_errors_only(status: int, code: str, expected: type) -> None:
    mock = respx.Router()
    body = {
        "code": code,
        "message": "the id given seems to be invalid",
        "details": {},
        "status": "error",
    }
    mock.get("https://www.zohoapis.com/crm/v8/Accounts/1").mock(
        return_value=httpx.Response(status, json=body)
    )
    provider = _provider(mock)
    with pytest.raises(expected) as caught:
        provider.get("account", "1")
    assert isinstance(caught.value.__cause__, z.ZohoError)
