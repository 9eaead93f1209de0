"""List and get on the fake, against zoho.md §2.2-§2.4."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from keyaccount.clock import FixedClock
from keyaccount.testing.fake_zoho import FakeZoho, custom_module


@pytest.fixture
def api(fake_zoho: FakeZoho) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Zoho-oauthtoken {fake_zoho.issue_access_token()}"}
    # Plain HTTP on loopback: skip loading a CA bundle (it costs ~0.2 s per client).
    with httpx.Client(
        base_url=fake_zoho.base_url + "/crm/v8", headers=headers, verify=False
    ) as client:
        yield client


def _read_all(api: httpx.Client, module: str, **extra: Any) -> tuple[list[dict[str, Any]], int]:
    """Stream every record with page_token; returns (records, calls)."""
    records: list[dict[str, Any]] = []
    params: dict[str, Any] = {"fields": "Account_Name", "per_page": 200, **extra}
    calls = 0
    while True:
        response = api.get(f"/{module}", params=params)
        calls += 1
        assert response.status_code == 200, response.text
        body = response.json()
        records.extend(body["data"])
        if not body["info"]["more_records"]:
            assert body["info"]["next_page_token"] is None
            return records, calls
        params = {
            "fields": "Account_Name",
            "per_page": 200,
            "page_token": body["info"]["next_page_token"],
        }


def test_fields_is_mandatory(api: httpx.Client) -> None:
    response = api.get("/Accounts")
    assert response.status_code == 400
    assert response.json()["code"] == "REQUIRED_PARAM_MISSING"
    assert response.json()["details"] == {"param_name": "fields"}


def test_at_most_fifty_fields(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    fake_zoho.seed("Accounts", 1)
    fifty = ",".join(f"Field_{i}" for i in range(50))
    assert api.get("/Accounts", params={"fields": fifty}).status_code == 200
    response = api.get("/Accounts", params={"fields": fifty + ",Field_50"})
    assert response.status_code == 400
    assert response.json()["code"] == "LIMIT_EXCEEDED"
    assert response.json()["details"] == {"param_name": "fields", "limit": 50}


def test_only_the_asked_fields_come_back_with_null_for_missing(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    fake_zoho.add_records("Accounts", [{"Account_Name": "Acme", "Phone": "021-1"}])
    body = api.get("/Accounts", params={"fields": "Account_Name,Website,Modified_Time"}).json()
    [record] = body["data"]
    assert set(record) == {"id", "Account_Name", "Website", "Modified_Time"}
    assert record["Account_Name"] == "Acme"
    assert record["Website"] is None
    assert record["id"].isdigit()


@pytest.mark.parametrize("per_page", ["201", "0", "-1", "abc"])
def test_per_page_must_be_between_one_and_two_hundred(api: httpx.Client, per_page: str) -> None:
    response = api.get("/Accounts", params={"fields": "id", "per_page": per_page})
    assert response.status_code == 400
    assert response.json()["details"]["param_name"] == "per_page"


def test_default_per_page_is_two_hundred(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    fake_zoho.seed("Accounts", 250)
    body = api.get("/Accounts", params={"fields": "id"}).json()
    assert len(body["data"]) == 200
    assert body["info"]["per_page"] == 200
    assert body["info"]["more_records"] is True


def test_empty_module_is_204_without_body(api: httpx.Client) -> None:
    response = api.get("/Accounts", params={"fields": "id"})
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers


def test_page_numbers_stop_at_two_thousand_records(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    fake_zoho.seed("Accounts", 2500)
    tenth = api.get("/Accounts", params={"fields": "id", "page": 10, "per_page": 200})
    assert tenth.status_code == 200
    assert tenth.json()["info"]["more_records"] is True
    response = api.get("/Accounts", params={"fields": "id", "page": 11, "per_page": 200})
    assert response.status_code == 400
    assert response.json() == {
        "code": "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
        "details": {"limit": 2000},
        "message": "You can only get the first 2000 records without using page_token param",
        "status": "error",
    }
    # The cap is on page × per_page, so a small page size hits it too.
    small = api.get("/Accounts", params={"fields": "id", "page": 21, "per_page": 100})
    assert small.json()["code"] == "DISCRETE_PAGINATION_LIMIT_EXCEEDED"


def test_page_numbers_walk_in_descending_id_order_by_default(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    ids = fake_zoho.seed("Accounts", 5)
    first = api.get("/Accounts", params={"fields": "id", "per_page": 2}).json()
    assert [r["id"] for r in first["data"]] == [ids[4], ids[3]]
    assert first["info"]["sort_by"] == "id"
    assert first["info"]["sort_order"] == "desc"
    assert first["info"]["page"] == 1
    third = api.get("/Accounts", params={"fields": "id", "per_page": 2, "page": 3}).json()
    assert [r["id"] for r in third["data"]] == [ids[0]]
    assert third["info"]["more_records"] is False
    beyond = api.get("/Accounts", params={"fields": "id", "per_page": 2, "page": 4})
    assert beyond.status_code == 204


def test_page_token_streams_five_thousand_records_past_the_cap(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    ids = fake_zoho.seed("Accounts", 5000)
    records, calls = _read_all(api, "Accounts")
    assert calls == 25
    assert len(records) == 5000
    assert {r["id"] for r in records} == set(ids)
    assert fake_zoho.count("list") == 25


def test_page_token_carries_an_expiry_and_a_page_count(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    fake_zoho.seed("Accounts", 450)
    first = api.get("/Accounts", params={"fields": "id"}).json()["info"]
    # The fixture's clock is 2026-06-30 09:00 UTC; tokens live 24 hours.
    assert first["page_token_expiry"] == "2026-07-01T14:30:00+05:30"
    second = api.get("/Accounts", params={"fields": "id", "page_token": first["next_page_token"]})
    info = second.json()["info"]
    assert info["page"] == 2
    assert info["more_records"] is True
    third = api.get("/Accounts", params={"fields": "id", "page_token": info["next_page_token"]})
    assert third.json()["info"]["count"] == 50
    assert third.json()["info"]["more_records"] is False


def test_page_token_survives_inserts_during_the_walk(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    ids = fake_zoho.seed("Accounts", 300)
    first = api.get("/Accounts", params={"fields": "id", "sort_order": "asc"}).json()
    fake_zoho.seed("Accounts", 10)
    rest = api.get(
        "/Accounts", params={"fields": "id", "page_token": first["info"]["next_page_token"]}
    ).json()
    seen = [r["id"] for r in first["data"] + rest["data"]]
    # Ascending by id: the walk continues where it stopped and then reaches the new records.
    assert seen[:300] == ids
    assert len(seen) == 310
    assert len(set(seen)) == 310


def test_page_and_page_token_cannot_be_combined(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    fake_zoho.seed("Accounts", 300)
    token = api.get("/Accounts", params={"fields": "id"}).json()["info"]["next_page_token"]
    response = api.get("/Accounts", params={"fields": "id", "page": 2, "page_token": token})
    assert response.status_code == 400
    assert response.json()["details"] == {"param_name": "page_token"}


def test_page_token_expires_after_a_day(
    api: httpx.Client, fake_zoho: FakeZoho, keyaccount_clock: FixedClock
) -> None:
    fake_zoho.seed("Accounts", 300)
    token = api.get("/Accounts", params={"fields": "id"}).json()["info"]["next_page_token"]
    keyaccount_clock.advance(timedelta(hours=24))
    # Keep the access token alive by issuing a new one after the jump.
    api.headers["Authorization"] = f"Zoho-oauthtoken {fake_zoho.issue_access_token()}"
    response = api.get("/Accounts", params={"fields": "id", "page_token": token})
    assert response.status_code == 400
    assert response.json()["message"] == "the page_token has expired"


def test_page_token_of_another_module_or_made_up_is_refused(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    fake_zoho.seed("Accounts", 300)
    token = api.get("/Accounts", params={"fields": "id"}).json()["info"]["next_page_token"]
    other = api.get("/Contacts", params={"fields": "id", "page_token": token})
    assert other.status_code == 400
    assert other.json()["message"] == "invalid page_token"
    assert api.get("/Accounts", params={"fields": "id", "page_token": "x"}).status_code == 400


def test_if_modified_since_filters_on_modified_time(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    start = datetime(2026, 6, 1, tzinfo=UTC)
    ids = fake_zoho.seed("Accounts", 10, start=start, step=timedelta(hours=1))
    # 2026-06-01 04:00 UTC written in +05:30: records modified strictly after it come back.
    response = api.get(
        "/Accounts",
        params={"fields": "Modified_Time", "sort_by": "Modified_Time", "sort_order": "asc"},
        headers={"If-Modified-Since": "2026-06-01T09:30:00+05:30"},
    )
    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body["data"]] == ids[5:]
    assert body["data"][0]["Modified_Time"] == "2026-06-01T10:30:00+05:30"


def test_if_modified_since_with_nothing_newer_is_304_without_body(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    fake_zoho.seed("Accounts", 3, start=datetime(2026, 6, 1, tzinfo=UTC))
    response = api.get(
        "/Accounts", params={"fields": "id"}, headers={"If-Modified-Since": "2026-06-01T00:00:00Z"}
    )
    assert response.status_code == 304
    assert response.content == b""


def test_if_modified_since_without_offset_is_refused(api: httpx.Client) -> None:
    response = api.get(
        "/Accounts", params={"fields": "id"}, headers={"If-Modified-Since": "2026-06-01T00:00:00"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_DATA"


def test_if_modified_since_survives_page_tokens(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    start = datetime(2026, 6, 1, tzinfo=UTC)
    fake_zoho.seed("Accounts", 500, start=start, step=timedelta(minutes=1))
    headers = {"If-Modified-Since": "2026-06-01T01:39:59+00:00"}
    first = api.get("/Accounts", params={"fields": "id"}, headers=headers).json()
    second = api.get(
        "/Accounts", params={"fields": "id", "page_token": first["info"]["next_page_token"]}
    ).json()
    # Records 100..499 are newer than 01:39:59; the token remembers the filter.
    assert len(first["data"]) + len(second["data"]) == 400
    assert second["info"]["more_records"] is False


def test_sort_by_modified_time(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    start = datetime(2026, 6, 1, tzinfo=UTC)
    ids = fake_zoho.seed("Accounts", 3, start=start, step=timedelta(minutes=-1))
    asc = api.get(
        "/Accounts", params={"fields": "id", "sort_by": "Modified_Time", "sort_order": "asc"}
    )
    assert [r["id"] for r in asc.json()["data"]] == ids[::-1]
    desc = api.get("/Accounts", params={"fields": "id", "sort_by": "Modified_Time"})
    assert [r["id"] for r in desc.json()["data"]] == ids
    bad = api.get("/Accounts", params={"fields": "id", "sort_by": "Account_Name"})
    assert bad.status_code == 400


def test_modified_time_descending_page_tokens_cover_every_record(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    start = datetime(2026, 6, 1, tzinfo=UTC)
    # Ten records share each second, so the (time, id) tie-break must hold across pages.
    ids = fake_zoho.seed("Accounts", 450)
    fake_zoho.seed("Accounts", 100, start=start, step=timedelta(seconds=1))
    records, calls = _read_all(api, "Accounts", sort_by="Modified_Time")
    assert calls == 3
    assert len({r["id"] for r in records}) == 550
    assert set(ids) <= {r["id"] for r in records}


def test_get_by_id_returns_every_field(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    [parent] = fake_zoho.add_records("Accounts", [{"Account_Name": "Parent Co"}])
    [child] = fake_zoho.add_records(
        "Accounts",
        [{"Account_Name": "Child Co", "Employees": 12, "Parent_Account": {"id": parent}}],
    )
    response = api.get(f"/Accounts/{child}")
    assert response.status_code == 200
    [record] = response.json()["data"]
    assert record["Account_Name"] == "Child Co"
    assert record["Employees"] == 12
    assert record["Parent_Account"] == {"name": "Parent Co", "id": parent}
    assert record["Owner"]["id"].isdigit()
    assert record["Created_Time"] == "2026-06-30T14:30:00+05:30"
    assert record["Created_By"]["name"]
    assert api.get("/Accounts").status_code == 400  # a list still needs fields
    assert fake_zoho.count("get") == 1


def test_get_with_fields_narrows_the_record(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    [record_id] = fake_zoho.seed("Accounts", 1)
    [record] = api.get(f"/Accounts/{record_id}", params={"fields": "Account_Name"}).json()["data"]
    assert set(record) == {"id", "Account_Name"}


def test_get_unknown_id_is_204(api: httpx.Client) -> None:
    response = api.get("/Accounts/5725767000000999999")
    assert response.status_code == 204
    assert response.content == b""


def test_contact_lookup_name_is_the_account_name(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    [account] = fake_zoho.add_records("Accounts", [{"Account_Name": "Acme"}])
    [contact] = fake_zoho.add_records(
        "Contacts",
        [{"First_Name": "Li", "Last_Name": "Wei", "Account_Name": {"id": account}}],
    )
    [record] = api.get(f"/Contacts/{contact}").json()["data"]
    assert record["Account_Name"] == {"name": "Acme", "id": account}


def test_every_standard_module_lists(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    for module in ("Accounts", "Contacts", "Deals", "Cases", "Tasks", "Calls", "Events", "Notes"):
        fake_zoho.seed(module, 3)
        body = api.get(f"/{module}", params={"fields": "id"}).json()
        assert body["info"]["count"] == 3, module


def test_custom_module_once_defined(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    assert api.get("/Projects", params={"fields": "Name"}).status_code == 400
    fake_zoho.define_module(custom_module("Projects"))
    fake_zoho.seed("Projects", 2)
    body = api.get("/Projects", params={"fields": "Name"}).json()
    assert sorted(r["Name"] for r in body["data"]) == [
        "Seed Projects 000001",
        "Seed Projects 000002",
    ]


def test_deleted_records_are_listed(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    ids = fake_zoho.seed("Accounts", 3)
    assert api.get("/Accounts/deleted").status_code == 204
    api.delete("/Accounts", params={"ids": ids[0]})
    body = api.get("/Accounts/deleted").json()
    assert [d["id"] for d in body["data"]] == [ids[0]]
    assert body["data"][0]["display_name"] == "Seed Account 000001"
    assert body["data"][0]["deleted_time"] == "2026-06-30T14:30:00+05:30"


def test_contact_full_name_is_derived(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    fake_zoho.add_records("Contacts", [{"First_Name": "Li", "Last_Name": "Wei", "Full_Name": "x"}])
    [record] = api.get("/Contacts", params={"fields": "Full_Name,Last_Name"}).json()["data"]
    assert record["Full_Name"] == "Li Wei"
    [stored] = fake_zoho.records("Contacts")
    assert stored["Full_Name"] == "Li Wei"


def test_records_hands_out_copies(fake_zoho: FakeZoho) -> None:
    [parent] = fake_zoho.seed("Accounts", 1)
    row = {"Account_Name": "Child", "Parent_Account": {"id": parent}}
    [child] = fake_zoho.add_records("Accounts", [row])
    row["Parent_Account"]["id"] = "0"
    record = fake_zoho.record("Accounts", child)
    assert record is not None
    record["Parent_Account"]["id"] = "1"
    again = fake_zoho.record("Accounts", child)
    assert again is not None
    assert again["Parent_Account"]["id"] == parent


def test_expired_page_tokens_are_forgotten(
    fake_zoho: FakeZoho, keyaccount_clock: FixedClock
) -> None:
    # Straight at the record store: a thousand HTTP round trips would only slow the suite.
    store = fake_zoho.store
    fake_zoho.seed("Accounts", 201)
    for _ in range(1000):
        assert store.list_page("Accounts", {"fields": "id"}, None).status == 200
    assert len(store._cursors) == 1000
    keyaccount_clock.advance(timedelta(hours=25))
    store.list_page("Accounts", {"fields": "id"}, None)
    assert len(store._cursors) == 1


def test_deleted_honours_if_modified_since(
    api: httpx.Client, fake_zoho: FakeZoho, keyaccount_clock: FixedClock
) -> None:
    ids = fake_zoho.seed("Accounts", 2)
    api.delete(f"/Accounts/{ids[0]}")
    keyaccount_clock.advance(timedelta(minutes=10))
    api.delete(f"/Accounts/{ids[1]}")
    newer = api.get("/Accounts/deleted", headers={"If-Modified-Since": "2026-06-30T09:05:00Z"})
    assert [d["id"] for d in newer.json()["data"]] == [ids[1]]
    none = api.get("/Accounts/deleted", headers={"If-Modified-Since": "2026-06-30T09:10:00Z"})
    assert none.status_code == 304
    bad = api.get("/Accounts/deleted", headers={"If-Modified-Since": "yesterday"})
    assert bad.status_code == 400
