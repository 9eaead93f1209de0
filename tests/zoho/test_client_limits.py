"""Client-side concurrency limit and pacing by X-API-CREDITS-REMAINING."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from zoho_mock import API, Sleeps, TokenServer, build_client, router, sent_json, success

from keyaccount.plugins.zoho.client import CreditGovernor

URL = f"{API}/crm/v8/Accounts/upsert"


class InFlight:
    """Holds the first calls until ``target`` are in flight at once (or 2 s pass), so a client that
    allows ``target`` concurrent calls reaches exactly that peak however loaded the machine."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.now = 0
        self.peak = 0
        self._cond = threading.Condition()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._cond:
            self.now += 1
            self.peak = max(self.peak, self.now)
            self._cond.notify_all()
            self._cond.wait_for(lambda: self.peak >= self.target, timeout=2.0)
        time.sleep(0.005)
        with self._cond:
            self.now -= 1
        data = sent_json(request)["data"]
        return httpx.Response(200, json={"data": [success(r["Account_Name"]) for r in data]})


@pytest.mark.parametrize("limit", [1, 3, 10])
def test_never_more_calls_in_flight_than_the_limit(limit: int) -> None:
    mock = router()
    server = InFlight(limit)
    mock.post(URL).mock(side_effect=server)
    client = build_client(mock, tokens=TokenServer(), max_concurrency=limit)
    n = limit * 3 * 100  # three full rounds
    results = client.upsert("Accounts", [{"Account_Name": str(i)} for i in range(n)])
    assert [r.id for r in results] == [str(i) for i in range(n)]
    assert server.peak == limit  # reached, never passed
    assert client.peak_in_flight == limit


def test_the_limit_holds_across_callers_sharing_a_client() -> None:
    mock = router()
    server = InFlight(4)
    mock.post(URL).mock(side_effect=server)
    client = build_client(mock, tokens=TokenServer(), max_concurrency=4)
    rows = [{"Account_Name": str(i)} for i in range(400)]
    threads = [threading.Thread(target=client.upsert, args=("Accounts", rows)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert server.peak == 4


def test_invalid_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        build_client(router(), max_concurrency=0)


@pytest.mark.parametrize(
    ("remaining", "expected"),
    [
        (None, 0.0),
        ("9000", 0.0),
        ("5000", 0.0),
        ("2500", 1.0),
        ("500", 1.8),
        ("0", 2.0),
        ("-3", 2.0),
    ],
)
def test_credit_delay_grows_as_credits_run_out(remaining: str | None, expected: float) -> None:
    governor = CreditGovernor(slow_below=5000, max_delay=2.0, sleep=Sleeps())
    governor.observe(httpx.Headers({"X-API-CREDITS-REMAINING": remaining} if remaining else {}))
    assert governor.delay() == pytest.approx(expected)


def test_unreadable_credit_header_is_ignored() -> None:
    governor = CreditGovernor(slow_below=5000, max_delay=2.0)
    governor.observe(httpx.Headers({"X-API-CREDITS-REMAINING": "lots"}))
    assert governor.remaining is None
    assert governor.delay() == 0.0


def test_calls_slow_down_once_zoho_reports_few_credits() -> None:
    mock = router()
    remaining = iter(["8000", "4000", "1000", "900"])

    def page(request: httpx.Request) -> httpx.Response:
        n = request.url.params["page"]
        return httpx.Response(
            200,
            headers={"X-API-CREDITS-REMAINING": next(remaining)},
            json={"data": [{"id": n}], "info": {"more_records": n != "4"}},
        )

    mock.get(f"{API}/crm/v8/Accounts").mock(side_effect=page)
    sleeps = Sleeps()
    client = build_client(
        mock,
        tokens=TokenServer(),
        credits=CreditGovernor(slow_below=5000, max_delay=2.0, sleep=sleeps),
    )
    assert [r["id"] for r in client.iter_records("Accounts", ["Account_Name"])] == [
        "1",
        "2",
        "3",
        "4",
    ]
    # No pause before call 1 (unknown) or 2 (8000 left); then 4000 → 0.4 s, 1000 → 1.6 s.
    assert sleeps.calls == pytest.approx([0.4, 1.6])
