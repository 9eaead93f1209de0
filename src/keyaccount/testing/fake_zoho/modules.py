"""Module and field definitions the fake validates writes against.

Field API names and mandatory fields follow Zoho's standard layouts. Maximum lengths are
plausible values for the fake to enforce (Zoho's exact per-field limits vary by org), so an
adapter's handling of ``INVALID_DATA`` with ``maximum_length`` can be exercised.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

TEXT = "text"
TEXTAREA = "textarea"
EMAIL = "email"
INTEGER = "integer"
CURRENCY = "currency"
DOUBLE = "double"
BOOLEAN = "boolean"
DATE = "date"
DATETIME = "datetime"
PICKLIST = "picklist"
MULTISELECT = "multiselectpicklist"
LOOKUP = "lookup"

DATA_TYPES = frozenset(
    {TEXT, TEXTAREA, EMAIL, INTEGER, CURRENCY, DOUBLE, BOOLEAN, DATE, DATETIME, PICKLIST}
    | {MULTISELECT, LOOKUP}
)

# Keys the server owns; values sent for them in a write are ignored, as Zoho does.
SYSTEM_FIELDS = frozenset(
    {"id", "Created_Time", "Modified_Time", "Created_By", "Modified_By", "Full_Name"}
)

_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FieldSpec:
    """A typed field. ``lookup_module`` makes the fake check that a lookup's id exists."""

    api_name: str
    data_type: str
    max_length: int | None = None
    lookup_module: str | None = None


@dataclass(frozen=True)
class ModuleSpec:
    """A module: mandatory fields, unique fields (``DUPLICATE_DATA`` on insert/update), the
    system duplicate-check fields upsert uses when the request names none, and typed fields.
    Fields not listed in ``fields`` are stored as sent (custom fields need no declaration)."""

    api_name: str
    name_field: str
    mandatory: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    duplicate_check: tuple[str, ...] = ()
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)


def _fields(*specs: FieldSpec) -> dict[str, FieldSpec]:
    return {s.api_name: s for s in specs}


def _t(name: str, length: int = 255) -> FieldSpec:
    return FieldSpec(name, TEXT, length)


def _lk(name: str, module: str | None) -> FieldSpec:
    return FieldSpec(name, LOOKUP, lookup_module=module)


_OWNER = _lk("Owner", None)

STANDARD_MODULES: dict[str, ModuleSpec] = {
    "Accounts": ModuleSpec(
        "Accounts",
        name_field="Account_Name",
        mandatory=("Account_Name",),
        unique=("Account_Name",),
        duplicate_check=("Account_Name",),
        fields=_fields(
            _t("Account_Name", 200),
            _t("Account_Number", 40),
            _t("Account_Site", 80),
            FieldSpec("Account_Type", PICKLIST),
            FieldSpec("Rating", PICKLIST),
            FieldSpec("Industry", PICKLIST),
            FieldSpec("Ownership", PICKLIST),
            FieldSpec("Annual_Revenue", CURRENCY),
            FieldSpec("Employees", INTEGER),
            _t("Website", 255),
            _t("Phone", 30),
            _t("Fax", 30),
            FieldSpec("Description", TEXTAREA, 32000),
            _t("Billing_Street", 250),
            _t("Billing_City", 100),
            _t("Billing_State", 100),
            _t("Billing_Code", 30),
            _t("Billing_Country", 100),
            _t("Shipping_Street", 250),
            _t("Shipping_City", 100),
            _t("Shipping_State", 100),
            _t("Shipping_Code", 30),
            _t("Shipping_Country", 100),
            _lk("Parent_Account", "Accounts"),
            _OWNER,
        ),
    ),
    "Contacts": ModuleSpec(
        "Contacts",
        name_field="Full_Name",
        mandatory=("Last_Name",),
        unique=("Email",),
        duplicate_check=("Email",),
        fields=_fields(
            _t("First_Name", 40),
            _t("Last_Name", 80),
            FieldSpec("Email", EMAIL, 100),
            FieldSpec("Secondary_Email", EMAIL, 100),
            _t("Phone", 30),
            _t("Mobile", 30),
            _t("Title", 100),
            _t("Department", 100),
            FieldSpec("Lead_Source", PICKLIST),
            FieldSpec("Email_Opt_Out", BOOLEAN),
            _lk("Account_Name", "Accounts"),
            _lk("Reporting_To", "Contacts"),
            _OWNER,
        ),
    ),
    "Deals": ModuleSpec(
        "Deals",
        name_field="Deal_Name",
        mandatory=("Deal_Name", "Stage", "Closing_Date"),
        duplicate_check=("Deal_Name",),
        fields=_fields(
            _t("Deal_Name", 120),
            FieldSpec("Amount", CURRENCY),
            FieldSpec("Stage", PICKLIST),
            FieldSpec("Probability", INTEGER),
            FieldSpec("Expected_Revenue", CURRENCY),
            FieldSpec("Closing_Date", DATE),
            FieldSpec("Type", PICKLIST),
            FieldSpec("Lead_Source", PICKLIST),
            _t("Next_Step", 100),
            FieldSpec("Description", TEXTAREA, 32000),
            _lk("Account_Name", "Accounts"),
            _lk("Contact_Name", "Contacts"),
            _OWNER,
        ),
    ),
    "Cases": ModuleSpec(
        "Cases",
        name_field="Subject",
        mandatory=("Subject",),
        duplicate_check=("Subject",),
        fields=_fields(
            _t("Subject", 255),
            FieldSpec("Status", PICKLIST),
            FieldSpec("Priority", PICKLIST),
            FieldSpec("Type", PICKLIST),
            FieldSpec("Case_Origin", PICKLIST),
            FieldSpec("Case_Reason", PICKLIST),
            FieldSpec("Description", TEXTAREA, 32000),
            FieldSpec("Solution", TEXTAREA, 32000),
            FieldSpec("Email", EMAIL, 100),
            _t("Phone", 30),
            _lk("Account_Name", "Accounts"),
            _lk("Deal_Name", "Deals"),
            _OWNER,
        ),
    ),
    "Tasks": ModuleSpec(
        "Tasks",
        name_field="Subject",
        mandatory=("Subject",),
        fields=_fields(
            _t("Subject", 255),
            FieldSpec("Due_Date", DATE),
            FieldSpec("Status", PICKLIST),
            FieldSpec("Priority", PICKLIST),
            FieldSpec("Closed_Time", DATETIME),
            FieldSpec("Description", TEXTAREA, 32000),
            _lk("What_Id", None),
            _lk("Who_Id", "Contacts"),
            _OWNER,
        ),
    ),
    "Calls": ModuleSpec(
        "Calls",
        name_field="Subject",
        mandatory=("Subject", "Call_Type", "Call_Start_Time"),
        fields=_fields(
            _t("Subject", 255),
            FieldSpec("Call_Type", PICKLIST),
            FieldSpec("Call_Start_Time", DATETIME),
            _t("Call_Duration", 10),
            FieldSpec("Call_Duration_in_seconds", INTEGER),
            FieldSpec("Call_Purpose", PICKLIST),
            FieldSpec("Call_Result", PICKLIST),
            FieldSpec("Description", TEXTAREA, 32000),
            _lk("What_Id", None),
            _lk("Who_Id", "Contacts"),
            _OWNER,
        ),
    ),
    "Events": ModuleSpec(
        "Events",
        name_field="Event_Title",
        mandatory=("Event_Title", "Start_DateTime", "End_DateTime"),
        fields=_fields(
            _t("Event_Title", 255),
            FieldSpec("Start_DateTime", DATETIME),
            FieldSpec("End_DateTime", DATETIME),
            FieldSpec("All_day", BOOLEAN),
            _t("Venue", 255),
            FieldSpec("Description", TEXTAREA, 32000),
            _lk("What_Id", None),
            _lk("Who_Id", "Contacts"),
            _OWNER,
        ),
    ),
    "Notes": ModuleSpec(
        "Notes",
        name_field="Note_Title",
        mandatory=("Note_Content", "Parent_Id"),
        fields=_fields(
            _t("Note_Title", 120),
            FieldSpec("Note_Content", TEXTAREA, 32000),
            _lk("Parent_Id", None),
            _OWNER,
        ),
    ),
}


