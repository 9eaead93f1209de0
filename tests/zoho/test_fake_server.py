"""The fake Zoho as a server: lifecycle, routing, the fixture, counters."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from keyaccount.clock import FixedClock
from keyaccount.testing.fake_zoho import FakeZoho


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Zoho-oauthtoken {token}"}


def test_start_stop_from_code_frees_the_port() -> None:
    fake = FakeZoho().start()
    assert fake.running
    port = int(fake.base_url.rsplit(":", 1)[1])
    assert port > 0
    fake.stop()
    assert not fake.running
    with pytest.raises(RuntimeError, match="not running"):
        _ = fake.base_url
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_context_manager_serves_and_stops() -> None:
    with FakeZoho() as fake:
        url = fake.base_url
        token = fake.issue_access_token()
        response = httpx.get(
            url + "/crm/v8/Accounts", params={"fields": "Account_Name"}, headers=_auth(token)
        )
        assert response.status_code == 204
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/crm/v8/Accounts", timeout=1)


def test_stop_closes_idle_keep_alive_connections() -> None:
    fake = FakeZoho().start()
    token = fake.issue_access_token()
    client = httpx.Client(base_url=fake.base_url, headers=_auth(token))
    assert client.get("/crm/v8/Accounts", params={"fields": "Account_Name"}).status_code == 204
    fake.stop()
    with pytest.raises(httpx.TransportError):
        client.get("/crm/v8/Accounts", params={"fields": "Account_Name"}, timeout=1)
    client.close()


def test_fixture_is_running_and_uses_the_fixed_clock(
    fake_zoho: FakeZoho, keyaccount_clock: FixedClock
) -> None:
    assert fake_zoho.running
    assert fake_zoho.clock is keyaccount_clock
    [record_id] = fake_zoho.seed("Accounts", 1)
    record = fake_zoho.record("Accounts", record_id)
    assert record is not None
    # 2026-06-30 09:00 UTC rendered in the org's +05:30 zone.
    assert record["Modified_Time"] == "2026-06-30T14:30:00+05:30"


def test_api_domain_and_accounts_url_are_the_fake_itself(fake_zoho: FakeZoho) -> None:
    assert fake_zoho.api_domain == fake_zoho.base_url == fake_zoho.accounts_url
    assert fake_zoho.token_url == fake_zoho.base_url + "/oauth/v2/token"
    assert fake_zoho.base_url.startswith("http://127.0.0.1:")


def test_repr_holds_no_secret(fake_zoho: FakeZoho) -> None:
    text = repr(fake_zoho)
    assert fake_zoho.client_secret not in text
    assert fake_zoho.refresh_token not in text


def test_unknown_path_is_invalid_url_pattern(fake_zoho: FakeZoho) -> None:
    response = httpx.get(fake_zoho.base_url + "/crm/v2/Accounts")
    assert response.status_code == 404
    assert response.json()["code"] == "INVALID_URL_PATTERN"
    assert fake_zoho.count("other") == 1


def test_wrong_method_is_invalid_request_method(fake_zoho: FakeZoho) -> None:
    token = fake_zoho.issue_access_token()
    response = httpx.patch(
        fake_zoho.base_url + "/crm/v8/Accounts", headers=_auth(token), json={"data": []}
    )
    assert response.status_code == 405
    assert response.json()["code"] == "INVALID_REQUEST_METHOD"
    upsert_get = httpx.get(fake_zoho.base_url + "/crm/v8/Accounts/upsert", headers=_auth(token))
    assert upsert_get.status_code == 405


def test_unknown_module_is_invalid_module(fake_zoho: FakeZoho) -> None:
    token = fake_zoho.issue_access_token()
    response = httpx.get(
        fake_zoho.base_url + "/crm/v8/Leadz",
        params={"fields": "Last_Name"},
        headers=_auth(token),
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "INVALID_MODULE",
        "details": {},
        "message": "The module name given seems to be invalid",
        "status": "error",
    }


def test_counters_count_each_kind_of_call(fake_zoho: FakeZoho) -> None:
    ids = fake_zoho.seed("Accounts", 3)
    base = fake_zoho.base_url
    token_response = httpx.post(
        fake_zoho.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": fake_zoho.refresh_token,
            "client_id": fake_zoho.client_id,
            "client_secret": fake_zoho.client_secret,
        },
    )
    headers = _auth(token_response.json()["access_token"])
    with httpx.Client(base_url=base, headers=headers) as client:
        client.get("/crm/v8/Accounts", params={"fields": "Account_Name"})
        client.get(f"/crm/v8/Accounts/{ids[0]}")
        client.post(
            "/crm/v8/Accounts", json={"data": [{"Account_Name": "A"}, {"Account_Name": "B"}]}
        )
        client.post("/crm/v8/Accounts/upsert", json={"data": [{"Account_Name": "A"}]})
        client.put("/crm/v8/Accounts", json={"data": [{"id": ids[1], "Phone": "1"}]})
        client.delete("/crm/v8/Accounts", params={"ids": ids[2]})
    counts = fake_zoho.counts()
    assert counts["token"] == 1
    assert counts["list"] == 1
    assert counts["get"] == 1
    assert counts["write"] == 3
    assert counts["delete"] == 1
    assert counts["api"] == 6
    assert counts["records_written"] == 4
    assert fake_zoho.status_counts() == {200: 5, 201: 2}
    fake_zoho.reset_counters()
    assert fake_zoho.count("api") == 0


def test_constructor_rejects_bad_limits() -> None:
    with pytest.raises(ValueError, match="scope_mismatch_status"):
        FakeZoho(scope_mismatch_status=400)
    with pytest.raises(ValueError, match="concurrency_limit"):
        FakeZoho(concurrency_limit=0)
    with pytest.raises(ValueError, match="credit_limit"):
        FakeZoho(credit_limit=0)


def test_records_written_counts_only_stored_records(fake_zoho: FakeZoho) -> None:
    headers = _auth(fake_zoho.issue_access_token())
    with httpx.Client(base_url=fake_zoho.base_url, headers=headers, verify=False) as client:
        mixed = client.post(
            "/crm/v8/Accounts", json={"data": [{"Account_Name": "A"}, {"Phone": "1"}]}
        )
        assert mixed.status_code == 207
        failed = client.post("/crm/v8/Accounts", json={"data": [{"Phone": "1"}]})
        assert failed.status_code == 400
    assert fake_zoho.count("records_written") == 1
    assert fake_zoho.count("write") == 2


def test_count_names_the_known_kinds(fake_zoho: FakeZoho) -> None:
    with pytest.raises(ValueError, match="writes"):
        fake_zoho.count("writes")


def test_stop_during_a_slow_call_does_not_hang() -> None:
    fake = FakeZoho().start()
    fake.set_latency(0.5)
    token = fake.issue_access_token()
    result: list[BaseException | int] = []

    def call() -> None:
        try:
            response = httpx.get(
                fake.base_url + "/crm/v8/Accounts",
                params={"fields": "id"},
                headers=_auth(token),
                timeout=5,
            )
            result.append(response.status_code)
        except httpx.TransportError as exc:
            result.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    deadline = time.monotonic() + 5
    while fake.peak_concurrency < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    fake.stop()
    worker.join()
    assert time.monotonic() - started < 2
    # The in-flight call is cut off (or, at worst, finishes); it never hangs the test.
    assert len(result) == 1


def test_request_log_keeps_what_was_asked_without_secrets(fake_zoho: FakeZoho) -> None:
    fake_zoho.seed("Accounts", 1)
    token_params = {
        "grant_type": "refresh_token",
        "refresh_token": fake_zoho.refresh_token,
        "client_id": fake_zoho.client_id,
        "client_secret": fake_zoho.client_secret,
    }
    with httpx.Client(base_url=fake_zoho.base_url, verify=False) as client:
        token = client.post("/oauth/v2/token", params=token_params).json()["access_token"]
        client.headers["Authorization"] = f"Zoho-oauthtoken {token}"
        client.get(
            "/crm/v8/Accounts",
            params={"fields": "Account_Name", "per_page": 50},
            headers={"If-Modified-Since": "2026-01-01T00:00:00+08:00"},
        )
        client.post("/crm/v8/Accounts/upsert", json={"data": [{"Account_Name": "A"}] * 2})
        fake_zoho.drop_next(1)
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(f"/crm/v8/Accounts/{fake_zoho.records('Accounts')[0]['id']}")
    token_call, listing, upsert, dropped = fake_zoho.requests()
    assert (token_call.method, token_call.path, token_call.params) == (
        "POST",
        "/oauth/v2/token",
        {},
    )
    assert token_call.status == 200
    assert listing.params == {"fields": "Account_Name", "per_page": "50"}
    assert listing.if_modified_since == "2026-01-01T00:00:00+08:00"
    assert listing.status == 200
    assert (upsert.path, upsert.records, upsert.status) == ("/crm/v8/Accounts/upsert", 2, 201)
    assert dropped.status is None
    text = repr(fake_zoho.requests())
    for secret in (fake_zoho.refresh_token, fake_zoho.client_secret, token):
        assert secret not in text
    fake_zoho.reset_counters()
    assert fake_zoho.requests() == []
