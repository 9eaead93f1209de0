"""Retries: 429 storms, 5xx, dropped connections (upsert retried, insert not), token expiry."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import tenacity
from zoho_mock import (
    API,
    NOW,
    ListServer,
    Sleeps,
    TokenServer,
    account_rows,
    build_client,
    no_wait,
    router,
    success,
    zoho_error,
)

from keyaccount.clock import FixedClock
from keyaccount.plugins.zoho._exceptions import (
    AuthenticationError,
    InternalServerError,
    RateLimitError,
    ZohoConnectionError,
)
from keyaccount.plugins.zoho._retry import RetryPolicy, should_retry

URL = f"{API}/crm/v8/Accounts"


def too_many() -> httpx.Response:
    return zoho_error(429, "TOO_MANY_REQUESTS", "concurrency limit exceeded")


def test_a_429_storm_is_ridden_out_with_backoff() -> None:
    mock = router()
    route = mock.get(URL).mock(
        side_effect=[
            too_many(),
            too_many(),
            too_many(),
            too_many(),
            too_many(),
            httpx.Response(200, json={"data": [{"id": "1"}], "info": {"more_records": False}}),
        ]
    )
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=8, backoff_initial=0.5, backoff_max=8.0, sleep=sleeps)
    client = build_client(mock, tokens=TokenServer(), retry=policy)
    assert [r["id"] for r in client.iter_records("Accounts", ["Account_Name"])] == ["1"]
    assert route.call_count == 6
    assert len(sleeps.calls) == 5
    caps = [min(8.0, 0.5 * 2**n) for n in range(1, 6)]
    assert all(0 <= s <= cap for s, cap in zip(sleeps.calls, caps, strict=True))
    assert client.stats["retry"] == 5


def test_a_429_storm_that_does_not_end_raises_for_reads() -> None:
    mock = router()
    route = mock.get(URL).mock(side_effect=lambda r: too_many())
    client = build_client(mock, tokens=TokenServer(), retry=no_wait(max_attempts=4))
    with pytest.raises(RateLimitError):
        list(client.iter_records("Accounts", ["Account_Name"]))
    assert route.call_count == 4


def test_a_429_storm_on_a_write_marks_that_batch_only() -> None:
    mock = router()

    def storm_for_second_batch(request: httpx.Request) -> httpx.Response:
        data = httpx.Response(200, content=request.content).json()["data"]
        if data[0]["Account_Name"] == "100":
            return too_many()
        return httpx.Response(200, json={"data": [success(r["Account_Name"]) for r in data]})

    mock.post(f"{URL}/upsert").mock(side_effect=storm_for_second_batch)
    client = build_client(mock, tokens=TokenServer(), retry=no_wait(max_attempts=3))
    results = client.upsert("Accounts", [{"Account_Name": str(i)} for i in range(150)])
    assert all(r.ok for r in results[:100])
    assert all(isinstance(r.error, RateLimitError) for r in results[100:])


def test_5xx_is_retried_for_reads() -> None:
    mock = router()
    route = mock.get(URL).mock(
        side_effect=[
            zoho_error(500, "INTERNAL_ERROR"),
            httpx.Response(503),
            httpx.Response(200, json={"data": [{"id": "1"}], "info": {"more_records": False}}),
        ]
    )
    client = build_client(mock, tokens=TokenServer())
    assert len(list(client.iter_records("Accounts", ["Account_Name"]))) == 1
    assert route.call_count == 3


def test_dropped_connection_during_upsert_is_retried() -> None:
    mock = router()
    route = mock.post(f"{URL}/upsert").mock(
        side_effect=[
            httpx.ReadError("connection reset"),
            httpx.Response(200, json={"data": [success("1", action="insert")]}),
        ]
    )
    client = build_client(mock, tokens=TokenServer())
    results = client.upsert(
        "Accounts", [{"Account_Name": "a"}], duplicate_check_fields=["Account_Name"]
    )
    assert route.call_count == 2
    assert results[0].ok
    assert results[0].id == "1"


def test_dropped_connection_during_insert_is_not_retried() -> None:
    mock = router()
    route = mock.post(URL).mock(
        side_effect=[
            httpx.RemoteProtocolError("server disconnected"),
            httpx.Response(201, json={"data": [success("1")]}),
        ]
    )
    client = build_client(mock, tokens=TokenServer())
    results = client.insert("Accounts", [{"Account_Name": "a"}, {"Account_Name": "b"}])
    assert route.call_count == 1
    assert all(isinstance(r.error, ZohoConnectionError) and r.error.sent for r in results)


def test_insert_is_retried_when_the_connection_never_opened_or_on_429() -> None:
    mock = router()
    route = mock.post(URL).mock(
        side_effect=[
            httpx.ConnectError("refused"),
            too_many(),
            httpx.Response(201, json={"data": [success("1")]}),
        ]
    )
    client = build_client(mock, tokens=TokenServer())
    results = client.insert("Accounts", [{"Account_Name": "a"}])
    assert route.call_count == 3
    assert results[0].ok


def test_insert_is_not_retried_on_5xx() -> None:
    mock = router()
    route = mock.post(URL).mock(side_effect=[httpx.Response(502), httpx.Response(201)])
    client = build_client(mock, tokens=TokenServer())
    results = client.insert("Accounts", [{"Account_Name": "a"}])
    assert route.call_count == 1
    assert isinstance(results[0].error, InternalServerError)


def test_retry_decisions() -> None:
    sent = ZohoConnectionError("x", sent=True)
    unsent = ZohoConnectionError("x", sent=False)
    assert should_retry(sent, idempotent=True)
    assert not should_retry(sent, idempotent=False)
    assert should_retry(unsent, idempotent=False)
    assert should_retry(RateLimitError("x"), idempotent=False)
    assert not should_retry(RateLimitError("x"), idempotent=True, rate_limits=False)
    assert not should_retry(AuthenticationError("x"), idempotent=True)


def test_expired_token_mid_read_refreshes_once_and_retries_once() -> None:
    mock = router()
    server = ListServer(account_rows(600))

    def expire_at_second_page(request: httpx.Request, n: int) -> httpx.Response | None:
        if request.headers["Authorization"] == "Zoho-oauthtoken tok1" and n >= 2:
            return zoho_error(401, "INVALID_TOKEN", "invalid oauth token")
        return None

    server.before = expire_at_second_page
    mock.get(URL).mock(side_effect=server)
    tokens = TokenServer()
    client = build_client(mock, tokens=tokens)
    assert len(list(client.iter_records("Accounts", ["Account_Name"]))) == 600
    assert tokens.count == 2
    assert client.stats.snapshot() == {"list": 4, "token_retry": 1}
    assert [r.headers["Authorization"][-4:] for r in server.requests] == [
        "tok1",
        "tok1",
        "tok2",
        "tok2",
    ]


def test_a_second_401_after_refresh_is_an_auth_error() -> None:
    mock = router()
    route = mock.get(URL).mock(side_effect=lambda r: zoho_error(401, "INVALID_TOKEN"))
    tokens = TokenServer()
    client = build_client(mock, tokens=tokens)
    with pytest.raises(AuthenticationError):
        list(client.iter_records("Accounts", ["Account_Name"]))
    assert route.call_count == 2
    assert tokens.count == 2


def test_token_expiring_by_the_clock_mid_read_is_refreshed_before_the_next_page() -> None:
    mock = router()
    server = ListServer(account_rows(600))
    mock.get(URL).mock(side_effect=server)
    tokens = TokenServer()
    clock = FixedClock(NOW)
    client = build_client(mock, tokens=tokens, clock=clock)
    records = client.iter_records("Accounts", ["Account_Name"])
    for _ in range(200):
        next(records)
    clock.advance(timedelta(minutes=59, seconds=30))  # inside the 60 s refresh margin
    rest = list(records)
    assert len(rest) == 400
    assert tokens.count == 2
    assert server.requests[1].headers["Authorization"].endswith("tok2")


def test_default_policy_waits_grow_and_are_capped() -> None:
    policy = RetryPolicy()
    retrying = policy.retrying(idempotent=True)
    assert isinstance(retrying.wait, tenacity.wait_random_exponential)
    assert retrying.wait.max == 8.0
