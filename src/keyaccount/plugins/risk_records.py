"""Registers the credit-risk record types, through the same hook plugins use."""

from __future__ import annotations

from keyaccount.credit.records import RiskAlertState
from keyaccount.hookspecs import hookimpl
from keyaccount.schema import RegisterRecordType


@hookimpl
def register_record_types(register: RegisterRecordType) -> None:
    register(RiskAlertState, kind="risk_alert_state", indexes=("customer_id", "severity"))
