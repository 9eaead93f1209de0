"""Orders (交易) and receivables (应收账款) with credit profiles (信用档案)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import attrs

from keyaccount import validation as v
from keyaccount.errors import ValidationError
from keyaccount.models.enums import TransactionKind, to_transaction_kind
from keyaccount.models.ids import (
    CreditProfileId,
    CustomerId,
    ReceivableId,
    TransactionId,
    UserId,
)
from keyaccount.money import Money


@attrs.frozen
class Transaction:
    """An order or a refund. Refunds carry negative amounts; gross profit may be negative."""

    id: TransactionId = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    occurred_at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    amount: Money = attrs.field(validator=v.money)
    gross_profit: Money = attrs.field(validator=v.money)
    kind: TransactionKind = attrs.field(
        default=TransactionKind.ORDER,
        converter=to_transaction_kind,
        validator=v.member_of(TransactionKind),
    )
    owner_id: UserId | None = attrs.field(default=None, validator=v.optional_id)
    description: str | None = attrs.field(default=None, validator=v.optional_text)
    external_refs: dict[str, str] = attrs.field(
        factory=dict, converter=v.text_mapping, validator=v.text_to_text, hash=False
    )

    def __attrs_post_init__(self) -> None:
        if self.gross_profit.currency != self.amount.currency:
            raise ValidationError(
                "Transaction.gross_profit", self.gross_profit, f"must be in {self.amount.currency}"
            )
        if self.kind is TransactionKind.ORDER and self.amount.is_negative():
            raise ValidationError("Transaction.amount", self.amount, "an order cannot be negative")
        if self.kind is TransactionKind.REFUND and self.amount.amount > 0:
            raise ValidationError(
                "Transaction.amount", self.amount, "a refund must be zero or negative"
            )


def _paid_amount_default(self: Any) -> Money | None:
    return self.amount if self.paid_on is not None else None


@attrs.frozen
class Receivable:
    """An amount owed: issued, due, and (once settled) paid on a date."""

    id: ReceivableId = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    amount: Money = attrs.field(validator=v.non_negative_money)
    issued_on: date = attrs.field(validator=v.a_date)
    due_on: date = attrs.field(validator=v.a_date)
    paid_on: date | None = attrs.field(default=None, validator=v.optional_date)
    paid_amount: Money | None = attrs.field(
        default=attrs.Factory(_paid_amount_default, takes_self=True), validator=v.optional_money
    )
    transaction_id: TransactionId | None = attrs.field(default=None, validator=v.optional_id)

    def __attrs_post_init__(self) -> None:
        if self.due_on < self.issued_on:
            raise ValidationError("Receivable.due_on", self.due_on, "cannot be before issued_on")
        if self.paid_on is not None and self.paid_on < self.issued_on:
            raise ValidationError("Receivable.paid_on", self.paid_on, "cannot be before issued_on")
        if self.paid_amount is not None:
            if self.paid_amount.currency != self.amount.currency:
                raise ValidationError(
                    "Receivable.paid_amount", self.paid_amount, f"must be in {self.amount.currency}"
                )
            if self.paid_amount.is_negative() or self.paid_amount > self.amount:
                raise ValidationError(
                    "Receivable.paid_amount", self.paid_amount, "must be between 0 and amount"
                )

    @property
    def outstanding(self) -> Money:
        paid = (
            self.paid_amount if self.paid_amount is not None else Money.zero(self.amount.currency)
        )
        return self.amount - paid

    @property
    def settled(self) -> bool:
        return self.outstanding.is_zero()

    def days_overdue(self, on: date) -> int:
        """Days past due on ``on`` while unpaid; 0 if not yet due or settled by then."""
        if self.paid_on is not None and self.paid_on <= on and self.settled:
            return 0
        return max(0, (on - self.due_on).days)


@attrs.frozen
class CreditProfile:
    """信用档案: rating, credit limit and payment terms of one customer."""

    id: CreditProfileId = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    credit_limit: Money = attrs.field(validator=v.non_negative_money)
    payment_terms_days: int = attrs.field(default=30, validator=v.int_between(0, 365))
    rating: str | None = attrs.field(default=None, validator=v.optional_text)
    updated_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc, validator=v.optional_utc_datetime
    )
