"""Stored tiering records: assignment history, runs, manual overrides and potential ratings."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs

from keyaccount import validation as v
from keyaccount.errors import ValidationError
from keyaccount.models import CustomerId
from keyaccount.slots import slot_builder

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


# History records are written by the hundred thousand per run; these take the common case
# (a datetime already in UTC) without the general checks, and defer to them otherwise.
def to_utc_fast(value: Any) -> Any:
    """Converter: like ``validation.to_utc``, with a shortcut for values already in UTC."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value
    return v.to_utc(value)


def utc_fast(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Validator: like ``validation.utc_datetime``, with a shortcut for values in UTC."""
    if type(value) is datetime and value.tzinfo is UTC:
        return
    v.utc_datetime(instance, attribute, value)


def _explanation(value: Any) -> tuple[dict[str, Any], ...]:
    # Stored as JSON, read back as a list of dicts: normalise to a tuple so a record read
    # from any backend equals the one written.
    if isinstance(value, tuple) and all(type(x) is dict for x in value):
        return value
    if isinstance(value, list | tuple) and all(isinstance(x, dict) for x in value):
        return tuple(dict(x) for x in value)
    raise ValidationError("TierAssignment.explanation", value, "must be a list of dicts")


@attrs.frozen
class TierRun:
    """One tiering run over the book; assignments point at it."""

    id: str = attrs.field(validator=v.record_id)
    ran_at: datetime = attrs.field(converter=to_utc_fast, validator=utc_fast)
    as_of: datetime = attrs.field(converter=to_utc_fast, validator=utc_fast)
    tier_set: str = attrs.field(validator=v.non_empty_text)
    rule: str = attrs.field(validator=v.non_empty_text)
    customers: int = attrs.field(validator=v.int_between(0, None))
    changed: int = attrs.field(validator=v.int_between(0, None))


@attrs.frozen
class TierAssignment:
    """One customer's tier from one run, with the explanation of how it was reached.

    ``base_tier`` is what the score alone gives, ``computed_tier`` the tier after hysteresis
    and ``tier`` the final one (differs from ``computed_tier`` only under an override).
    ``explanation`` holds per criterion: criterion, label, raw, score, weight, contribution.
    """

    id: str = attrs.field(validator=v.record_id)
    run_id: str = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    assigned_at: datetime = attrs.field(converter=to_utc_fast, validator=utc_fast)
    tier: str = attrs.field(validator=v.non_empty_text)
    computed_tier: str = attrs.field(validator=v.non_empty_text)
    base_tier: str = attrs.field(validator=v.non_empty_text)
    score: Decimal = attrs.field()
    tier_set: str = attrs.field(validator=v.non_empty_text)
    reason: str = attrs.field(validator=v.non_empty_text)
    explanation: tuple[dict[str, Any], ...] = attrs.field(converter=_explanation, hash=False)
    previous_tier: str | None = attrs.field(default=None, validator=v.optional_text)
    override_id: str | None = attrs.field(default=None, validator=v.optional_id)

    @score.validator
    def _check_score(self, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
        if not isinstance(value, Decimal) or not _ZERO <= value <= _HUNDRED:
            raise ValidationError("TierAssignment.score", value, "must be a Decimal 0–100")


def next_assignment(
    checked: TierAssignment,
    id: str,
    customer_id: CustomerId,
    tier: str,
    computed_tier: str,
    base_tier: str,
    score: Decimal,
    reason: str,
    explanation: tuple[dict[str, Any], ...],
    previous_tier: str | None,
    override_id: str | None,
) -> TierAssignment:
    """Another assignment of ``checked``'s run without running every field check again: a
    first review stores one per customer, and the checks were most of their cost (at 100k
    about 1.5 s of the tiering section).

    Only for values a tiering run produced: ``id`` the run's checked prefix with another
    counter; tiers are codes of the run's ``TierSet`` or a stored override's tier; ``score``
    the rounded, clamped 0–100 score; ``reason`` non-empty text built by the run;
    ``explanation`` a tuple of dicts from ``scoring.explanations``; ``previous_tier`` a
    validated ``Customer.tier`` and ``override_id`` a stored override's id. ``run_id``,
    ``assigned_at`` and ``tier_set`` come from ``checked``, which its constructor validated.
    ``customer_id`` (a key of the caller's book) is still checked.
    """
    new: TierAssignment = _build_assignment(
        id,
        checked.run_id,
        customer_id,
        checked.assigned_at,
        tier,
        computed_tier,
        base_tier,
        score,
        checked.tier_set,
        reason,
        explanation,
        previous_tier,
        override_id,
    )
    v.record_id(new, _CUSTOMER_ID, customer_id)
    return new


_CUSTOMER_ID = attrs.fields(TierAssignment).customer_id
_build_assignment = slot_builder(TierAssignment)


@attrs.frozen
class TierOverride:
    """A manual tier (人工调整) with its reason and author, effective ``[created_at, expires_at)``."""

    id: str = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    tier: str = attrs.field(validator=v.non_empty_text)
    reason: str = attrs.field(validator=v.non_empty_text)
    author: str = attrs.field(validator=v.non_empty_text)
    created_at: datetime = attrs.field(converter=to_utc_fast, validator=utc_fast)
    expires_at: datetime = attrs.field(converter=to_utc_fast, validator=utc_fast)

    def __attrs_post_init__(self) -> None:
        if self.expires_at <= self.created_at:
            raise ValidationError(
                "TierOverride.expires_at", self.expires_at, "must be after created_at"
            )

    def active_at(self, when: datetime) -> bool:
        return self.created_at <= when < self.expires_at


@attrs.frozen
class PotentialRating:
    """A manual potential rating (客户潜力) 1–5: industry position, growth prospects."""

    id: str = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    rating: int = attrs.field(validator=v.int_between(1, 5))
    rated_by: str = attrs.field(validator=v.non_empty_text)
    rated_at: datetime = attrs.field(converter=to_utc_fast, validator=utc_fast)
    note: str | None = attrs.field(default=None, validator=v.optional_text)
