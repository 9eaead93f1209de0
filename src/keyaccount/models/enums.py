"""Closed vocabularies of the domain. Values are the stable strings stored and exchanged."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

E = TypeVar("E", bound=StrEnum)


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    MERGED = "merged"


class Channel(StrEnum):
    """How a contact happened or prefers to be reached (沟通渠道 / 沟通偏好)."""

    VISIT = "visit"
    PHONE = "phone"
    EMAIL = "email"
    MEETING = "meeting"
    IM = "im"
    EVENT = "event"


class Role(StrEnum):
    ADMIN = "admin"
    DIRECTOR = "director"
    ACCOUNT_MANAGER = "account_manager"
    SERVICE_AGENT = "service_agent"
    ANALYST = "analyst"


class TransactionKind(StrEnum):
    ORDER = "order"
    REFUND = "refund"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ComplaintStatus(StrEnum):
    """ISO 10002 / GB/T 19012 complaint handling steps."""

    RECEIVED = "received"
    LOGGED = "logged"
    INVESTIGATING = "investigating"
    SOLUTION_PROPOSED = "solution_proposed"
    EXECUTING = "executing"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"


def coerce(enum_type: type[E], value: Any) -> Any:
    """Accept a member or its value; anything else is left for the validator to reject."""
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except ValueError:
        return value


# Named converters (the attrs mypy plugin only understands named functions).
def to_customer_status(value: Any) -> Any:
    return coerce(CustomerStatus, value)


def to_channel(value: Any) -> Any:
    return coerce(Channel, value)


def to_role(value: Any) -> Any:
    return coerce(Role, value)


def to_transaction_kind(value: Any) -> Any:
    return coerce(TransactionKind, value)


def to_severity(value: Any) -> Any:
    return coerce(Severity, value)


def to_complaint_status(value: Any) -> Any:
    return coerce(ComplaintStatus, value)
