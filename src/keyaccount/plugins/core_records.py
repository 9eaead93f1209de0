"""Registers the built-in record types, through the same hook an external plugin uses."""

from __future__ import annotations

from keyaccount.hookspecs import hookimpl
from keyaccount.models import (
    Complaint,
    Contact,
    CreditProfile,
    Customer,
    Interaction,
    Receivable,
    SurveyResponse,
    Transaction,
    User,
)
from keyaccount.schema import RegisterRecordType


@hookimpl
def register_record_types(register: RegisterRecordType) -> None:
    register(User, kind="user", indexes=("team", "manager_id"))
    register(
        Customer,
        kind="customer",
        indexes=("owner_id", "team", "tier", "status", "credit_code", "name"),
    )
    register(Contact, kind="contact", indexes=("customer_id", "email", "phone"))
    register(Transaction, kind="transaction", indexes=("customer_id", "occurred_at", "owner_id"))
    register(Receivable, kind="receivable", indexes=("customer_id", "due_on", "paid_on"))
    register(CreditProfile, kind="credit_profile", indexes=("customer_id",))
    register(Interaction, kind="interaction", indexes=("customer_id", "occurred_at", "owner_id"))
    register(
        Complaint,
        kind="complaint",
        indexes=("customer_id", "status", "assignee_id", "received_at"),
    )
    register(
        SurveyResponse, kind="survey_response", indexes=("customer_id", "answered_at", "survey_id")
    )
