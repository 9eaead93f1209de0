"""End to end: ZohoProvider against the fake Zoho server over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import tenacity

from keyaccount.clock import FixedClock
from keyaccount.errors import DuplicateRemote, InvalidRemoteData, TransientProviderError
from keyaccount.plugins.zoho._retry import RetryPolicy
from keyaccount.plugins.zoho.mapping import customer_from_zoho
from keyaccount.plugins.zoho.provider import ZohoProvider
from keyaccount.testing.fake_zoho import FakeZoho


def connect(fake: FakeZoho, *, attempts: int = 4, **config: str) -> ZohoProvider:
    base = {
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "refresh_token": fake.refresh_token,
        "accounts_url": fake.base_url,
        "api_url": fake.base_url,
    }
    assert isinstance(fake.clock, FixedClock)
    return ZohoProvider.from_config(
        {**base, **config},
        clock=fake.clock,
        retry=RetryPolicy(max_attempts=attempts, wait=tenacity.wait_none()),
    )


@pytest.fixture
def zoho(fake_zoho: FakeZoho) -> Iterator[ZohoProvider]:
    provider = connect(fake_zoho)
    yield provider
    provider.close()


def test_5000_record_read_crosses_the_2000_cap(fake_zoho: FakeZoho, zoho: ZohoProvider) -> None:
    seeded = fake_zoho.seed("Accounts", 5000)
    fake_zoho.reset_counters()

    got = [r.remote_id for r in zoho.iter_changed("account")]

    assert sorted(got) == sorted(seeded)
    assert len(set(got)) == 5000
    counts = fake_zoho.counts()
    assert counts["list"] == 25  # ceil(5000 / 200): the minimum
    assert counts["token"] == 1
    assert fake_zoho.status_counts().get(400, 0) == 0  # never hit the page cap


def test_incremental_read_and_nothing_new(fake_zoho: FakeZoho, zoho: ZohoProvider) -> None:
    start = fake_zoho.clock.now() - timedelta(days=10)
    ids = fake_zoho.seed("Accounts", 10, start=start, step=timedelta(days=1))
    since = start + timedelta(days=7)
    got = [r.remote_id for r in zoho.iter_changed("account", since=since)]
    assert sorted(got) == sorted(ids[7:])
    assert all(r.modified_at is not None for r in zoho.iter_changed("account", since=since))
    assert list(zoho.iter_changed("account", since=fake_zoho.clock.now() + timedelta(days=1))) == []
    assert fake_zoho.status_counts().get(304) == 1


def test_207_batch_with_duplicate_and_missing_mandatory(
    fake_zoho: FakeZoho, zoho: ZohoProvider
) -> None:
    existing = fake_zoho.add_records(
        "Contacts", [{"Last_Name": "Chen", "Email": "mei@example.com"}]
    )

    results = zoho.create(
        "contact",
        [
            {"Last_Name": "Wang", "Email": "wang@example.com"},
            {"Last_Name": "Chen", "Email": "mei@example.com"},
            {"First_Name": "No", "Email": "nolast@example.com"},
            {"Last_Name": "Zhao"},
        ],
    )

    assert [r.index for r in results] == [0, 1, 2, 3]
    assert [r.ok for r in results] == [True, False, False, True]
    assert isinstance(results[1].error, DuplicateRemote)
    assert results[1].error.existing_id == existing[0]
    assert results[1].error.field == "Email"
    assert isinstance(results[2].error, InvalidRemoteData)
    assert results[2].error.field == "Last_Name"
    assert fake_zoho.status_counts().get(207) == 1
    assert fake_zoho.count_records("Contacts") == 3
    assert fake_zoho.record("Contacts", results[3].remote_id or "")["Last_Name"] == "Zhao"


def test_token_expiring_mid_read(fake_zoho: FakeZoho, zoho: ZohoProvider) -> None:
    fake_zoho.seed("Accounts", 600)
    records = zoho.iter_changed("account")
    first = [next(records) for _ in range(200)]
    assert fake_zoho.expire_access_tokens() >= 1
    rest = list(records)
    assert len({r.remote_id for r in first + rest}) == 600
    assert fake_zoho.count("token") == 2
    assert fake_zoho.status_counts().get(401) == 1


def test_429_storm(fake_zoho: FakeZoho) -> None:
    fake_zoho.seed("Accounts", 450)
    zoho = connect(fake_zoho, attempts=8)
    fake_zoho.throttle_next(6)
    got = list(zoho.iter_changed("account"))
    assert len(got) == 450
    assert fake_zoho.status_counts()[429] == 6
    assert zoho.client.stats["retry"] == 6
    zoho.close()


def test_429_storm_longer_than_the_retries_surfaces_as_rate_limited(fake_zoho: FakeZoho) -> None:
    from keyaccount.errors import RateLimited

    fake_zoho.seed("Accounts", 10)
    zoho = connect(fake_zoho, attempts=3)
    fake_zoho.throttle_next(10)
    with pytest.raises(RateLimited) as caught:
        list(zoho.iter_changed("account"))
    assert caught.value.retry_after is None  # Zoho gives no hint
    zoho.close()


def test_dropped_connection_during_upsert_is_retried_without_duplicates(
    fake_zoho: FakeZoho, zoho: ZohoProvider
) -> None:
    fake_zoho.drop_next(1, method="POST", path="/crm/v8/Accounts/upsert", after_processing=True)
    rows = [{"Account_Name": f"Retry Co {i}"} for i in range(150)]

    results = zoho.upsert("account", rows, match_on=["Account_Name"])

    assert all(r.ok for r in results)
    assert fake_zoho.count_records("Accounts") == 150
    assert fake_zoho.counts()["dropped"] == 1
    # The dropped batch was stored before the drop, so its retry found and updated it.
    assert sorted({r.action for r in results}) == ["insert", "update"]


def test_dropped_connection_during_insert_is_not_retried(
    fake_zoho: FakeZoho, zoho: ZohoProvider
) -> None:
    fake_zoho.drop_next(1, method="POST", path="/crm/v8/Accounts", after_processing=True)
    results = zoho.create("account", [{"Account_Name": "Once Only Ltd"}])
    assert isinstance(results[0].error, TransientProviderError)
    assert fake_zoho.count("write") == 1
    # Zoho did create it; a blind retry would have made a duplicate (or a DUPLICATE_DATA).
    assert fake_zoho.count_records("Accounts") == 1


def test_5xx_on_reads_is_retried(fake_zoho: FakeZoho, zoho: ZohoProvider) -> None:
    fake_zoho.seed("Accounts", 5)
    fake_zoho.fail_next(2, status=503)
    assert len(list(zoho.iter_changed("account"))) == 5


def test_writes_stay_within_the_concurrency_limit(fake_zoho: FakeZoho) -> None:
    zoho = connect(fake_zoho, max_concurrency="4")
    fake_zoho.set_latency(0.02)
    results = zoho.upsert("account", [{"Account_Name": f"Par {i}"} for i in range(1600)])
    assert all(r.ok for r in results)
    assert fake_zoho.count("write") == 16
    assert fake_zoho.peak_concurrency == 4
    assert fake_zoho.status_counts().get(429, 0) == 0
    zoho.close()


def test_update_get_delete_and_mapping(fake_zoho: FakeZoho, zoho: ZohoProvider) -> None:
    [rid] = fake_zoho.add_records("Accounts", [{"Account_Name": "Mapped Co", "Employees": 40}])
    zoho.update("account", [(rid, {"Industry": "Retail"})])
    record = zoho.get("account", rid)
    customer = customer_from_zoho(record.fields)
    assert customer.name == "Mapped Co"
    assert customer.industry == "Retail"
    assert customer.employees == 40
    assert customer.created_at.utcoffset() == timedelta(0)
    assert zoho.delete("account", [rid])[0].ok
    from keyaccount.errors import RemoteNotFound

    with pytest.raises(RemoteNotFound):
        zoho.get("account", rid)


def test_credit_header_from_the_fake_drives_pacing(fake_zoho: FakeZoho, zoho: ZohoProvider) -> None:
    fake_zoho.seed("Accounts", 5)
    fake_zoho.set_credits_used(98_000)  # of 100,000: past half, so Zoho reports what is left
    assert len(list(zoho.iter_changed("account"))) == 5
    governor = zoho.client.credits
    assert governor.remaining == fake_zoho.credits_remaining
    assert governor.remaining is not None
    assert governor.remaining < governor.slow_below
    assert governor.delay() == pytest.approx(
        governor.max_delay * (1 - governor.remaining / governor.slow_below)
    )


def test_self_client_credentials_against_the_fake(fake_zoho: FakeZoho) -> None:
    fake_zoho.seed("Accounts", 3)
    zoho = ZohoProvider.from_config(
        {
            "client_id": fake_zoho.client_id,
            "client_secret": fake_zoho.client_secret,
            "org_id": fake_zoho.org_id,
            "accounts_url": fake_zoho.base_url,
            "api_url": fake_zoho.base_url,
        },
        clock=fake_zoho.clock,
    )
    assert len(list(zoho.iter_changed("account"))) == 3
    assert fake_zoho.count("token") == 1
    zoho.close()


def test_grant_code_exchange_then_reads_and_a_reused_code_is_refused(
    fake_zoho: FakeZoho, tmp_path: Path
) -> None:
    from keyaccount.errors import ProviderAuthError
    from keyaccount.plugins.zoho._exceptions import AuthenticationError
    from keyaccount.plugins.zoho.auth import FileTokenStore, ZohoAuth

    fake_zoho.seed("Contacts", 2)
    store = FileTokenStore(tmp_path / "tokens.json")
    auth = ZohoAuth(
        client_id=fake_zoho.client_id,
        client_secret=fake_zoho.client_secret,
        accounts_url=fake_zoho.base_url,
        store=store,
        clock=fake_zoho.clock,
    )
    code = fake_zoho.issue_grant_code(redirect_uri="https://app.example/cb")
    auth.exchange_code(code, "https://app.example/cb")
    with pytest.raises(AuthenticationError) as reused:
        auth.exchange_code(code, "https://app.example/cb")
    assert reused.value.code == "invalid_code"
    auth.close()

    # A provider configured with nothing but the token file picks the refresh token up.
    zoho = ZohoProvider.from_config(
        {
            "client_id": fake_zoho.client_id,
            "client_secret": fake_zoho.client_secret,
            "token_file": str(tmp_path / "tokens.json"),
            "accounts_url": fake_zoho.base_url,
            "api_url": fake_zoho.base_url,
        },
        clock=fake_zoho.clock,
    )
    assert len(list(zoho.iter_changed("contact"))) == 2
    clock = fake_zoho.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(hours=2))
    assert len(list(zoho.iter_changed("contact"))) == 2  # refreshed with the stored token
    assert fake_zoho.count("token") == 3  # code, reused code, refresh
    zoho.close()
    bad = ZohoProvider.from_config(
        {
            "client_id": fake_zoho.client_id,
            "client_secret": "wrong",
            "refresh_token": fake_zoho.refresh_token,
            "accounts_url": fake_zoho.base_url,
            "api_url": fake_zoho.base_url,
        },
        clock=fake_zoho.clock,
    )
    with pytest.raises(ProviderAuthError):
        bad.get("contact", "1")
    bad.close()


def test_token_running_out_by_the_clock_mid_read_is_renewed_before_zoho_refuses_it(
    fake_zoho: FakeZoho, zoho: ZohoProvider
) -> None:
    fake_zoho.seed("Accounts", 600)
    clock = fake_zoho.clock
    assert isinstance(clock, FixedClock)
    records = zoho.iter_changed("account")
    first = [next(records) for _ in range(200)]
    clock.advance(timedelta(minutes=59, seconds=30))  # still valid for Zoho, not for long
    rest = list(records)
    assert len({r.remote_id for r in first + rest}) == 600
    assert fake_zoho.count("token") == 2
    assert fake_zoho.status_counts().get(401, 0) == 0  # renewed ahead of time, never refused
