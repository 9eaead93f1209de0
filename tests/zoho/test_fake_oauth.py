"""The fake's accounts server and API authentication, against zoho.md §1 and §5.3."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from keyaccount.clock import FixedClock
from keyaccount.testing.fake_zoho import FakeZoho


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    # Plain HTTP on loopback: skip loading a CA bundle (it costs ~0.2 s per client).
    with httpx.Client(verify=False) as client:
        yield client


def _refresh_params(fake: FakeZoho, refresh_token: str | None = None) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token or fake.refresh_token,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
    }


def _list(
    http: httpx.Client, fake: FakeZoho, token: str, module: str = "Accounts"
) -> httpx.Response:
    return http.get(
        f"{fake.base_url}/crm/v8/{module}",
        params={"fields": "id"},
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
    )


@pytest.mark.parametrize("where", ["query", "form"])
def test_refresh_grant_accepts_query_string_or_form_body(
    fake_zoho: FakeZoho, where: str, http: httpx.Client
) -> None:
    params = _refresh_params(fake_zoho)
    if where == "query":
        response = http.post(fake_zoho.token_url, params=params)
    else:
        response = http.post(fake_zoho.token_url, data=params)
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == 3600
    assert body["token_type"] == "Bearer"
    assert body["api_domain"] == fake_zoho.base_url
    assert "refresh_token" not in body
    assert _list(http, fake_zoho, body["access_token"]).status_code == 204


def test_authorization_code_exchange_returns_a_refresh_token_once(
    fake_zoho: FakeZoho, http: httpx.Client
) -> None:
    code = fake_zoho.issue_grant_code("ZohoCRM.modules.ALL", redirect_uri="https://app.example/cb")
    params = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": fake_zoho.client_id,
        "client_secret": fake_zoho.client_secret,
        "redirect_uri": "https://app.example/cb",
    }
    first = http.post(fake_zoho.token_url, data=params).json()
    assert first["refresh_token"].startswith("1000.")
    assert first["api_domain"] == fake_zoho.base_url
    assert _list(http, fake_zoho, first["access_token"]).status_code == 204
    # The new refresh token works for refresh grants.
    again = http.post(fake_zoho.token_url, data=_refresh_params(fake_zoho, first["refresh_token"]))
    assert "access_token" in again.json()
    # A grant code is single use.
    reused = http.post(fake_zoho.token_url, data=params)
    assert reused.status_code == 200
    assert reused.json() == {"error": "invalid_code"}


def test_grant_code_expires_after_its_lifetime(
    fake_zoho: FakeZoho, keyaccount_clock: FixedClock, http: httpx.Client
) -> None:
    code = fake_zoho.issue_grant_code(expires_in=180)
    keyaccount_clock.advance(timedelta(seconds=181))
    response = http.post(
        fake_zoho.token_url,
        params={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": fake_zoho.client_id,
            "client_secret": fake_zoho.client_secret,
        },
    )
    assert response.json() == {"error": "invalid_code"}


def test_redirect_uri_must_match_the_grant(fake_zoho: FakeZoho, http: httpx.Client) -> None:
    code = fake_zoho.issue_grant_code(redirect_uri="https://app.example/cb")
    response = http.post(
        fake_zoho.token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": fake_zoho.client_id,
            "client_secret": fake_zoho.client_secret,
            "redirect_uri": "https://evil.example/cb",
        },
    )
    assert response.json() == {"error": "invalid_redirect_uri"}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_id": "1000.OTHER"}, "invalid_client"),
        ({"client_secret": "wrong"}, "invalid_client_secret"),
        ({"refresh_token": "1000.unknown.token"}, "invalid_code"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": ""}, "invalid_request"),
    ],
)
def test_token_errors_come_back_in_the_body(
    fake_zoho: FakeZoho, change: dict[str, str], error: str, http: httpx.Client
) -> None:
    params = {**_refresh_params(fake_zoho), **change}
    response = http.post(fake_zoho.token_url, data=params)
    assert response.status_code == 200
    assert response.json() == {"error": error}


def test_client_credentials_needs_soid_and_returns_no_refresh_token(
    fake_zoho: FakeZoho, http: httpx.Client
) -> None:
    base = {
        "grant_type": "client_credentials",
        "client_id": fake_zoho.client_id,
        "client_secret": fake_zoho.client_secret,
        "scope": "ZohoCRM.modules.ALL",
    }
    assert http.post(fake_zoho.token_url, data=base).json() == {"error": "missing_org_info"}
    wrong = http.post(fake_zoho.token_url, data={**base, "soid": "ZohoCRM.1"})
    assert wrong.json() == {"error": "invalid_org"}
    no_scope = {k: v for k, v in base.items() if k != "scope"}
    soid = f"ZohoCRM.{fake_zoho.org_id}"
    assert http.post(fake_zoho.token_url, data={**no_scope, "soid": soid}).json() == {
        "error": "invalid_scope"
    }
    ok = http.post(fake_zoho.token_url, params={**base, "soid": soid}).json()
    assert "refresh_token" not in ok
    assert ok["expires_in"] == 3600
    assert ok["api_domain"] == fake_zoho.base_url
    assert _list(http, fake_zoho, ok["access_token"]).status_code == 204


def test_at_most_ten_token_requests_per_ten_minutes(
    fake_zoho: FakeZoho, keyaccount_clock: FixedClock, http: httpx.Client
) -> None:
    params = _refresh_params(fake_zoho)
    for _ in range(10):
        assert "access_token" in http.post(fake_zoho.token_url, data=params).json()
    blocked = http.post(fake_zoho.token_url, data=params)
    assert blocked.status_code == 400
    assert blocked.json()["error"] == "Access Denied"
    assert blocked.json()["error_description"].startswith("You have made too many requests")
    keyaccount_clock.advance(timedelta(minutes=9, seconds=59))
    assert http.post(fake_zoho.token_url, data=params).status_code == 400
    keyaccount_clock.advance(timedelta(seconds=1))
    assert "access_token" in http.post(fake_zoho.token_url, data=params).json()
    # Another refresh token has its own budget.
    other = fake_zoho.issue_refresh_token()
    assert (
        "access_token"
        in http.post(fake_zoho.token_url, data=_refresh_params(fake_zoho, other)).json()
    )


def test_client_credentials_are_rate_limited_too(fake_zoho: FakeZoho, http: httpx.Client) -> None:
    params = {
        "grant_type": "client_credentials",
        "client_id": fake_zoho.client_id,
        "client_secret": fake_zoho.client_secret,
        "scope": "ZohoCRM.modules.ALL",
        "soid": f"ZohoCRM.{fake_zoho.org_id}",
    }
    for _ in range(10):
        assert "access_token" in http.post(fake_zoho.token_url, data=params).json()
    assert http.post(fake_zoho.token_url, data=params).json()["error"] == "Access Denied"


def test_eleventh_live_access_token_evicts_the_oldest(
    fake_zoho: FakeZoho, keyaccount_clock: FixedClock, http: httpx.Client
) -> None:
    params = _refresh_params(fake_zoho)
    tokens = []
    for i in range(11):
        if i == 10:
            # Step past the request window so the 11th request is allowed.
            keyaccount_clock.advance(timedelta(minutes=10))
        tokens.append(http.post(fake_zoho.token_url, data=params).json()["access_token"])
    oldest = _list(http, fake_zoho, tokens[0])
    assert oldest.status_code == 401
    assert oldest.json()["code"] == "INVALID_TOKEN"
    assert all(_list(http, fake_zoho, t).status_code == 204 for t in tokens[1:])


def test_access_token_expires_after_an_hour(
    fake_zoho: FakeZoho, keyaccount_clock: FixedClock, http: httpx.Client
) -> None:
    token = http.post(fake_zoho.token_url, data=_refresh_params(fake_zoho)).json()["access_token"]
    keyaccount_clock.advance(timedelta(seconds=3599))
    assert _list(http, fake_zoho, token).status_code == 204
    keyaccount_clock.advance(timedelta(seconds=1))
    expired = _list(http, fake_zoho, token)
    assert expired.status_code == 401
    assert expired.json() == {
        "code": "INVALID_TOKEN",
        "details": {},
        "message": "invalid oauth token",
        "status": "error",
    }


def test_revoke_kills_the_refresh_token_and_its_access_tokens(
    fake_zoho: FakeZoho, http: httpx.Client
) -> None:
    token = http.post(fake_zoho.token_url, data=_refresh_params(fake_zoho)).json()["access_token"]
    revoked = http.post(fake_zoho.token_url + "/revoke", params={"token": fake_zoho.refresh_token})
    assert revoked.json() == {"status": "success"}
    assert _list(http, fake_zoho, token).json()["code"] == "INVALID_TOKEN"
    again = http.post(fake_zoho.token_url, data=_refresh_params(fake_zoho))
    assert again.json() == {"error": "invalid_code"}
    unknown = http.post(fake_zoho.token_url + "/revoke", params={"token": "1000.nope"})
    assert unknown.status_code == 400
    assert unknown.json() == {"error": "invalid_token"}


def test_token_endpoint_only_takes_post(fake_zoho: FakeZoho, http: httpx.Client) -> None:
    assert http.get(fake_zoho.token_url, params=_refresh_params(fake_zoho)).status_code == 405


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer {token}", "Zoho-oauthtoken", "zoho-oauthtoken {token}", "{token}"],
)
def test_authorization_header_must_be_zoho_oauthtoken(
    fake_zoho: FakeZoho, header: str | None, http: httpx.Client
) -> None:
    token = fake_zoho.issue_access_token()
    headers = {} if header is None else {"Authorization": header.format(token=token)}
    response = http.get(
        fake_zoho.base_url + "/crm/v8/Accounts", params={"fields": "id"}, headers=headers
    )
    assert response.status_code == 401
    assert response.json() == {
        "code": "AUTHENTICATION_FAILURE",
        "details": {},
        "message": "Authentication failed",
        "status": "error",
    }


def test_unknown_token_is_invalid_token(fake_zoho: FakeZoho, http: httpx.Client) -> None:
    response = _list(http, fake_zoho, "1000.made.up")
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_TOKEN"


def test_force_expiry_invalidates_every_current_token(
    fake_zoho: FakeZoho, http: httpx.Client
) -> None:
    tokens = [fake_zoho.issue_access_token() for _ in range(3)]
    assert fake_zoho.expire_access_tokens() == 3
    assert all(_list(http, fake_zoho, t).json()["code"] == "INVALID_TOKEN" for t in tokens)
    # A refresh after the forced expiry gives a working token again.
    fresh = http.post(fake_zoho.token_url, data=_refresh_params(fake_zoho)).json()["access_token"]
    assert _list(http, fake_zoho, fresh).status_code == 204


@pytest.mark.parametrize("status", [401, 403])
def test_scope_mismatch_status_is_configurable(status: int, http: httpx.Client) -> None:
    with FakeZoho(scope_mismatch_status=status) as fake:
        token = fake.issue_access_token("ZohoCRM.settings.fields.ALL")
        response = _list(http, fake, token)
    assert response.status_code == status
    assert response.json() == {
        "code": "OAUTH_SCOPE_MISMATCH",
        "details": {},
        "message": "invalid oauth scope to access this URL",
        "status": "error",
    }


def test_module_scoped_tokens_reach_only_their_module_and_operation(
    fake_zoho: FakeZoho, http: httpx.Client
) -> None:
    token = fake_zoho.issue_access_token("ZohoCRM.modules.accounts.READ")
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    assert _list(http, fake_zoho, token).status_code == 204
    assert _list(http, fake_zoho, token, "Contacts").json()["code"] == "OAUTH_SCOPE_MISMATCH"
    write = http.post(
        fake_zoho.base_url + "/crm/v8/Accounts",
        json={"data": [{"Account_Name": "A"}]},
        headers=headers,
    )
    assert write.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    assert fake_zoho.count_records("Accounts") == 0


def test_write_scope_covers_upsert_but_not_delete(fake_zoho: FakeZoho, http: httpx.Client) -> None:
    token = fake_zoho.issue_access_token("ZohoCRM.modules.Accounts.WRITE")
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    upsert = http.post(
        fake_zoho.base_url + "/crm/v8/Accounts/upsert",
        json={"data": [{"Account_Name": "A"}]},
        headers=headers,
    )
    assert upsert.status_code == 201
    [record_id] = [r["id"] for r in fake_zoho.records("Accounts")]
    delete = http.delete(fake_zoho.base_url + f"/crm/v8/Accounts/{record_id}", headers=headers)
    assert delete.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    assert fake_zoho.count_records("Accounts") == 1
