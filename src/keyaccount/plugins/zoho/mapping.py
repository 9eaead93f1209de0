"""Zoho records ↔ keyaccount models.

Accounts ↔ Customer, Contacts ↔ Contact, won Deals → Transaction, Cases → Complaint, and
Calls/Events/Tasks/Notes → Interaction. Field API names come from a ``FieldMap``: the default
suits a stock Zoho org; per-org overrides name custom fields (where the tier is written back,
the credit code, a gross-profit field) and picklist values.

Conversions are exact: datetimes with any offset become aware UTC, lookups ``{id, name}`` become
local ids through an ``IdResolver``, currency amounts become ``Money`` in the record's own
currency (decimals never pass through float), and a picklist value the map does not know is a
``ValidationError`` naming the field and value rather than a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import attrs

from keyaccount.errors import ValidationError
from keyaccount.models import (
    Channel,
    Complaint,
    ComplaintId,
    ComplaintStatus,
    Contact,
    ContactId,
    Customer,
    CustomerId,
    Interaction,
    InteractionId,
    Severity,
    Transaction,
    TransactionId,
    UserId,
)
from keyaccount.money import Money, to_decimal

# (local kind, Zoho record id) -> local id
IdResolver = Callable[[str, str], str]

_PREFIXES = {
    "customer": "cus",
    "contact": "con",
    "user": "usr",
    "transaction": "txn",
    "complaint": "cmp",
    "interaction": "int",
}

# Provider-neutral kinds of the CRM port and the Zoho module holding each.
MODULES: dict[str, str] = {
    "account": "Accounts",
    "contact": "Contacts",
    "deal": "Deals",
    "case": "Cases",
    "task": "Tasks",
    "call": "Calls",
    "event": "Events",
    "note": "Notes",
}


def default_ids(kind: str, remote_id: str) -> str:
    """A stable local id for a Zoho record, e.g. ``cus_zoho3388926000000166021``."""
    return f"{_PREFIXES.get(kind, kind[:3])}_zoho{remote_id}"


DEFAULT_SEVERITIES: Mapping[str, Severity] = {
    "Highest": Severity.CRITICAL,
    "High": Severity.HIGH,
    "Medium": Severity.MEDIUM,
    "Normal": Severity.MEDIUM,
    "Low": Severity.LOW,
    "Lowest": Severity.LOW,
}
DEFAULT_CASE_STATUSES: Mapping[str, ComplaintStatus] = {
    "New": ComplaintStatus.RECEIVED,
    "Open": ComplaintStatus.LOGGED,
    "On Hold": ComplaintStatus.INVESTIGATING,
    "Escalated": ComplaintStatus.INVESTIGATING,
    "Closed": ComplaintStatus.CLOSED,
}
DEFAULT_CHANNELS: Mapping[str, Channel] = {
    "Calls": Channel.PHONE,
    "Events": Channel.MEETING,
    "Tasks": Channel.VISIT,
    "Notes": Channel.VISIT,
}


@attrs.frozen
class FieldMap:
    """Zoho field API names for each model field; ``None`` means the org has no such field.

    ``currency`` is the org's home currency, used for amounts on records without a
    ``Currency`` field (orgs without multi-currency); ``None`` makes such amounts an error.
    """

    currency: str | None = None
    # Accounts -> Customer
    account_name: str = "Account_Name"
    account_industry: str | None = "Industry"
    account_employees: str | None = "Employees"
    account_revenue: str | None = "Annual_Revenue"
    account_region: str | None = "Billing_State"
    account_tags: str | None = "Tag"
    account_tier: str | None = None
    account_credit_code: str | None = None
    account_legal_name: str | None = None
    account_team: str | None = None
    # Contacts -> Contact
    contact_title: str | None = "Title"
    contact_decision_maker: str | None = None
    contact_wechat: str | None = None
    # Deals -> Transaction
    deal_won_stages: tuple[str, ...] = ("Closed Won",)
    deal_gross_profit: str | None = None
    # Cases -> Complaint
    case_severities: Mapping[str, Severity] = attrs.field(factory=lambda: dict(DEFAULT_SEVERITIES))
    case_statuses: Mapping[str, ComplaintStatus] = attrs.field(
        factory=lambda: dict(DEFAULT_CASE_STATUSES)
    )
    # Calls/Events/Tasks/Notes -> Interaction
    channels: Mapping[str, Channel] = attrs.field(factory=lambda: dict(DEFAULT_CHANNELS))

    def with_overrides(self, overrides: Mapping[str, str]) -> FieldMap:
        """A copy with plain-text overrides applied, as read from plugin config.

        Keys are attribute names (``account_tier=Tier__c``; an empty value unmaps the field;
        ``deal_won_stages=Closed Won|Won``) or picklist entries
        (``case_severities.Urgent=critical``, ``case_statuses.Waiting=investigating``,
        ``channels.Visits__c=visit``).
        """
        changes: dict[str, Any] = {}
        tables: dict[str, dict[str, Any]] = {}
        enum_of = {
            "case_severities": Severity,
            "case_statuses": ComplaintStatus,
            "channels": Channel,
        }
        names = {a.name for a in attrs.fields(FieldMap)}
        for key, raw in overrides.items():
            if "." in key:
                table, _, value_name = key.partition(".")
                if table not in enum_of:
                    raise ValidationError(f"zoho.fields.{key}", raw, "unknown picklist table")
                enum = enum_of[table]
                try:
                    member = enum(raw.strip().lower())
                except ValueError:
                    allowed = ", ".join(m.value for m in enum)
                    raise ValidationError(
                        f"zoho.fields.{key}", raw, f"must be one of {allowed}"
                    ) from None
                if table not in tables:
                    tables[table] = dict(getattr(self, table))
                tables[table][value_name] = member
            elif key == "deal_won_stages":
                changes[key] = tuple(s.strip() for s in raw.split("|") if s.strip())
            elif key in names and key not in enum_of:
                value = raw.strip() or None
                if key == "account_name" and value is None:
                    raise ValidationError("zoho.fields.account_name", raw, "cannot be unmapped")
                changes[key] = value
            else:
                raise ValidationError(f"zoho.fields.{key}", raw, "unknown field-map key")
        changes.update(tables)
        return attrs.evolve(self, **changes)


# -- value conversions --------------------------------------------------------------------------


def parse_datetime(value: Any, field: str) -> datetime | None:
    """Zoho's ``2018-10-25T11:56:25+05:30`` (or ``Z``) as aware UTC; naive text is refused."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValidationError(field, value, "must be an ISO 8601 datetime")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(field, value, "is not an ISO 8601 datetime") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValidationError(field, value, "has no UTC offset")
    return parsed.astimezone(UTC)


