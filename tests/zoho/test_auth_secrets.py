"""Client secret, refresh and access tokens never appear in reprs, logs or error text."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
from zoho_mock import API, NOW, REFRESH, SECRET, TOKEN_URL, router, success, zoho_error

from keyaccount.errors import KeyaccountError, ProviderAuthError
from keyaccount.plugins.zoho._retry import RetryPolicy
from keyaccount.plugins.zoho.auth import FileTokenStore, TokenSet
from keyaccount.plugins.zoho.provider import ZohoProvider

ACCESS = "1000.access-token-should-never-leak"
SECRETS = (SECRET, REFRESH, ACCESS)


def config() -> dict[str, str]:
    return {"client_id": "1000.CLIENTID", "client_secret": SECRET, "refresh_token": REFRESH}


def provider(mock, **kw: object) -> ZohoProvider:
    http = httpx.Client(transport=httpx.MockTransport(mock.handler))
    import tenacity

    policy = RetryPolicy(wait=tenacity.wait_none(), sleep=lambda s: None)
    return ZohoProvider.from_config(config(), http_client=http, retry=policy)


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_reprs_hide_secrets(tmp_path) -> None:  # type: ignore[no-untyped-def]
    mock = router()
    mock.post(TOKEN_URL).mock(
        return_value=httpx.Response(200, json={"access_token": ACCESS, "expires_in": 3600})
    )
    p = provider(mock)
    p.client.auth.token()
    tokens = TokenSet(ACCESS, NOW + timedelta(hours=1), API, REFRESH)
    for obj in (p, p.client, p.client.auth, tokens, FileTokenStore(tmp_path / "t")):
        assert_clean(repr(obj))
        assert_clean(str(obj))


def test_logs_and_errors_during_a_bad_run_stay_clean(caplog: pytest.LogCaptureFixture) -> None:
    mock = router()
    mock.post(TOKEN_URL).mock(
        return_value=httpx.Response(200, json={"access_token": ACCESS, "expires_in": 3600})
    )
    mock.get(f"{API}/crm/v8/Accounts").mock(
        side_effect=[
            httpx.ReadError("reset"),
            zoho_error(429, "TOO_MANY_REQUESTS"),
            zoho_error(401, "INVALID_TOKEN", "invalid oauth token"),
            zoho_error(401, "INVALID_TOKEN", "invalid oauth token"),
        ]
    )
    mock.post(f"{API}/crm/v8/Accounts").mock(
        return_value=httpx.Response(
            207, json={"data": [success("1"), zoho_error(0, "INVALID_DATA").json()]}
        )
    )
    p = provider(mock)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ProviderAuthError) as caught:
        list(p.iter_changed("account"))
    results = p.create("account", [{"Account_Name": "a"}, {"Account_Name": ""}])
    texts = [caplog.text, str(caught.value), repr(caught.value), str(caught.value.__cause__)]
    texts += [str(r.error) for r in results if r.error is not None]
    for text in texts:
        assert_clean(text)
    assert "retrying" in caplog.text  # the run did log, so the check above means something


def test_refused_token_error_is_clean() -> None:
    mock = router()
    mock.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            200, json={"error": "invalid_client", "error_description": f"bad {SECRET}"}
        )
    )
    p = provider(mock)
    with pytest.raises(KeyaccountError) as caught:
        p.get("account", "1")
    assert_clean(str(caught.value))
