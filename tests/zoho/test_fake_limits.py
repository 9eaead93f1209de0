"""Concurrency and credit limits on the fake, against zoho.md §5.1-§5.2."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from keyaccount.clock import FixedClock
from keyaccount.testing.fake_zoho import FakeZoho

TOO_MANY = {
    "code": "TOO_MANY_REQUESTS",
    "details": {},
    "message": "Number of API requests for the 24 hour period is exceeded or the concurrency "
    "limit of the user for the app is exceeded.",
    "status": "error",
}


def _client(fake: FakeZoho) -> httpx.Client:
    headers = {"Authorization": f"Zoho-oauthtoken {fake.issue_access_token()}"}
    # Plain HTTP on loopback: skip loading a CA bundle (it costs ~0.2 s per client).
    return httpx.Client(base_url=fake.base_url + "/crm/v8", headers=headers, verify=False)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 6, 30, 9, 0, tzinfo=UTC))


def _concurrently(fake: FakeZoho, calls: list[tuple[str, str, Any]]) -> list[httpx.Response]:
    """Fire ``calls`` (method, path, json) at once, each on its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list[httpx.Response | None] = [None] * len(calls)
    clients = [_client(fake) for _ in calls]

    def run(i: int) -> None:
        method, path, body = calls[i]
        barrier.wait()
        results[i] = clients[i].request(method, path, json=body, params={"fields": "id"})

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in clients:
        c.close()
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def test_calls_over_the_concurrency_limit_get_429_without_retry_after() -> None:
    with FakeZoho(concurrency_limit=2) as fake:
        fake.set_latency(0.5)
        responses = _concurrently(fake, [("GET", "/Accounts", None)] * 5)
        assert fake.peak_concurrency == 2
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [204, 204, 429, 429, 429]
    for refused in (r for r in responses if r.status_code == 429):
        assert refused.json() == TOO_MANY
        assert "retry-after" not in refused.headers
        assert not any(h.lower().startswith("x-ratelimit") for h in refused.headers)


def test_a_freed_slot_admits_the_next_call() -> None:
    with FakeZoho(concurrency_limit=1) as fake, _client(fake) as api:
        fake.seed("Accounts", 1)
        for _ in range(3):
            assert api.get("/Accounts", params={"fields": "id"}).status_code == 200
        assert fake.peak_concurrency == 1


def test_heavy_writes_have_their_own_sub_limit() -> None:
    big = {"data": [{"Account_Name": f"A{i}"} for i in range(11)]}
    big2 = {"data": [{"Account_Name": f"B{i}"} for i in range(11)]}
    small = {"data": [{"Account_Name": f"C{i}"} for i in range(10)]}
    with FakeZoho(concurrency_limit=5, heavy_concurrency_limit=1) as fake:
        fake.set_latency(0.5)
        responses = _concurrently(
            fake,
            [("POST", "/Accounts", big), ("POST", "/Accounts", big2), ("POST", "/Accounts", small)],
        )
    statuses = [r.status_code for r in responses]
    # One of the two 11-record writes is refused; the 10-record write is not heavy.
    assert sorted(statuses[:2]) == [201, 429]
    assert statuses[2] == 201


def test_credit_header_appears_once_half_is_used(clock: FixedClock) -> None:
    with FakeZoho(clock=clock, credit_limit=10) as fake, _client(fake) as api:
        fake.set_credits_used(3)
        first = api.get("/Accounts", params={"fields": "id"})
        assert "x-api-credits-remaining" not in first.headers
        second = api.get("/Accounts", params={"fields": "id"})
        assert second.headers["x-api-credits-remaining"] == "5"
        assert fake.credits_remaining == 5


def test_writes_cost_a_credit_per_ten_records(clock: FixedClock) -> None:
    with FakeZoho(clock=clock, credit_limit=100) as fake, _client(fake) as api:
        api.post("/Accounts", json={"data": [{"Account_Name": f"A{i}"} for i in range(25)]})
        assert fake.credits_remaining == 97
        api.post("/Accounts", json={"data": [{"Account_Name": "One"}]})
        assert fake.credits_remaining == 96