def parse_date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValidationError(field, value, "must be a YYYY-MM-DD date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(field, value, "is not a YYYY-MM-DD date") from None


def format_datetime(value: datetime) -> str:
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def lookup_id(value: Any, field: str) -> str | None:
    """The id of a lookup ``{"id": ..., "name": ...}``; ``None`` when the lookup is empty."""
    if value in (None, ""):
        return None
    if isinstance(value, Mapping):
        rid = value.get("id")
        if rid in (None, ""):
            return None
        return str(rid)
    raise ValidationError(field, value, "must be a lookup object with an id")


def lookup_module(record: Mapping[str, Any], field: str) -> str | None:
    """The module a polymorphic lookup (``What_Id``, ``Parent_Id``) points into."""
    value = record.get(field)
    if isinstance(value, Mapping):
        module = value.get("module")
        if isinstance(module, Mapping) and module.get("api_name"):
            return str(module["api_name"])
    se = record.get("$se_module")
    return str(se) if se else None


def record_currency(record: Mapping[str, Any], fmap: FieldMap, field: str) -> str:
    currency = record.get("Currency") or fmap.currency
    if not currency:
        raise ValidationError(
            field, record.get(field), "no Currency on the record and no home currency configured"
        )
    return str(currency)


def money(record: Mapping[str, Any], field: str, fmap: FieldMap, module: str) -> Money | None:
    """A currency field as Money in the record's currency; amounts stay exact decimals."""
    value = record.get(field)
    name = f"{module}.{field}"
    if value in (None, ""):
        return None
    if isinstance(value, float):
        raise ValidationError(name, value, "was parsed as a float; read Zoho JSON exactly")
    amount = to_decimal(name, value)
    return Money(amount, record_currency(record, fmap, field))


def picklist(value: Any, table: Mapping[str, Any], field: str) -> Any:
    if value in (None, "", "-None-"):
        return None
    if not isinstance(value, str) or value not in table:
        known = ", ".join(sorted(table))
        raise ValidationError(field, value, f"is not a mapped picklist value ({known})")
    return table[value]


def _text(record: Mapping[str, Any], field: str | None) -> str | None:
    if field is None:
        return None
    value = record.get(field)
    if value in (None, "", "-None-"):
        return None
    if isinstance(value, Mapping):  # a lookup: its display name
        name = value.get("name")
        return str(name) if name else None
    return str(value)


def _int(record: Mapping[str, Any], field: str | None, module: str) -> int | None:
    if field is None or record.get(field) in (None, ""):
        return None
    value = record[field]
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ValidationError(f"{module}.{field}", value, "must be a whole number")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise ValidationError(f"{module}.{field}", value, "must be a whole number") from None
    if number != number.to_integral_value():
        raise ValidationError(f"{module}.{field}", value, "must be a whole number")
    return int(number)


def _bool(record: Mapping[str, Any], field: str | None, module: str) -> bool:
    if field is None or record.get(field) in (None, ""):
        return False
    value = record[field]
    if not isinstance(value, bool):
        raise ValidationError(f"{module}.{field}", value, "must be a checkbox (true/false)")
    return value


def _user(value: str | None) -> UserId | None:
    return UserId(value) if value is not None else None


def _contact(value: str | None) -> ContactId | None:
    return ContactId(value) if value is not None else None


def _remote_id(record: Mapping[str, Any], module: str) -> str:
    rid = record.get("id")
    if rid in (None, ""):
        raise ValidationError(f"{module}.id", rid, "record has no id")
    return str(rid)


def _required_lookup(
    record: Mapping[str, Any], field: str, module: str, kind: str, ids: IdResolver
) -> str:
    rid = lookup_id(record.get(field), f"{module}.{field}")
    if rid is None:
        raise ValidationError(f"{module}.{field}", record.get(field), "is required")
    return ids(kind, rid)


def _optional_lookup(
    record: Mapping[str, Any], field: str | None, module: str, kind: str, ids: IdResolver
) -> str | None:
    if field is None:
        return None
    rid = lookup_id(record.get(field), f"{module}.{field}")
    return ids(kind, rid) if rid is not None else None


def _required_datetime(record: Mapping[str, Any], field: str, module: str) -> datetime:
    moment = parse_datetime(record.get(field), f"{module}.{field}")
    if moment is None:
        raise ValidationError(f"{module}.{field}", record.get(field), "is required")
    return moment


def _tags(record: Mapping[str, Any], field: str | None) -> tuple[str, ...]:
    if field is None:
        return ()
    value = record.get(field)
    if not value:
        return ()
    if isinstance(value, list):
        return tuple(str(t["name"]) if isinstance(t, Mapping) else str(t) for t in value)
    return tuple(t.strip() for t in str(value).split(",") if t.strip())


# -- Zoho -> keyaccount ---------------------------------------------------------------------------


def customer_from_zoho(
    record: Mapping[str, Any], fmap: FieldMap = FieldMap(), ids: IdResolver = default_ids
) -> Customer:
    module = "Accounts"
    rid = _remote_id(record, module)
    return Customer(
        id=CustomerId(ids("customer", rid)),
        name=_text(record, fmap.account_name) or "",
        created_at=_required_datetime(record, "Created_Time", module),
        legal_name=_text(record, fmap.account_legal_name),
        credit_code=_text(record, fmap.account_credit_code),
        industry=_text(record, fmap.account_industry),
        region=_text(record, fmap.account_region),
        employees=_int(record, fmap.account_employees, module),
        annual_revenue=money(record, fmap.account_revenue, fmap, module)
        if fmap.account_revenue
        else None,
        owner_id=_user(_optional_lookup(record, "Owner", module, "user", ids)),
        team=_text(record, fmap.account_team),
        tier=_text(record, fmap.account_tier),
        tags=_tags(record, fmap.account_tags),
        external_refs={"zoho": rid},
    )


def contact_from_zoho(
    record: Mapping[str, Any], fmap: FieldMap = FieldMap(), ids: IdResolver = default_ids
) -> Contact:
    module = "Contacts"
    rid = _remote_id(record, module)
    name = _text(record, "Full_Name") or " ".join(
        p for p in (_text(record, "First_Name"), _text(record, "Last_Name")) if p
    )
    return Contact(
        id=ContactId(ids("contact", rid)),
        customer_id=CustomerId(_required_lookup(record, "Account_Name", module, "customer", ids)),
        name=name,
        title=_text(record, fmap.contact_title),
        decision_maker=_bool(record, fmap.contact_decision_maker, module),
        phone=_text(record, "Phone") or _text(record, "Mobile"),
        email=_text(record, "Email"),
        wechat=_text(record, fmap.contact_wechat),
        birthday=parse_date(record.get("Date_of_Birth"), f"{module}.Date_of_Birth"),
        external_refs={"zoho": rid},
    )


def transaction_from_zoho(
    record: Mapping[str, Any], fmap: FieldMap = FieldMap(), ids: IdResolver = default_ids
) -> Transaction | None:
    """The order a won deal represents; ``None`` for a deal not (yet) won."""
    module = "Deals"
    if record.get("Stage") not in fmap.deal_won_stages:
        return None
    rid = _remote_id(record, module)
    amount = money(record, "Amount", fmap, module)
    if amount is None:
        raise ValidationError(f"{module}.Amount", record.get("Amount"), "a won deal needs one")
    gross = money(record, fmap.deal_gross_profit, fmap, module) if fmap.deal_gross_profit else None
    closing = parse_date(record.get("Closing_Date"), f"{module}.Closing_Date")
    if closing is None:
        raise ValidationError(f"{module}.Closing_Date", None, "a won deal needs one")
    return Transaction(
        id=TransactionId(ids("transaction", rid)),
        customer_id=CustomerId(_required_lookup(record, "Account_Name", module, "customer", ids)),
        occurred_at=datetime.combine(closing, time(0), tzinfo=UTC),
        amount=amount,
        # Zoho Deals carry no gross profit unless the org added a field for it.
        gross_profit=gross if gross is not None else Money.zero(amount.currency),
        owner_id=_user(_optional_lookup(record, "Owner", module, "user", ids)),
        description=_text(record, "Deal_Name"),
        external_refs={"zoho": rid},
    )


def complaint_from_zoho(
    record: Mapping[str, Any], fmap: FieldMap = FieldMap(), ids: IdResolver = default_ids
) -> Complaint:
    module = "Cases"
    rid = _remote_id(record, module)
    severity = picklist(record.get("Priority"), fmap.case_severities, f"{module}.Priority")
    status = picklist(record.get("Status"), fmap.case_statuses, f"{module}.Status")
    return Complaint(
        id=ComplaintId(ids("complaint", rid)),
        customer_id=CustomerId(_required_lookup(record, "Account_Name", module, "customer", ids)),
        received_at=_required_datetime(record, "Created_Time", module),
        subject=_text(record, "Subject") or "",
        severity=severity or Severity.MEDIUM,
        status=status or ComplaintStatus.RECEIVED,
        category=_text(record, "Type"),
        contact_id=_contact(_optional_lookup(record, "Contact_Name", module, "contact", ids)),
        description=_text(record, "Description"),
        assignee_id=_user(_optional_lookup(record, "Owner", module, "user", ids)),
        resolution=_text(record, "Solution"),
        external_refs={"zoho": rid},
    )


_ACTIVITY_FIELDS: Mapping[str, tuple[str, tuple[str, ...], str, str]] = {
    # module: (parent lookup, occurred-at fields in preference order, summary, report)
    "Calls": ("What_Id", ("Call_Start_Time", "Created_Time"), "Subject", "Description"),
    "Events": ("What_Id", ("Start_DateTime", "Created_Time"), "Event_Title", "Description"),
    "Tasks": ("What_Id", ("Closed_Time", "Due_Date", "Created_Time"), "Subject", "Description"),
    "Notes": ("Parent_Id", ("Created_Time",), "Note_Title", "Note_Content"),
}


def interaction_from_zoho(
    module: str,
    record: Mapping[str, Any],
    fmap: FieldMap = FieldMap(),
    ids: IdResolver = default_ids,
) -> Interaction:
    """A Call, Event (meeting), Task or Note about an Account as an Interaction."""
    if module not in _ACTIVITY_FIELDS:
        raise ValidationError("zoho.module", module, "is not an activity module")
    parent, time_fields, summary, report = _ACTIVITY_FIELDS[module]
    rid = _remote_id(record, module)
    parent_module = lookup_module(record, parent)
    if parent_module not in (None, "Accounts"):
        raise ValidationError(
            f"{module}.{parent}", record.get(parent), f"points to {parent_module}, not Accounts"
        )
    occurred: datetime | None = None
    for name in time_fields:
        value = record.get(name)
        if value in (None, ""):
            continue
        if name == "Due_Date":
            day = parse_date(value, f"{module}.{name}")
            occurred = datetime.combine(day, time(0), tzinfo=UTC) if day else None
        else:
            occurred = parse_datetime(value, f"{module}.{name}")
        break
    if occurred is None:
        raise ValidationError(f"{module}.{time_fields[0]}", None, "is required")
    who = lookup_id(record.get("Who_Id"), f"{module}.Who_Id")
    channel = fmap.channels.get(module)
    if channel is None:
        raise ValidationError("zoho.channels", module, "has no channel mapped")
    return Interaction(
        id=InteractionId(ids("interaction", rid)),
        customer_id=CustomerId(_required_lookup(record, parent, module, "customer", ids)),
        channel=channel,
        occurred_at=occurred,
        owner_id=_user(_optional_lookup(record, "Owner", module, "user", ids)),
        contact_ids=(ids("contact", who),) if who else (),
        summary=_text(record, summary),
        report=_text(record, report),
        external_refs={"zoho": rid},
    )


# -- keyaccount -> Zoho ---------------------------------------------------------------------------


def _money_out(value: Money) -> Decimal:
    return value.amount


def customer_to_zoho(customer: Customer, fmap: FieldMap = FieldMap()) -> dict[str, Any]:
    """The Accounts fields keyaccount owns, ready for insert/upsert (``id`` when known)."""
    out: dict[str, Any] = {fmap.account_name: customer.name}
    remote = customer.external_refs.get("zoho")
    if remote:
        out["id"] = remote
    pairs: tuple[tuple[str | None, Any], ...] = (
        (fmap.account_industry, customer.industry),
        (fmap.account_region, customer.region),
        (fmap.account_employees, customer.employees),
        (fmap.account_tier, customer.tier),
        (fmap.account_credit_code, customer.credit_code),
        (fmap.account_legal_name, customer.legal_name),
        (fmap.account_team, customer.team),
    )
    for field, value in pairs:
        if field is not None and value is not None:
            out[field] = value
    if fmap.account_revenue and customer.annual_revenue is not None:
        out[fmap.account_revenue] = _money_out(customer.annual_revenue)
        if customer.annual_revenue.currency != fmap.currency:
            out["Currency"] = customer.annual_revenue.currency
    if fmap.account_tags and customer.tags:
        out[fmap.account_tags] = [{"name": t} for t in customer.tags]
    return out


def tier_update(remote_id: str, tier: str | None, fmap: FieldMap) -> dict[str, Any]:
    """The update writing a customer's tier back to the org's tier field."""
    if fmap.account_tier is None:
        raise ValidationError(
            "zoho.fields.account_tier", None, "no tier field configured for this org"
        )
    return {"id": remote_id, fmap.account_tier: tier}


def contact_to_zoho(
    contact: Contact, account_remote_id: str, fmap: FieldMap = FieldMap()
) -> dict[str, Any]:
    first, _, last = contact.name.rpartition(" ")
    out: dict[str, Any] = {
        "Last_Name": last or contact.name,
        "Account_Name": {"id": account_remote_id},
    }
    if first:
        out["First_Name"] = first
    remote = contact.external_refs.get("zoho")
    if remote:
        out["id"] = remote
    for field, value in (
        ("Email", contact.email),
        ("Phone", contact.phone),
        (fmap.contact_title, contact.title),
        (fmap.contact_wechat, contact.wechat),
    ):
        if field is not None and value is not None:
            out[field] = value
    if fmap.contact_decision_maker is not None:
        out[fmap.contact_decision_maker] = contact.decision_maker
    if contact.birthday is not None:
        out["Date_of_Birth"] = contact.birthday.isoformat()
    return out


def default_fields(kind: str, fmap: FieldMap = FieldMap()) -> tuple[str, ...]:
    """The fields a read of ``kind`` needs for the mapping above (Zoho requires a list)."""
    common = ("Owner", "Created_Time", "Modified_Time")
    by_kind: dict[str, tuple[str | None, ...]] = {
        "account": (
            fmap.account_name,
            fmap.account_industry,
            fmap.account_employees,
            fmap.account_revenue,
            fmap.account_region,
            fmap.account_tags,
            fmap.account_tier,
            fmap.account_credit_code,
            fmap.account_legal_name,
            fmap.account_team,
            "Currency",
        ),
        "contact": (
            "First_Name",
            "Last_Name",
            "Full_Name",
            "Account_Name",
            "Email",
            "Phone",
            "Mobile",
            "Date_of_Birth",
            fmap.contact_title,
            fmap.contact_decision_maker,
            fmap.contact_wechat,
        ),
        "deal": (
            "Deal_Name",
            "Account_Name",
            "Amount",
            "Stage",
            "Closing_Date",
            "Currency",
            fmap.deal_gross_profit,
        ),
        "case": (
            "Subject",
            "Account_Name",
            "Contact_Name",
            "Priority",
            "Status",
            "Type",
            "Description",
            "Solution",
        ),
        "call": ("Subject", "What_Id", "Who_Id", "Call_Start_Time", "Description"),
        "event": ("Event_Title", "What_Id", "Who_Id", "Start_DateTime", "Description"),
        "task": ("Subject", "What_Id", "Who_Id", "Closed_Time", "Due_Date", "Description"),
        "note": ("Note_Title", "Note_Content", "Parent_Id"),
    }
    if kind not in by_kind:
        raise ValidationError("kind", kind, "has no default fields; pass fields explicitly")
    return tuple(f for f in (*by_kind[kind], *common) if f)
