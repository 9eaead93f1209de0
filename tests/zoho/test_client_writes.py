"""Batch writes: ≤100 per call, per-record results in input order for 201/207/all-error."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import httpx
import pytest
from zoho_mock import API, TokenServer, build_client, router, sent_json, success, zoho_error

from keyaccount.plugins.zoho._exceptions import (
    BadRequestError,
    DuplicateDataError,
    InvalidDataError,
    NotFoundError,
    ZohoAPIError,
)
from keyaccount.plugins.zoho._json import dumps_exact, loads_exact

URL = f"{API}/crm/v8/Accounts"


def echo_success(request: httpx.Request) -> httpx.Response:
    data = sent_json(request)["data"]
    items = [success(f"id-{r['Account_Name']}") for r in data]
    return httpx.Response(201, json={"data": items})


def test_207_mixes_success_duplicate_and_mandatory_not_found_in_input_order() -> None:
    mock = router()
    mock.post(URL).mock(
        return_value=httpx.Response(
            207,
            json={
                "data": [
                    success("111"),
                    {
                        "code": "DUPLICATE_DATA",
                        "status": "error",
                        "message": "duplicate data",
                        "details": {
                            "api_name": "Account_Name",
                            "duplicate_record": {"id": "999", "module": {"api_name": "Accounts"}},
                        },
                    },
                    {
                        "code": "MANDATORY_NOT_FOUND",
                        "status": "error",
                        "message": "required field not found",
                        "details": {
                            "api_name": "Account_Name",
                            "json_path": "$.data[2].Account_Name",
                        },
                    },
                    success("114"),
                ]
            },
        )
    )
    client = build_client(mock, tokens=TokenServer())
    results = client.insert("Accounts", [{"Account_Name": n} for n in ("a", "b", "", "d")])

    assert [r.index for r in results] == [0, 1, 2, 3]
    assert [r.ok for r in results] == [True, False, False, True]
    assert results[0].id == "111"
    assert results[0].action == "insert"
    dup = results[1].error
    assert isinstance(dup, DuplicateDataError)
    assert dup.existing_id == "999"
    assert dup.field == "Account_Name"
    assert results[1].id is None  # 999 is the other record, not this one
    missing = results[2].error
    assert isinstance(missing, InvalidDataError)
    assert missing.field == "Account_Name"
    assert missing.code == "MANDATORY_NOT_FOUND"


def test_all_records_failing_as_400_still_gives_per_record_results() -> None:
    mock = router()
    item = {
        "code": "INVALID_DATA",
        "status": "error",
        "message": "invalid data",
        "details": {"api_name": "Employees", "expected_data_type": "integer"},
    }
    mock.post(URL).mock(return_value=httpx.Response(400, json={"data": [item, item]}))
    client = build_client(mock, tokens=TokenServer())
    results = client.insert("Accounts", [{"Employees": "x"}, {"Employees": "y"}])
    assert [type(r.error) for r in results] == [InvalidDataError, InvalidDataError]
    assert results[1].error is not None
    assert results[1].error.details["expected_data_type"] == "integer"


def test_request_level_400_raises() -> None:
    mock = router()
    mock.post(URL).mock(
        return_value=zoho_error(400, "INVALID_MODULE", "The module name given seems to be invalid")
    )
    client = build_client(mock, tokens=TokenServer())
    with pytest.raises(NotFoundError):
        client.insert("Accounts", [{"Account_Name": "a"}])
    mock.post(f"{API}/crm/v8/Deals").mock(return_value=httpx.Response(400, json={"code": "X"}))
    with pytest.raises(BadRequestError):
        client.insert("Deals", [{"Deal_Name": "a"}])


def test_250_records_go_in_three_batches_with_results_in_input_order() -> None:
    mock = router()
    sizes: list[int] = []
    lock = threading.Lock()

    def slow_first(request: httpx.Request) -> httpx.Response:
        data = sent_json(request)["data"]
        with lock:
            sizes.append(len(data))
        if data[0]["Account_Name"] == "0":
            time.sleep(0.05)  # the first batch finishes last
        return echo_success(request)

    mock.post(URL).mock(side_effect=slow_first)
    client = build_client(mock, tokens=TokenServer())
    results = client.insert("Accounts", [{"Account_Name": str(i)} for i in range(250)])

    assert sorted(sizes) == [50, 100, 100]
    assert [r.index for r in results] == list(range(250))
    assert [r.id for r in results] == [f"id-{i}" for i in range(250)]


def test_upsert_sends_duplicate_check_fields_and_reads_the_action() -> None:
    mock = router()
    route = mock.post(f"{URL}/upsert").mock(
        return_value=httpx.Response(
            200,
            json={
                "data": [
                    success("1", action="insert", duplicate_field=None),
                    success(
                        "2",
                        message="record updated",
                        action="update",
                        duplicate_field="Account_Name",
                    ),
                ]
            },
        )
    )
    client = build_client(mock, tokens=TokenServer())
    results = client.upsert(
        "Accounts",
        [{"Account_Name": "a"}, {"Account_Name": "b"}],
        duplicate_check_fields=["Account_Name"],
    )
    body = sent_json(route.calls.last.request)
    assert body["duplicate_check_fields"] == ["Account_Name"]
    assert [(r.action, r.duplicate_field) for r in results] == [
        ("insert", None),
        ("update", "Account_Name"),
    ]


def test_update_needs_ids_and_uses_put() -> None:
    mock = router()
    route = mock.put(URL).mock(
        return_value=httpx.Response(200, json={"data": [success("7", message="record updated")]})
    )
    client = build_client(mock, tokens=TokenServer())
    with pytest.raises(ValueError, match="no 'id'"):
        client.update("Accounts", [{"Account_Name": "x"}])
    results = client.update("Accounts", [{"id": "7", "Tier__c": "A"}])
    assert results[0].action == "update"
    assert results[0].id == "7"
    assert sent_json(route.calls.last.request)["data"] == [{"id": "7", "Tier__c": "A"}]


def test_delete_goes_100_ids_per_call_in_order() -> None:
    mock = router()
    seen: list[list[str]] = []

    def delete(request: httpx.Request) -> httpx.Response:
        ids = request.url.params["ids"].split(",")
        seen.append(ids)
        items = [
            success(i, message="record deleted")
            if i != "id-150"
            else {
                "code": "INVALID_DATA",
                "status": "error",
                "message": "the id given seems to be invalid",
                "details": {"id": i},
            }
            for i in ids
        ]
        return httpx.Response(200, json={"data": items})

    mock.delete(URL).mock(side_effect=delete)
    client = build_client(mock, tokens=TokenServer(), max_concurrency=1)
    results = client.delete("Accounts", [f"id-{i}" for i in range(230)])
    assert [len(s) for s in seen] == [100, 100, 30]
    assert [r.id for r in results if r.ok] == [f"id-{i}" for i in range(230) if i != 150]
    assert isinstance(results[150].error, NotFoundError)
    assert all(r.action == "delete" for r in results if r.ok)


def test_result_count_mismatch_marks_each_record_of_that_batch() -> None:
    mock = router()
    mock.post(URL).mock(return_value=httpx.Response(201, json={"data": [success("1")]}))
    client = build_client(mock, tokens=TokenServer())
    results = client.insert("Accounts", [{"Account_Name": "a"}, {"Account_Name": "b"}])
    assert all(isinstance(r.error, ZohoAPIError) for r in results)
    assert "1 results for a batch of 2" in str(results[0].error)


def test_decimals_are_sent_and_read_exactly() -> None:
    amount = Decimal("12345678901234567.89")
    text = dumps_exact({"data": [{"Annual_Revenue": amount, "Name": "@dec tricky"}]})
    assert b'"Annual_Revenue":12345678901234567.89' in text
    assert loads_exact(text)["data"][0]["Annual_Revenue"] == amount
    assert json.loads(dumps_exact([Decimal("-1E+3"), Decimal("0.10")])) == [-1000, 0.1]

    mock = router()
    route = mock.post(URL).mock(return_value=httpx.Response(201, json={"data": [success("1")]}))
    client = build_client(mock, tokens=TokenServer())
    client.insert("Accounts", [{"Annual_Revenue": amount}])
    assert b"12345678901234567.89" in route.calls.last.request.content
