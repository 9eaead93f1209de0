"""Insert, update, upsert and delete on the fake, against zoho.md §2.5-§2.7."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from keyaccount.clock import FixedClock
from keyaccount.testing.fake_zoho import FakeZoho, FieldSpec, custom_module


@pytest.fixture
def api(fake_zoho: FakeZoho) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Zoho-oauthtoken {fake_zoho.issue_access_token()}"}
    # Plain HTTP on loopback: skip loading a CA bundle (it costs ~0.2 s per client).
    with httpx.Client(
        base_url=fake_zoho.base_url + "/crm/v8", headers=headers, verify=False
    ) as client:
        yield client


def _accounts(n: int, prefix: str = "Acct") -> list[dict[str, Any]]:
    return [{"Account_Name": f"{prefix} {i}"} for i in range(n)]


def test_insert_all_ok_is_201_with_one_result_per_record(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    response = api.post("/Accounts", json={"data": _accounts(3), "trigger": []})
    assert response.status_code == 201
    data = response.json()["data"]
    assert [d["code"] for d in data] == ["SUCCESS"] * 3
    assert [d["message"] for d in data] == ["record added"] * 3
    assert all("action" not in d for d in data)
    details = data[0]["details"]
    assert details["id"].isdigit()
    assert details["Created_Time"] == details["Modified_Time"] == "2026-06-30T14:30:00+05:30"
    assert set(details["Created_By"]) == {"name", "id"}
    stored = fake_zoho.record("Accounts", details["id"])
    assert stored is not None
    assert stored["Account_Name"] == "Acct 0"


def test_mixed_batch_is_207_with_duplicate_and_mandatory_errors_in_order(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    [existing] = fake_zoho.add_records("Accounts", [{"Account_Name": "Acme"}])
    batch = [
        {"Account_Name": "New Co"},
        {"Account_Name": "ACME"},  # duplicate check ignores case
        {"Phone": "021-5555"},
        {"Account_Name": "Other Co"},
    ]
    response = api.post("/Accounts", json={"data": batch})
    assert response.status_code == 207
    data = response.json()["data"]
    assert [d["status"] for d in data] == ["success", "error", "error", "success"]
    duplicate = data[1]
    assert duplicate["code"] == "DUPLICATE_DATA"
    assert duplicate["message"] == "duplicate data"
    assert duplicate["details"]["api_name"] == "Account_Name"
    assert duplicate["details"]["json_path"] == "$.data[1].Account_Name"
    assert duplicate["details"]["duplicate_record"]["id"] == existing
    assert duplicate["details"]["duplicate_record"]["module"]["api_name"] == "Accounts"
    assert duplicate["details"]["duplicate_record"]["Owner"]["id"].isdigit()
    mandatory = data[2]
    assert mandatory == {
        "code": "MANDATORY_NOT_FOUND",
        "details": {"api_name": "Account_Name", "json_path": "$.data[2].Account_Name"},
        "message": "required field not found",
        "status": "error",
    }
    assert fake_zoho.count_records("Accounts") == 3


def test_duplicates_inside_one_batch_collide_too(api: httpx.Client) -> None:
    response = api.post("/Accounts", json={"data": [{"Account_Name": "A"}, {"Account_Name": "a"}]})
    assert response.status_code == 207
    assert response.json()["data"][1]["code"] == "DUPLICATE_DATA"


def test_all_failed_batch_is_400_with_per_record_errors(api: httpx.Client) -> None:
    response = api.post("/Contacts", json={"data": [{"First_Name": "A"}, {"Email": "b@x.test"}]})
    assert response.status_code == 400
    assert [d["code"] for d in response.json()["data"]] == ["MANDATORY_NOT_FOUND"] * 2


@pytest.mark.parametrize("path", ["/Accounts", "/Accounts/upsert"])
def test_more_than_one_hundred_records_is_refused_whole(
    api: httpx.Client, fake_zoho: FakeZoho, path: str
) -> None:
    assert api.post(path, json={"data": _accounts(100)}).status_code == 201
    response = api.post(path, json={"data": _accounts(101, "Other")})
    assert response.status_code == 400
    assert response.json()["code"] == "LIMIT_EXCEEDED"
    assert response.json()["details"] == {"limit": 100}
    assert fake_zoho.count_records("Accounts") == 100


def test_update_more_than_one_hundred_is_refused(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    ids = fake_zoho.seed("Accounts", 101)
    response = api.put("/Accounts", json={"data": [{"id": i, "Phone": "1"} for i in ids]})
    assert response.status_code == 400
    assert response.json()["code"] == "LIMIT_EXCEEDED"


@pytest.mark.parametrize(
    ("record", "details"),
    [
        (
            {"Account_Name": "A", "Employees": "twelve"},
            {"api_name": "Employees", "expected_data_type": "integer"},
        ),
        (
            {"Account_Name": "A", "Employees": True},
            {"api_name": "Employees", "expected_data_type": "integer"},
        ),
        (
            {"Account_Name": "A", "Annual_Revenue": "1,000"},
            {"api_name": "Annual_Revenue", "expected_data_type": "currency"},
        ),
        ({"Account_Name": "x" * 201}, {"api_name": "Account_Name", "maximum_length": 200}),
        (
            {"Account_Name": "A", "Parent_Account": {"id": "5725767000000999999"}},
            {"api_name": "Parent_Account", "expected_data_type": "lookup"},
        ),
        (
            {"Account_Name": "A", "Parent_Account": "not-an-id"},
            {"api_name": "Parent_Account", "expected_data_type": "lookup"},
        ),
    ],
)
def test_invalid_data_names_the_field(
    api: httpx.Client, record: dict[str, Any], details: dict[str, Any]
) -> None:
    response = api.post("/Accounts", json={"data": [record]})
    assert response.status_code == 400
    [item] = response.json()["data"]
    assert item["code"] == "INVALID_DATA"
    assert item["details"] == {**details, "json_path": f"$.data[0].{details['api_name']}"}


@pytest.mark.parametrize(
    ("module", "record", "field"),
    [
        ("Deals", {"Deal_Name": "D", "Stage": "Won", "Closing_Date": "30/06/2026"}, "Closing_Date"),
        (
            "Calls",
            {"Subject": "S", "Call_Type": "Outbound", "Call_Start_Time": "2026-06-30 10:00"},
            "Call_Start_Time",
        ),
        ("Contacts", {"Last_Name": "L", "Email": "not-an-email"}, "Email"),
        (
            "Events",
            {"Event_Title": "E", "Start_DateTime": "x", "End_DateTime": "y"},
            "Start_DateTime",
        ),
    ],
)
def test_dates_datetimes_and_emails_are_checked(
    api: httpx.Client, module: str, record: dict[str, Any], field: str
) -> None:
    [item] = api.post(f"/{module}", json={"data": [record]}).json()["data"]
    assert item["code"] == "INVALID_DATA"
    assert item["details"]["api_name"] == field


def test_well_formed_typed_values_are_accepted(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    [account] = fake_zoho.seed("Accounts", 1)
    response = api.post(
        "/Deals",
        json={
            "data": [
                {
                    "Deal_Name": "Big deal",
                    "Stage": "Closed Won",
                    "Closing_Date": "2026-06-30",
                    "Amount": 1234567.89,
                    "Account_Name": {"id": account},
                    "Custom_Tier__c": "A",
                }
            ]
        },
    )
    assert response.status_code == 201
    [deal] = fake_zoho.records("Deals")
    assert deal["Amount"] == 1234567.89
    assert deal["Custom_Tier__c"] == "A"
    assert deal["Account_Name"] == {"name": "Seed Account 000001", "id": account}


def test_system_fields_in_a_write_are_ignored(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    response = api.post(
        "/Accounts",
        json={"data": [{"Account_Name": "A", "id": "1", "Modified_Time": "2000-01-01T00:00:00Z"}]},
    )
    new_id = response.json()["data"][0]["details"]["id"]
    assert new_id != "1"
    record = fake_zoho.record("Accounts", new_id)
    assert record is not None
    assert record["Modified_Time"] == "2026-06-30T14:30:00+05:30"


def test_update_is_200_and_moves_modified_time(
    api: httpx.Client, fake_zoho: FakeZoho, keyaccount_clock: FixedClock
) -> None:
    ids = fake_zoho.seed("Accounts", 2)
    keyaccount_clock.advance(timedelta(minutes=5))
    response = api.put(
        "/Accounts", json={"data": [{"id": ids[0], "Phone": "1"}, {"id": ids[1], "Phone": "2"}]}
    )
    assert response.status_code == 200
    assert [d["message"] for d in response.json()["data"]] == ["record updated"] * 2
    record = fake_zoho.record("Accounts", ids[0])
    assert record is not None
    assert record["Phone"] == "1"
    assert record["Account_Name"] == "Seed Account 000001"
    assert record["Modified_Time"] == "2026-06-30T14:35:00+05:30"
    assert record["Created_Time"] == "2026-06-30T14:30:00+05:30"


def test_update_needs_a_known_id(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    [record_id] = fake_zoho.seed("Accounts", 1)
    response = api.put(
        "/Accounts",
        json={
            "data": [{"Phone": "1"}, {"id": "5725767000000999999", "Phone": "2"}, {"id": record_id}]
        },
    )
    assert response.status_code == 207
    missing, unknown, ok = response.json()["data"]
    assert missing["code"] == "MANDATORY_NOT_FOUND"
    assert missing["details"]["api_name"] == "id"
    assert unknown["code"] == "INVALID_DATA"
    assert unknown["message"] == "the id given seems to be invalid"
    assert ok["status"] == "success"


def test_update_cannot_blank_a_mandatory_field_or_steal_a_unique_value(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    a, b = fake_zoho.add_records("Accounts", [{"Account_Name": "A"}, {"Account_Name": "B"}])
    response = api.put(
        "/Accounts",
        json={"data": [{"id": a, "Account_Name": ""}, {"id": b, "Account_Name": "a"}]},
    )
    assert [d["code"] for d in response.json()["data"]] == ["MANDATORY_NOT_FOUND", "DUPLICATE_DATA"]
    # Re-saving a record's own unique value is no duplicate.
    same = api.put("/Accounts", json={"data": [{"id": a, "Account_Name": "A"}]})
    assert same.status_code == 200


def test_update_one_by_path(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    [record_id] = fake_zoho.seed("Accounts", 1)
    response = api.put(f"/Accounts/{record_id}", json={"data": [{"Website": "https://a.example"}]})
    assert response.status_code == 200
    record = fake_zoho.record("Accounts", record_id)
    assert record is not None
    assert record["Website"] == "https://a.example"
    two = api.put(f"/Accounts/{record_id}", json={"data": [{}, {}]})
    assert two.status_code == 400


def test_upsert_reports_insert_or_update_and_the_duplicate_field(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    [existing] = fake_zoho.add_records("Contacts", [{"Last_Name": "Wang", "Email": "w@x.test"}])
    response = api.post(
        "/Contacts/upsert",
        json={
            "data": [
                {"Last_Name": "Wang", "Email": "W@X.test", "Title": "CFO"},
                {"Last_Name": "Zhao", "Email": "z@x.test"},
            ],
            "duplicate_check_fields": ["Email"],
        },
    )
    assert response.status_code == 201
    update, insert = response.json()["data"]
    assert update["action"] == "update"
    assert update["duplicate_field"] == "Email"
    assert update["details"]["id"] == existing
    assert update["message"] == "record updated"
    assert insert["action"] == "insert"
    assert insert["duplicate_field"] is None
    assert insert["message"] == "record added"
    record = fake_zoho.record("Contacts", existing)
    assert record is not None
    assert record["Title"] == "CFO"
    assert fake_zoho.count_records("Contacts") == 2


def test_upsert_is_idempotent_when_repeated(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    batch = {"data": _accounts(5), "duplicate_check_fields": ["Account_Name"]}
    first = api.post("/Accounts/upsert", json=batch).json()["data"]
    second = api.post("/Accounts/upsert", json=batch).json()["data"]
    assert [d["action"] for d in first] == ["insert"] * 5
    assert [d["action"] for d in second] == ["update"] * 5
    assert [d["details"]["id"] for d in first] == [d["details"]["id"] for d in second]
    assert fake_zoho.count_records("Accounts") == 5


def test_upsert_uses_the_module_default_duplicate_fields(
    api: httpx.Client, fake_zoho: FakeZoho
) -> None:
    fake_zoho.add_records("Accounts", [{"Account_Name": "Acme"}])
    [item] = api.post("/Accounts/upsert", json={"data": [{"Account_Name": "Acme"}]}).json()["data"]
    assert item["action"] == "update"
    assert item["duplicate_field"] == "Account_Name"


def test_upsert_checks_fields_in_the_order_given(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    fake_zoho.define_module(
        custom_module(
            "Projects",
            fields={"Code": FieldSpec("Code", "text", 20)},
            duplicate_check=("Name",),
        )
    )
    by_code, by_name = fake_zoho.add_records(
        "Projects", [{"Name": "Alpha", "Code": "P-1"}, {"Name": "Beta", "Code": "P-2"}]
    )
    [item] = api.post(
        "/Projects/upsert",
        json={
            "data": [{"Name": "Beta", "Code": "P-1"}],
            "duplicate_check_fields": ["Code", "Name"],
        },
    ).json()["data"]
    assert item["duplicate_field"] == "Code"
    assert item["details"]["id"] == by_code
    assert by_name != by_code


def test_upsert_with_bad_duplicate_check_fields_is_refused(api: httpx.Client) -> None:
    response = api.post(
        "/Accounts/upsert", json={"data": _accounts(1), "duplicate_check_fields": "Account_Name"}
    )
    assert response.status_code == 400
    assert response.json()["details"] == {"api_name": "duplicate_check_fields"}


def test_upsert_insert_still_needs_mandatory_fields(api: httpx.Client) -> None:
    response = api.post(
        "/Contacts/upsert",
        json={"data": [{"Email": "new@x.test"}], "duplicate_check_fields": ["Email"]},
    )
    assert response.status_code == 400
    assert response.json()["data"][0]["code"] == "MANDATORY_NOT_FOUND"


@pytest.mark.parametrize(
    "body", [b"not json", b'{"data": {}}', b"[]", b'{"data": []}', b'{"rows": [{}]}']
)
def test_malformed_bodies_are_request_errors(api: httpx.Client, body: bytes) -> None:
    response = api.post("/Accounts", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["status"] == "error"
    assert "data" not in response.json()


def test_non_object_record_is_a_per_record_error(api: httpx.Client) -> None:
    response = api.post("/Accounts", json={"data": [{"Account_Name": "A"}, "B"]})
    assert response.status_code == 207
    assert response.json()["data"][1]["details"]["expected_data_type"] == "jsonobject"


def test_delete_by_ids_reports_each_id(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    ids = fake_zoho.seed("Accounts", 3)
    response = api.delete("/Accounts", params={"ids": f"{ids[0]},5725767000000999999,{ids[2]}"})
    assert response.status_code == 207
    ok, bad, ok2 = response.json()["data"]
    assert ok == {
        "code": "SUCCESS",
        "details": {"id": ids[0]},
        "message": "record deleted",
        "status": "success",
    }
    assert bad["code"] == "INVALID_DATA"
    assert ok2["details"]["id"] == ids[2]
    assert [r["id"] for r in fake_zoho.records("Accounts")] == [ids[1]]
    all_ok = api.delete("/Accounts", params={"ids": ids[1]})
    assert all_ok.status_code == 200


def test_delete_at_most_one_hundred_ids(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    ids = fake_zoho.seed("Accounts", 101)
    response = api.delete("/Accounts", params={"ids": ",".join(ids)})
    assert response.status_code == 400
    assert response.json()["code"] == "LIMIT_EXCEEDED"
    assert fake_zoho.count_records("Accounts") == 101
    assert api.delete("/Accounts", params={"ids": ",".join(ids[:100])}).status_code == 200
    assert api.delete("/Accounts").json()["code"] == "REQUIRED_PARAM_MISSING"


def test_delete_one_by_path(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    [record_id] = fake_zoho.seed("Accounts", 1)
    assert api.delete(f"/Accounts/{record_id}").status_code == 200
    assert api.delete(f"/Accounts/{record_id}").status_code == 400
    assert fake_zoho.count_records("Accounts") == 0


def test_deleted_unique_value_can_be_reused(api: httpx.Client, fake_zoho: FakeZoho) -> None:
    [record_id] = fake_zoho.add_records("Accounts", [{"Account_Name": "Acme"}])
    assert (
        api.post("/Accounts/upsert", json={"data": [{"Account_Name": "Acme"}]}).status_code == 201
    )
    api.delete(f"/Accounts/{record_id}")
    again = api.post("/Accounts", json={"data": [{"Account_Name": "Acme"}]})
    assert again.status_code == 201


def test_seed_rejects_rows_a_real_insert_would_reject(fake_zoho: FakeZoho) -> None:
    with pytest.raises(ValueError, match="MANDATORY_NOT_FOUND"):
        fake_zoho.add_records("Accounts", [{"Phone": "1"}])
    with pytest.raises(ValueError, match="unknown module"):
        fake_zoho.seed("Nope", 1)
    with pytest.raises(ValueError, match="data_type"):
        custom_module("Bad", fields={"X": FieldSpec("X", "blob")})
