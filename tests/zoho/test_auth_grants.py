"""OAuth grants, token caching and the one-refresh-under-concurrency rule."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from zoho_mock import (
    ACCOUNTS,
    API,
    CLIENT_ID,
    NOW,
    REFRESH,
    SECRET,
    TOKEN_URL,
    TokenServer,
    build_client,
    no_wait,
    router,
)

from keyaccount.clock import FixedClock
from keyaccount.errors import ValidationError
from keyaccount.plugins.zoho._exceptions import (
    AuthenticationError,
    InternalServerError,
    RateLimitError,
)
from keyaccount.plugins.zoho.auth import ZohoAuth, expires_in_seconds, soid_for


def make_auth(mock, *, clock: FixedClock | None = None, **kw: object) -> ZohoAuth:
    http = httpx.Client(transport=httpx.MockTransport(mock.handler))
    args: dict[str, object] = {
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "accounts_url": ACCOUNTS,
        "http_client": http,
        "clock": clock or FixedClock(NOW),
        "retry": no_wait(),
    }
    args.update(kw)
    return ZohoAuth(**args)  # type: ignore[arg-type]


def test_refresh_token_grant_posts_a_form_body() -> None:
    mock = router()
    tokens = TokenServer()
    route = mock.post(TOKEN_URL).mock(side_effect=tokens)
    auth = make_auth(mock, refresh_token=REFRESH)
    token = auth.token()
    assert token.access_token == "tok1"
    assert token.expires_at == NOW + timedelta(seconds=3600)
    assert tokens.forms == [
        {
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "refresh_token": REFRESH,
        }
    ]
    # Secrets travel in the body, never in the URL that logs and proxies record.
    assert route.calls.last.request.url.query == b""


def test_self_client_credentials_grant_sends_soid_and_scope() -> None:
    mock = router()
    tokens = TokenServer()
    mock.post(TOKEN_URL).mock(side_effect=tokens)
    auth = make_auth(
        mock, org_id="60012345", scope=("ZohoCRM.modules.ALL", "ZohoCRM.settings.fields.READ")
    )
    auth.token()
    form = tokens.forms[0]
    assert form["grant_type"] == "client_credentials"
    assert form["soid"] == "ZohoCRM.60012345"
    assert form["scope"] == "ZohoCRM.modules.ALL,ZohoCRM.settings.fields.READ"
    assert soid_for("ZohoCRM.1") == "ZohoCRM.1"


def test_authorization_code_exchange_keeps_the_refresh_token_for_later() -> None:
    mock = router()
    tokens = TokenServer()
    mock.post(TOKEN_URL).mock(side_effect=tokens)
    clock = FixedClock(NOW)
    auth = make_auth(mock, clock=clock)
    got = auth.exchange_code("1000.grant-code", "https://app.example/cb")
    assert got.refresh_token == "1000.refresh-from-code"
    assert tokens.forms[0]["grant_type"] == "authorization_code"
    assert tokens.forms[0]["code"] == "1000.grant-code"
    assert tokens.forms[0]["redirect_uri"] == "https://app.example/cb"
    clock.advance(timedelta(hours=2))
    auth.token()
    assert tokens.forms[1]["grant_type"] == "refresh_token"
    assert tokens.forms[1]["refresh_token"] == "1000.refresh-from-code"


def test_no_grant_configured_is_an_auth_error() -> None:
    auth = make_auth(router())
    with pytest.raises(AuthenticationError, match="exchange_code"):
        auth.token()


def test_token_is_cached_until_shortly_before_expiry() -> None:
    mock = router()
    tokens = TokenServer()
    mock.post(TOKEN_URL).mock(side_effect=tokens)
    clock = FixedClock(NOW)
    auth = make_auth(mock, refresh_token=REFRESH, clock=clock)
    assert auth.token().access_token == "tok1"
    clock.advance(timedelta(minutes=58, seconds=59))
    assert auth.token().access_token == "tok1"
    clock.advance(timedelta(seconds=2))  # 59:01 — inside the 60 s margin
    assert auth.token().access_token == "tok2"
    assert tokens.count == 2


@pytest.mark.parametrize(
    ("body", "seconds"),
    [
        ({"expires_in": 3600}, 3600.0),
        ({"expires_in": 3600000, "expires_in_sec": 3600}, 3600.0),
        ({}, 3600.0),
    ],
)
def test_expires_in_units_quirk(body: dict[str, int], seconds: float) -> None:
    assert expires_in_seconds(body) == seconds


def test_millisecond_expires_in_does_not_make_a_token_live_a_month() -> None:
    mock = router()
    mock.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            200, json={"access_token": "t", "expires_in": 3600000, "expires_in_sec": 3600}
        )
    )
    auth = make_auth(mock, refresh_token=REFRESH)
    assert auth.token().expires_at == NOW + timedelta(hours=1)


def test_concurrent_callers_share_one_refresh() -> None:
    mock = router()
    tokens = TokenServer()

    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.05)
        return tokens(request)

    mock.post(TOKEN_URL).mock(side_effect=slow)
    auth = make_auth(mock, refresh_token=REFRESH)
    start = threading.Barrier(16)
    got: list[str] = []

    def worker() -> None:
        start.wait()
        got.append(auth.token().access_token)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert tokens.count == 1
    assert got == ["tok1"] * 16


def test_many_401s_on_one_token_cost_one_refresh() -> None:
    mock = router()
    tokens = TokenServer()
    mock.post(TOKEN_URL).mock(side_effect=tokens)
    auth = make_auth(mock, refresh_token=REFRESH)
    first = auth.token().access_token
    for _ in range(5):
        auth.invalidate(first)
        assert auth.token().access_token == "tok2"
    assert tokens.count == 2


def test_api_domain_from_the_token_is_where_calls_go() -> None:
    mock = router()
    tokens = TokenServer(api_domain="https://www.zohoapis.eu")
    route = mock.get("https://www.zohoapis.eu/crm/v8/Accounts/1").mock(
        return_value=httpx.Response(200, json={"data": [{"id": "1"}]})
    )
    client = build_client(mock, tokens=tokens)
    assert client.api_url == API
    client.get("Accounts", "1")
    assert route.called
    assert route.calls.last.request.headers["Authorization"] == "Zoho-oauthtoken tok1"


def test_refused_code_names_the_error_code_only() -> None:
    mock = router()
    mock.post(TOKEN_URL).mock(return_value=httpx.Response(200, json={"error": "invalid_code"}))
    auth = make_auth(mock)
    with pytest.raises(AuthenticationError) as caught:
        auth.exchange_code("1000.used-code")
    assert caught.value.code == "invalid_code"
    assert "1000.used-code" not in str(caught.value)
    assert SECRET not in str(caught.value)


def test_token_throttle_is_a_rate_limit_and_not_retried() -> None:
    mock = router()
    route = mock.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            400,
            json={
                "error": "Access Denied",
                "error_description": "You have made too many requests continuously.",
            },
        )
    )
    auth = make_auth(mock, refresh_token=REFRESH)
    with pytest.raises(RateLimitError):
        auth.token()
    assert route.call_count == 1


def test_accounts_server_5xx_and_dropped_connections_are_retried() -> None:
    mock = router()
    tokens = TokenServer()
    responses = iter([httpx.Response(503), httpx.ReadError("reset")])

    def flaky(request: httpx.Request) -> httpx.Response:
        nxt = next(responses, None)
        if nxt is None:
            return tokens(request)
        if isinstance(nxt, Exception):
            raise nxt
        return nxt

    route = mock.post(TOKEN_URL).mock(side_effect=flaky)
    auth = make_auth(mock, refresh_token=REFRESH)
    assert auth.token().access_token == "tok1"
    assert route.call_count == 3


def test_accounts_server_down_surfaces_after_retries() -> None:
    mock = router()
    route = mock.post(TOKEN_URL).mock(return_value=httpx.Response(500))
    auth = make_auth(mock, refresh_token=REFRESH)
    with pytest.raises(InternalServerError):
        auth.token()
    assert route.call_count == 4


def test_authorization_url_carries_the_request() -> None:
    auth = make_auth(router(), scope=("ZohoCRM.modules.ALL",))
    url = auth.authorization_url("https://app.example/cb", state="xyz")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ACCOUNTS}/oauth/v2/auth"
    query = parse_qs(parts.query)
    assert query["response_type"] == ["code"]
    assert query["access_type"] == ["offline"]
    assert query["scope"] == ["ZohoCRM.modules.ALL"]
    assert query["state"] == ["xyz"]
    assert SECRET not in url


def test_client_id_and_secret_are_required() -> None:
    with pytest.raises(ValidationError, match="client_secret"):
        ZohoAuth(client_id="x", client_secret="", accounts_url=ACCOUNTS)
    with pytest.raises(ValidationError, match="client_id"):
        ZohoAuth(client_id="", client_secret="x", accounts_url=ACCOUNTS)
