"""Customer (客户) and Contact (联系人): the 360° profile."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import attrs

from keyaccount import credit_code as uscc
from keyaccount import validation as v
from keyaccount.errors import ValidationError
from keyaccount.models.enums import Channel, CustomerStatus, to_channel, to_customer_status
from keyaccount.models.ids import ContactId, CustomerId, UserId
from keyaccount.money import Money
from keyaccount.slots import slot_builder


def _credit_code(value: Any) -> Any:
    if isinstance(value, str):
        text = uscc.normalise(value)
        return text or None
    return value


def _check_credit_code(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        uscc.validate(value, v.field_name(instance, attribute))


@attrs.frozen
class Customer:
    """A business customer. ``external_refs`` maps a provider name to the remote record id."""

    id: CustomerId = attrs.field(validator=v.record_id)
    name: str = attrs.field(validator=v.non_empty_text)
    created_at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    legal_name: str | None = attrs.field(default=None, validator=v.optional_text)
    credit_code: str | None = attrs.field(
        default=None, converter=_credit_code, validator=_check_credit_code
    )
    industry: str | None = attrs.field(default=None, validator=v.optional_text)
    region: str | None = attrs.field(default=None, validator=v.optional_text)
    employees: int | None = attrs.field(
        default=None, validator=v.int_between(0, None, optional=True)
    )
    annual_revenue: Money | None = attrs.field(default=None, validator=v.optional_money)
    owner_id: UserId | None = attrs.field(default=None, validator=v.optional_id)
    team: str | None = attrs.field(default=None, validator=v.optional_text)
    tier: str | None = attrs.field(default=None, validator=v.optional_text)
    tags: tuple[str, ...] = attrs.field(default=(), converter=v.text_tuple, validator=v.all_text)
    status: CustomerStatus = attrs.field(
        default=CustomerStatus.ACTIVE,
        converter=to_customer_status,
        validator=v.member_of(CustomerStatus),
    )
    merged_into: CustomerId | None = attrs.field(default=None, validator=v.optional_id)
    external_refs: dict[str, str] = attrs.field(
        factory=dict, converter=v.text_mapping, validator=v.text_to_text, hash=False
    )
    reviewed_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc, validator=v.optional_utc_datetime
    )

    def __attrs_post_init__(self) -> None:
        if self.status is CustomerStatus.MERGED and self.merged_into is None:
            raise ValidationError(
                "Customer.merged_into", None, "a merged customer must name the survivor"
            )
        if self.merged_into is not None and self.merged_into == self.id:
            raise ValidationError(
                "Customer.merged_into", self.merged_into, "cannot merge into itself"
            )

    def with_tier(self, tier: str | None) -> Customer:
        """This customer with ``tier``: ``attrs.evolve(self, tier=tier)`` at a sixth of the
        cost. A tiering run re-tiers every customer of a first review; the other fields were
        validated when this record was built and are copied as they are, only ``tier`` is
        validated (with the field's own validator)."""
        v.optional_text(self, _TIER_FIELD, tier)
        new: Customer = _build_customer(
            self.id,
            self.name,
            self.created_at,
            self.legal_name,
            self.credit_code,
            self.industry,
            self.region,
            self.employees,
            self.annual_revenue,
            self.owner_id,
            self.team,
            tier,
            self.tags,
            self.status,
            self.merged_into,
            self.external_refs,
            self.reviewed_at,
        )
        return new

    def with_external_ref(self, provider: str, remote_id: str) -> Customer:
        return attrs.evolve(self, external_refs={**self.external_refs, provider: remote_id})


_TIER_FIELD = attrs.fields(Customer).tier
_build_customer = slot_builder(Customer)


@attrs.frozen
class Contact:
    """A person at a customer; ``decision_maker`` marks 关键决策人."""

    id: ContactId = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    name: str = attrs.field(validator=v.non_empty_text)
    title: str | None = attrs.field(default=None, validator=v.optional_text)
    decision_maker: bool = attrs.field(default=False, validator=v.a_bool)
    phone: str | None = attrs.field(default=None, validator=v.phone)
    email: str | None = attrs.field(default=None, validator=v.email)
    wechat: str | None = attrs.field(default=None, validator=v.optional_text)
    preferred_channel: Channel | None = attrs.field(
        default=None, converter=to_channel, validator=v.optional_member_of(Channel)
    )
    birthday: date | None = attrs.field(default=None, validator=v.optional_date)
    external_refs: dict[str, str] = attrs.field(
        factory=dict, converter=v.text_mapping, validator=v.text_to_text, hash=False
    )
