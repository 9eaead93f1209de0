"""The points ledger (积分明细): every change of a customer's points is one entry."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, NewType

import attrs

from keyaccount import validation as v
from keyaccount.errors import ValidationError
from keyaccount.models.enums import coerce
from keyaccount.models.ids import CustomerId

PointsEntryId = NewType("PointsEntryId", str)


class PointsKind(StrEnum):
    EARN = "earn"
    REDEEM = "redeem"
    EXPIRE = "expire"
    ADJUST = "adjust"


def to_points_kind(value: Any) -> Any:
    return coerce(PointsKind, value)


def _whole(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value == 0:
        raise ValidationError(
            v.field_name(instance, attribute), value, "must be a non-zero whole number"
        )


def _allocations(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k and isinstance(n, int) and not isinstance(n, bool) and n > 0
        for k, n in value.items()
    ):
        raise ValidationError(
            v.field_name(instance, attribute), value, "must map lot ids to positive whole points"
        )


@attrs.frozen
class PointsEntry:
    """One ledger line. ``points`` is signed: earnings add, redemptions and expiries subtract.

    A positive entry opens a lot (its own id) that may expire on ``expires_on`` (the first
    day it is no longer usable). A negative entry says in ``allocations`` which lots it used
    up and by how much, so every lot's remainder is a plain sum, independent of entry order.
    ``source_ref`` (``transaction:<id>``, ``receivable:<id>``, ``referral:<customer id>``)
    makes rule earnings idempotent.
    """

    id: PointsEntryId = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    kind: PointsKind = attrs.field(converter=to_points_kind, validator=v.member_of(PointsKind))
    points: int = attrs.field(validator=_whole)
    reason: str = attrs.field(validator=v.non_empty_text)
    expires_on: date | None = attrs.field(default=None, validator=v.optional_date)
    allocations: dict[str, int] = attrs.field(factory=dict, validator=_allocations, hash=False)
    source_ref: str | None = attrs.field(default=None, validator=v.optional_text)

    def __attrs_post_init__(self) -> None:
        sign = {PointsKind.EARN: 1, PointsKind.REDEEM: -1, PointsKind.EXPIRE: -1}.get(self.kind)
        if sign is not None and (self.points > 0) != (sign > 0):
            word = "positive" if sign > 0 else "negative"
            raise ValidationError(
                "PointsEntry.points", self.points, f"a {self.kind} entry is {word}"
            )
        if self.points > 0:
            if self.allocations:
                raise ValidationError(
                    "PointsEntry.allocations", self.allocations, "only deductions use lots"
                )
        else:
            if self.expires_on is not None:
                raise ValidationError(
                    "PointsEntry.expires_on", self.expires_on, "only a lot (points added) expires"
                )
            if sum(self.allocations.values()) != -self.points:
                raise ValidationError(
                    "PointsEntry.allocations",
                    self.allocations,
                    f"must add up to the {-self.points} points deducted",
                )
        if self.kind is PointsKind.EXPIRE and len(self.allocations) != 1:
            raise ValidationError(
                "PointsEntry.allocations", self.allocations, "an expiry closes exactly one lot"
            )
