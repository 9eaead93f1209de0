"""Fault switches on the fake: latency, 5xx, dropped connections, 429 storms, token expiry."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from keyaccount.testing.fake_zoho import FakeZoho


@pytest.fixture
def api(fake_zoho: FakeZoho) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Zoho-oauthtoken {fake_zoho.issue_access_token()}"}
    # Plain HTTP on loopback: skip loading a CA bundle (it costs ~0.2 s per client).
    with httpx.Client(
        base_url=fake_zoho.base_url + "/crm/v8", headers=headers, verify=False
    ) as client:
        yield client


def _refresh(fake: FakeZoho) -> str:
    with httpx.Client(verify=False) as http:
        response = http.post(
            fake.token_url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": fake.refresh_token,
                "client_id": fake.client_id,
                "client_secret": fake.client_secret,
            },
        )
    token: str = response.json()["access_token"]
    return token


def test_latency_delays_every_response(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    fake_zoho.set_latency(0.2)
    started = time.perf_counter()
    api.get("/Accounts", params={"fields": "id"})
    assert time.perf_counter() - started >= 0.2
    fake_zoho.set_latency(0)
    started = time.perf_counter()
    api.get("/Accounts", params={"fields": "id"})
    assert time.perf_counter() - started < 0.2
    with pytest.raises(ValueError, match="latency"):
        fake_zoho.set_latency(-1)


def test_fail_next_answers_n_server_errors_then_recovers(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    fake_zoho.seed("Accounts", 1)
    fake_zoho.fail_next(2, status=503, path="/crm/v8/Accounts")
    # Other paths are untouched while the switch is armed.
    assert api.get("/Contacts", params={"fields": "id"}).status_code == 204
    for _ in range(2):
        failed = api.get("/Accounts", params={"fields": "id"})
        assert failed.status_code == 503
        assert failed.json()["code"] == "INTERNAL_ERROR"
    assert api.get("/Accounts", params={"fields": "id"}).status_code == 200


def test_fail_next_can_target_a_method(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail_next(1, method="POST")
    assert api.get("/Accounts", params={"fields": "id"}).status_code == 204
    failed = api.post("/Accounts", json={"data": [{"Account_Name": "A"}]})
    assert failed.status_code == 500
    # A failed write was not applied.
    assert fake_zoho.count_records("Accounts") == 0
    with pytest.raises(ValueError, match="5xx"):
        fake_zoho.fail_next(1, status=400)


def test_dropped_write_closes_the_connection_without_a_response(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    fake_zoho.drop_next(1, method="POST", path="/crm/v8/Accounts")
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/Accounts", json={"data": [{"Account_Name": "A"}]})
    assert fake_zoho.count_records("Accounts") == 0
    assert fake_zoho.count("dropped") == 1
    # The next request gets a fresh connection and goes through.
    again = api.post("/Accounts", json={"data": [{"Account_Name": "A"}]})
    assert again.status_code == 201
    assert fake_zoho.count("write") == 2


def test_drop_after_processing_applies_the_write_then_hangs_up(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    fake_zoho.drop_next(1, path="/crm/v8/Accounts/upsert", after_processing=True)
    batch = {"data": [{"Account_Name": "A"}], "duplicate_check_fields": ["Account_Name"]}
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/Accounts/upsert", json=batch)
    assert fake_zoho.count_records("Accounts") == 1
    # Retrying an upsert is safe: it finds the record the lost response created.
    retry = api.post("/Accounts/upsert", json=batch)
    assert retry.json()["data"][0]["action"] == "update"
    assert fake_zoho.count_records("Accounts") == 1


def test_drop_applies_to_the_token_endpoint_too(fake_zoho: FakeZoho) -> None:
    fake_zoho.drop_next(1, path="/oauth/v2/token")
    with pytest.raises(httpx.RemoteProtocolError):
        _refresh(fake_zoho)
    assert _refresh(fake_zoho).startswith("1000.")


def test_throttle_next_is_a_429_storm(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    fake_zoho.seed("Accounts", 1)
    fake_zoho.throttle_next(3)
    # The accounts server is not part of the storm.
    assert _refresh(fake_zoho).startswith("1000.")
    for _ in range(3):
        refused = api.get("/Accounts", params={"fields": "id"})
        assert refused.status_code == 429
        assert refused.json()["code"] == "TOO_MANY_REQUESTS"
        assert "retry-after" not in refused.headers
    assert api.get("/Accounts", params={"fields": "id"}).status_code == 200
    assert fake_zoho.status_counts()[429] == 3


def test_clear_faults_disarms_everything(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    fake_zoho.throttle_next(5)
    fake_zoho.fail_next(5)
    fake_zoho.drop_next(5)
    fake_zoho.set_latency(1)
    fake_zoho.clear_faults()
    started = time.perf_counter()
    assert api.get("/Accounts", params={"fields": "id"}).status_code == 204
    assert time.perf_counter() - started < 1


def test_faults_fire_in_the_order_armed(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail_next(1)
    fake_zoho.throttle_next(1)
    assert api.get("/Accounts", params={"fields": "id"}).status_code == 500
    assert api.get("/Accounts", params={"fields": "id"}).status_code == 429
    assert api.get("/Accounts", params={"fields": "id"}).status_code == 204


def test_token_expiry_mid_read_then_refresh_resumes_the_walk(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    ids = fake_zoho.seed("Accounts", 450)
    first = api.get("/Accounts", params={"fields": "id"}).json()
    fake_zoho.expire_access_tokens()
    params = {"fields": "id", "page_token": first["info"]["next_page_token"]}
    expired = api.get("/Accounts", params=params)
    assert expired.status_code == 401
    assert expired.json()["code"] == "INVALID_TOKEN"
    api.headers["Authorization"] = f"Zoho-oauthtoken {_refresh(fake_zoho)}"
    seen = [r["id"] for r in first["data"]]
    while True:
        body = api.get("/Accounts", params=params).json()
        seen.extend(r["id"] for r in body["data"])
        if not body["info"]["more_records"]:
            break
        params = {"fields": "id", "page_token": body["info"]["next_page_token"]}
    assert sorted(seen) == sorted(ids)
    assert fake_zoho.count("token") == 1
