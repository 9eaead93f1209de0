"""Zoho records → keyaccount models, exactly: offsets, lookups, currency, picklists."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from keyaccount.errors import ValidationError
from keyaccount.models import Channel, ComplaintStatus, Severity
from keyaccount.money import Money
from keyaccount.plugins.zoho._json import loads_exact
from keyaccount.plugins.zoho.mapping import (
    FieldMap,
    complaint_from_zoho,
    contact_from_zoho,
    customer_from_zoho,
    default_fields,
    interaction_from_zoho,
    parse_datetime,
    transaction_from_zoho,
)

ACCOUNT = loads_exact(
    b"""{
  "id": "3388926000000166021",
  "Account_Name": "Shanghai Precision Parts",
  "Industry": "Manufacturing",
  "Employees": 1200,
  "Annual_Revenue": 98765432.10,
  "Currency": "CNY",
  "Billing_State": "Shanghai",
  "Tag": [{"name": "strategic", "id": "1"}, {"name": "export", "id": "2"}],
  "Owner": {"name": "Li Wei", "id": "3388926000000101001", "email": "li@example.com"},
  "Created_Time": "2025-03-01T09:30:00+08:00",
  "Modified_Time": "2026-06-29T23:15:00+05:30",
  "Customer_Tier": "A",
  "USCC__c": "91350100M000100Y43"
}"""
)


def test_account_to_customer() -> None:
    customer = customer_from_zoho(ACCOUNT)
    assert customer.id == "cus_zoho3388926000000166021"
    assert customer.name == "Shanghai Precision Parts"
    assert customer.created_at == datetime(2025, 3, 1, 1, 30, tzinfo=UTC)
    assert customer.annual_revenue == Money(Decimal("98765432.10"), "CNY")
    assert customer.employees == 1200
    assert customer.region == "Shanghai"
    assert customer.tags == ("strategic", "export")
    assert customer.owner_id == "usr_zoho3388926000000101001"
    assert customer.external_refs == {"zoho": "3388926000000166021"}
    assert customer.tier is None  # no tier field in the default map


def test_per_org_overrides_name_custom_fields() -> None:
    fmap = FieldMap().with_overrides(
        {"account_tier": "Customer_Tier", "account_credit_code": "USCC__c", "account_region": ""}
    )
    customer = customer_from_zoho(ACCOUNT, fmap)
    assert customer.tier == "A"
    assert customer.credit_code == "91350100M000100Y43"
    assert customer.region is None
    assert "Customer_Tier" in default_fields("account", fmap)
    assert "Billing_State" not in default_fields("account", fmap)


def test_override_errors_name_the_key() -> None:
    with pytest.raises(ValidationError, match=r"zoho\.fields\.acount_tier"):
        FieldMap().with_overrides({"acount_tier": "X"})
    with pytest.raises(ValidationError, match=r"zoho\.fields\.case_severities\.Urgent"):
        FieldMap().with_overrides({"case_severities.Urgent": "extreme"})
    with pytest.raises(ValidationError, match="cannot be unmapped"):
        FieldMap().with_overrides({"account_name": ""})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-10-25T11:56:25+05:30", datetime(2018, 10, 25, 6, 26, 25, tzinfo=UTC)),
        ("2018-10-25T11:56:25-07:00", datetime(2018, 10, 25, 18, 56, 25, tzinfo=UTC)),
        ("2018-10-25T11:56:25Z", datetime(2018, 10, 25, 11, 56, 25, tzinfo=UTC)),
        (None, None),
    ],
)
def test_datetimes_with_any_offset_become_utc(text: str | None, expected: datetime | None) -> None:
    got = parse_datetime(text, "Accounts.Modified_Time")
    assert got == expected
    if got is not None:
        assert got.tzinfo is UTC


def test_naive_or_garbled_datetimes_are_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match=r"Accounts\.Created_Time.*no UTC offset"):
        customer_from_zoho({**ACCOUNT, "Created_Time": "2025-03-01T09:30:00"})
    with pytest.raises(ValidationError, match=r"Accounts\.Created_Time.*'yesterday'"):
        customer_from_zoho({**ACCOUNT, "Created_Time": "yesterday"})


def test_amount_without_currency_uses_home_currency_or_fails() -> None:
    single = {k: v for k, v in ACCOUNT.items() if k != "Currency"}
    with pytest.raises(ValidationError, match="Annual_Revenue"):
        customer_from_zoho(single)
    assert customer_from_zoho(single, FieldMap(currency="CNY")).annual_revenue == Money(
        "98765432.10", "CNY"
    )


def test_float_amounts_are_refused() -> None:
    with pytest.raises(ValidationError, match="float"):
        customer_from_zoho({**ACCOUNT, "Annual_Revenue": 0.1})


def test_fractional_employee_count_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"Accounts\.Employees"):
        customer_from_zoho({**ACCOUNT, "Employees": Decimal("10.5")})


CONTACT = {
    "id": "200",
    "First_Name": "Mei",
    "Last_Name": "Chen",
    "Full_Name": "Mei Chen",
    "Account_Name": {"name": "Shanghai Precision Parts", "id": "3388926000000166021"},
    "Email": "mei.chen@example.com",
    "Phone": "+86 21 5555 0101",
    "Title": "Procurement Director",
    "Decision__c": True,
    "Created_Time": "2025-03-02T10:00:00+08:00",
}


def test_contact_with_its_account_lookup() -> None:
    contact = contact_from_zoho(CONTACT, FieldMap(contact_decision_maker="Decision__c"))
    assert contact.customer_id == "cus_zoho3388926000000166021"
    assert contact.name == "Mei Chen"
    assert contact.decision_maker is True
    assert contact.title == "Procurement Director"
    with pytest.raises(ValidationError, match=r"Contacts\.Account_Name.*required"):
        contact_from_zoho({**CONTACT, "Account_Name": None})
    with pytest.raises(ValidationError, match=r"Contacts\.Account_Name.*lookup"):
        contact_from_zoho({**CONTACT, "Account_Name": "Shanghai Precision Parts"})


DEAL = loads_exact(
    b"""{"id": "300", "Deal_Name": "2026 frame order", "Stage": "Closed Won",
    "Amount": 1250000.50, "Currency": "USD", "Closing_Date": "2026-06-15",
    "Account_Name": {"name": "X", "id": "3388926000000166021"},
    "Gross_Profit__c": 312500.13, "Owner": {"name": "Li", "id": "9"}}"""
)


def test_won_deal_is_a_transaction_in_the_deal_currency() -> None:
    txn = transaction_from_zoho(DEAL, FieldMap(deal_gross_profit="Gross_Profit__c"))
    assert txn is not None
    assert txn.amount == Money("1250000.50", "USD")
    assert txn.gross_profit == Money("312500.13", "USD")
    assert txn.occurred_at == datetime(2026, 6, 15, tzinfo=UTC)
    assert txn.customer_id == "cus_zoho3388926000000166021"
    assert txn.description == "2026 frame order"


def test_open_or_lost_deals_are_not_transactions() -> None:
    assert transaction_from_zoho({**DEAL, "Stage": "Negotiation/Review"}) is None
    assert transaction_from_zoho({**DEAL, "Stage": "Closed Lost"}) is None
    won = FieldMap().with_overrides({"deal_won_stages": "Closed Won|Signed"})
    assert transaction_from_zoho({**DEAL, "Stage": "Signed"}, won) is not None


def test_deal_without_gross_profit_field_records_zero_margin() -> None:
    txn = transaction_from_zoho(DEAL)
    assert txn is not None
    assert txn.gross_profit == Money("0", "USD")


CASE = {
    "id": "400",
    "Subject": "Late delivery of batch 7",
    "Priority": "High",
    "Status": "Escalated",
    "Type": "Problem",
    "Account_Name": {"name": "X", "id": "3388926000000166021"},
    "Contact_Name": {"name": "Mei Chen", "id": "200"},
    "Owner": {"name": "Wang", "id": "11"},
    "Description": "Arrived 9 days late",
    "Created_Time": "2026-06-20T08:00:00+08:00",
}


def test_case_to_complaint_with_exact_picklists() -> None:
    complaint = complaint_from_zoho(CASE)
    assert complaint.severity is Severity.HIGH
    assert complaint.status is ComplaintStatus.INVESTIGATING
    assert complaint.received_at == datetime(2026, 6, 20, 0, 0, tzinfo=UTC)
    assert complaint.contact_id == "con_zoho200"
    assert complaint.assignee_id == "usr_zoho11"
    assert complaint.category == "Problem"


def test_unknown_picklist_value_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValidationError, match=r"Cases\.Priority.*'Urgent'"):
        complaint_from_zoho({**CASE, "Priority": "Urgent"})
    fmap = FieldMap().with_overrides({"case_severities.Urgent": "critical"})
    assert complaint_from_zoho({**CASE, "Priority": "Urgent"}, fmap).severity is Severity.CRITICAL
    assert complaint_from_zoho({**CASE, "Priority": "-None-"}).severity is Severity.MEDIUM


@pytest.mark.parametrize(
    ("module", "record", "channel", "at"),
    [
        (
            "Calls",
            {
                "Subject": "Quarterly check-in",
                "Call_Start_Time": "2026-06-01T15:00:00+08:00",
                "Who_Id": {"id": "200", "name": "Mei"},
            },
            Channel.PHONE,
            datetime(2026, 6, 1, 7, 0, tzinfo=UTC),
        ),
        (
            "Events",
            {"Event_Title": "Plant visit", "Start_DateTime": "2026-06-02T10:00:00+09:00"},
            Channel.MEETING,
            datetime(2026, 6, 2, 1, 0, tzinfo=UTC),
        ),
        (
            "Tasks",
            {"Subject": "Send quote", "Due_Date": "2026-06-03"},
            Channel.VISIT,
            datetime(2026, 6, 3, tzinfo=UTC),
        ),
    ],
)
def test_activities_become_interactions(
    module: str, record: dict[str, object], channel: Channel, at: datetime
) -> None:
    full = {
        "id": "500",
        "What_Id": {"id": "3388926000000166021", "name": "X"},
        "$se_module": "Accounts",
        "Owner": {"id": "11", "name": "Wang"},
        **record,
    }
    interaction = interaction_from_zoho(module, full)
    assert interaction.channel is channel
    assert interaction.occurred_at == at
    assert interaction.customer_id == "cus_zoho3388926000000166021"
    assert interaction.contact_ids == (("con_zoho200",) if "Who_Id" in record else ())


def test_note_on_an_account_and_activities_on_other_modules() -> None:
    note = {
        "id": "600",
        "Note_Title": "Visit report",
        "Note_Content": "Discussed 2027 volumes",
        "Parent_Id": {
            "id": "3388926000000166021",
            "name": "X",
            "module": {"api_name": "Accounts", "id": "1"},
        },
        "Created_Time": "2026-06-05T18:00:00+08:00",
    }
    interaction = interaction_from_zoho("Notes", note)
    assert interaction.report == "Discussed 2027 volumes"
    assert interaction.summary == "Visit report"
    on_deal = {**note, "Parent_Id": {"id": "300", "module": {"api_name": "Deals"}}}
    with pytest.raises(ValidationError, match=r"Notes\.Parent_Id.*Deals"):
        interaction_from_zoho("Notes", on_deal)
    with pytest.raises(ValidationError, match=r"zoho\.module"):
        interaction_from_zoho("Leads", note)


def test_custom_id_resolver_is_used_for_every_reference() -> None:
    seen: list[tuple[str, str]] = []

    def ids(kind: str, remote: str) -> str:
        seen.append((kind, remote))
        return f"{kind}-{remote}"

    complaint = complaint_from_zoho(CASE, ids=ids)
    assert complaint.id == "complaint-400"
    assert complaint.customer_id == "customer-3388926000000166021"
    assert ("contact", "200") in seen
    assert ("user", "11") in seen
