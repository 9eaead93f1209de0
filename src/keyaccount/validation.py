"""attrs validators and converters that raise ``ValidationError`` naming ``Class.field``.

attrs' own validators raise ``TypeError``/``ValueError`` with messages meant for developers;
ours name the record type, the field and the bad value so a CSV import or an API caller can be
told exactly what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import attrs

from keyaccount.clock import ensure_utc
from keyaccount.errors import ValidationError
from keyaccount.money import Money

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def field_name(instance: object, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def non_empty_text(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field_name(instance, attribute), value, "must be non-empty text")


def optional_text(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise ValidationError(field_name(instance, attribute), value, "must be text or None")


_ID_MATCH = _ID_RE.match


def record_id(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is str and _ID_MATCH(value):
        return
    if not isinstance(value, str) or not _ID_MATCH(value):
        raise ValidationError(
            field_name(instance, attribute),
            value,
            "must be an id of 1-128 letters, digits, '_', '-', '.', ':' starting alphanumeric",
        )


def optional_id(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        record_id(instance, attribute, value)


def utc_datetime(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is datetime and value.tzinfo is UTC:
        return
    name = field_name(instance, attribute)
    ensure_utc(name, value)
    if value.utcoffset().total_seconds() != 0:
        raise ValidationError(name, value, "must be in UTC (convert with .astimezone(UTC))")


def optional_utc_datetime(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        utc_datetime(instance, attribute, value)


def to_utc(value: Any) -> Any:
    """Converter: aware datetimes in any zone become UTC; naive ones are left for the validator."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value
    if isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None:
        return ensure_utc("datetime", value)
    return value


def a_date(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(field_name(instance, attribute), value, "must be a date")


def optional_date(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        a_date(instance, attribute, value)


def money(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Money):
        raise ValidationError(field_name(instance, attribute), value, "must be Money")


def optional_money(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        money(instance, attribute, value)


def non_negative_money(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    money(instance, attribute, value)
    if value.amount < 0:
        raise ValidationError(field_name(instance, attribute), value, "must not be negative")


def int_between(low: int | None, high: int | None, *, optional: bool = False) -> Validator:
    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        name = field_name(instance, attribute)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(name, value, "must be a whole number")
        if low is not None and value < low:
            raise ValidationError(name, value, f"must be at least {low}")
        if high is not None and value > high:
            raise ValidationError(name, value, f"must be at most {high}")

    return check


def a_bool(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise ValidationError(field_name(instance, attribute), value, "must be True or False")


def email(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not _EMAIL_RE.match(value)):
        raise ValidationError(field_name(instance, attribute), value, "is not an e-mail address")


def phone(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    digits = [c for c in str(value) if c.isdigit()]
    if (
        not isinstance(value, str)
        or not 5 <= len(digits) <= 20
        or any(not (c.isdigit() or c in "+-() ") for c in value)
    ):
        raise ValidationError(field_name(instance, attribute), value, "is not a phone number")


def member_of(enum_type: type[Enum]) -> Validator:
    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, enum_type):
            allowed = ", ".join(str(m.value) for m in enum_type)
            raise ValidationError(
                field_name(instance, attribute), value, f"must be one of {allowed}"
            )

    return check


def optional_member_of(enum_type: type[Enum]) -> Validator:
    inner = member_of(enum_type)

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            inner(instance, attribute, value)

    return check


def text_tuple(value: Any) -> tuple[str, ...]:
    """Converter: any iterable of strings (or a comma/semicolon separated string) to a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        parts = value.replace(";", ",").replace("，", ",").split(",")
        return tuple(p.strip() for p in parts if p.strip())
    if isinstance(value, Iterable):
        return tuple(value)
    return value  # type: ignore[no-any-return]


def all_text(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple) or not all(isinstance(v, str) and v for v in value):
        raise ValidationError(
            field_name(instance, attribute), value, "must be a sequence of non-empty strings"
        )


def text_mapping(value: Any) -> Any:
    """Converter: copy a mapping into a plain dict so the frozen record owns it."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    return value


def text_to_text(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    ):
        raise ValidationError(
            field_name(instance, attribute), value, "must map non-empty text to non-empty text"
        )