def custom_module(
    api_name: str,
    *,
    mandatory: tuple[str, ...] = ("Name",),
    unique: tuple[str, ...] = (),
    duplicate_check: tuple[str, ...] = ("Name",),
    fields: Mapping[str, FieldSpec] | None = None,
) -> ModuleSpec:
    """A custom module; Zoho gives every custom module a mandatory ``Name`` field."""
    declared = {"Name": _t("Name", 120), "Owner": _OWNER}
    declared.update(fields or {})
    for spec in declared.values():
        if spec.data_type not in DATA_TYPES:
            raise ValueError(
                f"FieldSpec.data_type {spec.data_type!r} is not one of {sorted(DATA_TYPES)}"
            )
    return ModuleSpec(
        api_name,
        name_field="Name",
        mandatory=mandatory,
        unique=unique,
        duplicate_check=duplicate_check,
        fields=declared,
    )


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def lookup_id(value: Any) -> str | None:
    """The id a lookup value points at: ``{"id": ...}`` or a bare id string."""
    if isinstance(value, dict):
        raw = value.get("id")
        return raw if isinstance(raw, str) and raw.isdigit() else None
    if isinstance(value, str) and value.isdigit():
        return value
    return None


def type_problem(spec: FieldSpec, value: Any) -> dict[str, Any] | None:
    """Why ``value`` does not fit ``spec`` (as ``INVALID_DATA`` details), or ``None``."""
    if value is None:
        return None
    if not _FITS[spec.data_type](value):
        return {"api_name": spec.api_name, "expected_data_type": spec.data_type}
    if spec.max_length is not None and isinstance(value, str) and len(value) > spec.max_length:
        return {"api_name": spec.api_name, "maximum_length": spec.max_length}
    return None


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_email(value: Any) -> bool:
    return isinstance(value, str) and (not value or ("@" in value and not value.startswith("@")))


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _is_date(value: Any) -> bool:
    return isinstance(value, str) and _valid_date(value)


def _is_datetime(value: Any) -> bool:
    return isinstance(value, str) and _valid_datetime(value)


def _is_multiselect(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_lookup(value: Any) -> bool:
    return lookup_id(value) is not None


# One predicate per data type: writes check every typed value, so dispatch stays a dict lookup.
_FITS: dict[str, Callable[[Any], bool]] = {
    TEXT: _is_text,
    TEXTAREA: _is_text,
    PICKLIST: _is_text,
    EMAIL: _is_email,
    INTEGER: _is_integer,
    CURRENCY: _is_number,
    DOUBLE: _is_number,
    BOOLEAN: _is_boolean,
    DATE: _is_date,
    DATETIME: _is_datetime,
    MULTISELECT: _is_multiselect,
    LOOKUP: _is_lookup,
}


def _valid_date(text: str) -> bool:
    if not _DATE_RE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _valid_datetime(text: str) -> bool:
    if not _DATETIME_RE.match(text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True
