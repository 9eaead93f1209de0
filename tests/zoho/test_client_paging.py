"""List reads: page → page_token at the 2,000 cap, 204/304, fields chunking, laziness."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from zoho_mock import API, ListServer, TokenServer, account_rows, build_client, router

from keyaccount.plugins.zoho._exceptions import ZohoAPIError

LIST_URL = f"{API}/crm/v8/Accounts"


def test_5000_records_cross_the_2000_cap_with_page_tokens() -> None:
    mock = router()
    server = ListServer(account_rows(5000))
    mock.get(LIST_URL).mock(side_effect=server)
    client = build_client(mock, tokens=TokenServer())

    ids = [r["id"] for r in client.iter_records("Accounts", ["Account_Name"])]

    assert ids == [r["id"] for r in server.records]
    assert len(server.requests) == 25  # ceil(5000 / 200): the minimum
    params = [r.url.params for r in server.requests]
    assert [p["page"] for p in params[:10]] == [str(i) for i in range(1, 11)]
    assert all("page_token" in p and "page" not in p for p in params[10:])
    assert all(p["per_page"] == "200" for p in params)


def test_exactly_2000_records_never_need_a_token() -> None:
    mock = router()
    server = ListServer(account_rows(2000))
    mock.get(LIST_URL).mock(side_effect=server)
    client = build_client(mock, tokens=TokenServer())
    assert sum(1 for _ in client.iter_records("Accounts", ["Account_Name"])) == 2000
    assert len(server.requests) == 10


def test_reads_are_lazy() -> None:
    mock = router()
    server = ListServer(account_rows(1000))
    mock.get(LIST_URL).mock(side_effect=server)
    client = build_client(mock, tokens=TokenServer())
    records = client.iter_records("Accounts", ["Account_Name"])
    first = [next(records) for _ in range(201)]
    assert len(first) == 201
    assert len(server.requests) == 2


def test_no_records_is_204_and_empty() -> None:
    mock = router()
    server = ListServer([])
    mock.get(LIST_URL).mock(side_effect=server)
    client = build_client(mock, tokens=TokenServer())
    assert list(client.iter_records("Accounts", ["Account_Name"])) == []
    assert len(server.requests) == 1


def test_if_modified_since_is_sent_with_offset_and_304_is_empty() -> None:
    mock = router()
    server = ListServer(account_rows(10))
    mock.get(LIST_URL).mock(side_effect=server)
    client = build_client(mock, tokens=TokenServer())
    since = datetime(2026, 7, 1, 1, 2, 3, 999, tzinfo=UTC)
    assert list(client.iter_records("Accounts", ["Account_Name"], modified_since=since)) == []
    assert server.requests[0].headers["If-Modified-Since"] == "2026-07-01T01:02:03+00:00"


def test_if_modified_since_filters() -> None:
    mock = router()
    server = ListServer(account_rows(28))
    mock.get(LIST_URL).mock(side_effect=server)
    client = build_client(mock, tokens=TokenServer())
    since = datetime(2026, 6, 20, 2, 0, tzinfo=UTC)  # 10:00+08:00 on the 20th
    got = list(client.iter_records("Accounts", ["Account_Name"], modified_since=since))
    assert [r["id"][-2:] for r in got] == [f"{i:02d}" for i in range(20, 28)]


def test_more_than_50_fields_are_chunked_and_merged() -> None:
    mock = router()
    server = ListServer(account_rows(450, extra_fields=120))
    mock.get(LIST_URL).mock(side_effect=server)
    client = build_client(mock, tokens=TokenServer())
    fields = ["Account_Name", *[f"Field_{f}__c" for f in range(120)]]

    got = list(client.iter_records("Accounts", fields))

    assert len(got) == 450
    assert got[7]["Field_119__c"] == "v7.119"
    assert got[449]["Account_Name"] == "Account 449"
    assert all(len(r) == 122 for r in got)  # id + 121 fields
    sizes = {len(r.url.params["fields"].split(",")) for r in server.requests}
    assert max(sizes) <= 50
    assert len(server.requests) == 3 * 3  # three field groups × ceil(450/200) pages


def test_records_missing_from_a_field_group_page_are_fetched_by_id() -> None:
    mock = router()
    rows = account_rows(5, extra_fields=60)
    server = ListServer(rows)

    def drop_one(request: httpx.Request, n: int) -> httpx.Response | None:
        # The second group's page lacks record 2, as if it moved while we read.
        if (
            "Field_59__c" in request.url.params.get("fields", "")
            and "ids" not in request.url.params
        ):
            fields = request.url.params["fields"].split(",")
            data = [ListServer._project(r, fields) for r in rows if r is not rows[2]]
            return httpx.Response(200, json={"data": data, "info": {"more_records": False}})
        return None

    server.before = drop_one
    mock.get(LIST_URL).mock(side_effect=server)
    client = build_client(mock, tokens=TokenServer())

    got = list(
        client.iter_records("Accounts", ["Account_Name", *[f"Field_{f}__c" for f in range(60)]])
    )

    assert got[2]["Field_59__c"] == "v2.59"
    assert [r.url.params.get("ids") for r in server.requests if "ids" in r.url.params] == [
        rows[2]["id"]
    ]


def test_more_records_past_the_cap_without_a_token_is_an_error() -> None:
    mock = router()
    pages = iter(range(1, 100))

    def endless(request: httpx.Request) -> httpx.Response:
        n = next(pages)
        data = [{"id": f"{n}-{i}"} for i in range(200)]
        return httpx.Response(200, json={"data": data, "info": {"more_records": True}})

    mock.get(LIST_URL).mock(side_effect=endless)
    client = build_client(mock, tokens=TokenServer())
    with pytest.raises(ZohoAPIError, match="no next_page_token"):
        list(client.iter_records("Accounts", ["Account_Name"]))


def test_per_page_outside_zoho_limits_is_refused() -> None:
    client = build_client(router(), tokens=TokenServer())
    with pytest.raises(ValueError, match="per_page"):
        next(client.iter_pages("Accounts", ["Account_Name"], per_page=201))


def test_get_one_record_and_204_is_not_found() -> None:
    from keyaccount.plugins.zoho._exceptions import NotFoundError

    mock = router()
    mock.get(f"{LIST_URL}/42").mock(
        return_value=httpx.Response(200, json={"data": [{"id": "42", "Account_Name": "A"}]})
    )
    mock.get(f"{LIST_URL}/43").mock(return_value=httpx.Response(204))
    client = build_client(mock, tokens=TokenServer())
    assert client.get("Accounts", "42")["Account_Name"] == "A"
    with pytest.raises(NotFoundError):
        client.get("Accounts", "43")


def test_field_groups_of_one_page_are_fetched_at_the_same_time() -> None:
    import threading

    mock = router()
    server = ListServer(account_rows(300, extra_fields=120))
    cond = threading.Condition()
    state = {"now": 0, "peak": 0}

    def overlap(request: httpx.Request, n: int) -> httpx.Response | None:
        with cond:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
            cond.notify_all()
            cond.wait_for(lambda: state["peak"] >= 3, timeout=2.0)
            state["now"] -= 1
        return None

    server.before = overlap
    mock.get(LIST_URL).mock(side_effect=server)
    client = build_client(mock, tokens=TokenServer())
    fields = ["Account_Name", *[f"Field_{f}__c" for f in range(120)]]
    got = list(client.iter_records("Accounts", fields))
    assert len(got) == 300
    assert state["peak"] == 3  # the three groups together, never more