def test_exhausted_credits_answer_429_until_the_window_rolls(clock: FixedClock) -> None:
    with FakeZoho(clock=clock, credit_limit=4) as fake, _client(fake) as api:
        fake.seed("Accounts", 1)
        for _ in range(2):
            assert api.get("/Accounts", params={"fields": "id"}).status_code == 200
        clock.advance(timedelta(minutes=59))
        for _ in range(2):
            assert api.get("/Accounts", params={"fields": "id"}).status_code == 200
        refused = api.get("/Accounts", params={"fields": "id"})
        assert refused.status_code == 429
        assert refused.json() == TOO_MANY
        assert "retry-after" not in refused.headers
        assert refused.headers["x-api-credits-remaining"] == "0"
        # Rolling 24 h window: the first two credits free up 24 h after they were spent.
        clock.advance(timedelta(hours=23, minutes=1))
        api.headers["Authorization"] = f"Zoho-oauthtoken {fake.issue_access_token()}"
        ok = api.get("/Accounts", params={"fields": "id"})
        assert ok.status_code == 200
        assert ok.headers["x-api-credits-remaining"] == "1"


def test_a_write_larger_than_the_remaining_credits_is_refused_whole(clock: FixedClock) -> None:
    with FakeZoho(clock=clock, credit_limit=10) as fake, _client(fake) as api:
        fake.set_credits_used(8)
        batch = {"data": [{"Account_Name": f"A{i}"} for i in range(30)]}
        assert api.post("/Accounts", json=batch).status_code == 429
        assert fake.count_records("Accounts") == 0


def test_token_calls_spend_no_credits(clock: FixedClock) -> None:
    with FakeZoho(clock=clock, credit_limit=10) as fake:
        params = {
            "grant_type": "refresh_token",
            "refresh_token": fake.refresh_token,
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
        }
        with httpx.Client(verify=False) as http:
            assert http.post(fake.token_url, data=params).status_code == 200
        assert fake.credits_remaining == 10


def test_concurrent_writers_leave_consistent_state() -> None:
    with FakeZoho(concurrency_limit=25, heavy_concurrency_limit=25) as fake:
        errors: list[BaseException] = []

        def writer(worker: int) -> None:
            try:
                with _client(fake) as api:
                    for batch in range(5):
                        rows = [{"Account_Name": f"W{worker}-{batch}-{i}"} for i in range(100)]
                        response = api.post("/Accounts/upsert", json={"data": rows})
                        assert response.status_code == 201, response.text
            except BaseException as exc:  # collected and re-raised in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        records = fake.records("Accounts")
        assert len(records) == 4000
        assert len({r["id"] for r in records}) == 4000
        assert fake.count("write") == 40
        assert fake.count("records_written") == 4000


@pytest.fixture
def running() -> Iterator[FakeZoho]:
    with FakeZoho() as fake:
        yield fake


def test_reset_counters_also_resets_peak(running: FakeZoho) -> None:
    with _client(running) as api:
        api.get("/Accounts", params={"fields": "id"})
    assert running.peak_concurrency == 1
    running.reset_counters()
    assert running.peak_concurrency == 0
    assert running.counts()["list"] == 0


def test_a_call_refused_for_concurrency_does_not_use_up_a_switch() -> None:
    with FakeZoho(concurrency_limit=1) as fake, _client(fake) as slow, _client(fake) as api:
        fake.set_latency(0.5)
        fake.fail_next(1, path="/crm/v8/Contacts")
        holder = threading.Thread(target=lambda: slow.get("/Accounts", params={"fields": "id"}))
        holder.start()
        deadline = time.monotonic() + 5
        while fake.peak_concurrency < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        refused = api.get("/Contacts", params={"fields": "id"})
        holder.join()
        fake.set_latency(0)
        after = api.get("/Contacts", params={"fields": "id"})
    assert refused.status_code == 429
    assert after.status_code == 500
