"""keyaccount models → Zoho fields, including the tier written back to a custom field."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from keyaccount.errors import ValidationError
from keyaccount.models import Contact, Customer
from keyaccount.money import Money
from keyaccount.plugins.zoho._json import dumps_exact
from keyaccount.plugins.zoho.mapping import (
    FieldMap,
    contact_to_zoho,
    customer_from_zoho,
    customer_to_zoho,
    default_fields,
    tier_update,
)

CUSTOMER = Customer(
    id="cus_1",
    name="Shanghai Precision Parts",
    created_at=datetime(2025, 3, 1, tzinfo=UTC),
    industry="Manufacturing",
    employees=1200,
    annual_revenue=Money("98765432.10", "CNY"),
    tier="A",
    tags=("strategic",),
    external_refs={"zoho": "3388926000000166021"},
)


def test_customer_round_trips_through_zoho_fields() -> None:
    fmap = FieldMap(currency="USD", account_tier="Tier__c")
    out = customer_to_zoho(CUSTOMER, fmap)
    assert out["id"] == "3388926000000166021"
    assert out["Account_Name"] == "Shanghai Precision Parts"
    assert out["Annual_Revenue"] == Decimal("98765432.10")
    assert out["Currency"] == "CNY"  # not the home currency, so it is stated
    assert out["Tier__c"] == "A"
    assert out["Tag"] == [{"name": "strategic"}]
    assert b'"Annual_Revenue":98765432.10' in dumps_exact(out)
    back = customer_from_zoho({**out, "Created_Time": "2025-03-01T08:00:00+08:00"}, fmap)
    assert back.annual_revenue == CUSTOMER.annual_revenue
    assert back.tier == "A"


def test_home_currency_is_not_repeated() -> None:
    out = customer_to_zoho(CUSTOMER, FieldMap(currency="CNY"))
    assert "Currency" not in out
    assert "Tier__c" not in out


def test_tier_write_back_needs_a_configured_field() -> None:
    assert tier_update("42", "B", FieldMap(account_tier="Tier__c")) == {"id": "42", "Tier__c": "B"}
    with pytest.raises(ValidationError, match="account_tier"):
        tier_update("42", "B", FieldMap())


def test_contact_to_zoho() -> None:
    contact = Contact(
        id="con_1",
        customer_id="cus_1",
        name="Mei Chen",
        email="mei@example.com",
        decision_maker=True,
    )
    out = contact_to_zoho(
        contact, "3388926000000166021", FieldMap(contact_decision_maker="Decision__c")
    )
    assert out == {
        "Last_Name": "Chen",
        "First_Name": "Mei",
        "Account_Name": {"id": "3388926000000166021"},
        "Email": "mei@example.com",
        "Decision__c": True,
    }


def test_default_fields_stay_within_one_call() -> None:
    for kind in ("account", "contact", "deal", "case", "call", "event", "task", "note"):
        fields = default_fields(kind)
        assert len(fields) <= 50
        assert "Modified_Time" in fields
    with pytest.raises(ValidationError, match="Visits__c"):
        default_fields("Visits__c")
