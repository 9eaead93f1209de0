"""The points service: earn by rule, redeem, adjust and expire, all through the ledger.

The balance is never stored; it is the sum of the customer's ledger entries. Deductions take
points from the lots that expire first (FIFO by expiry date, then by when they were earned),
and record which lots they used, so each lot's remainder is the lot minus what was taken
from it. A deduction larger than the balance is refused; the ledger never goes below zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import attrs

from keyaccount.clock import Clock
from keyaccount.errors import KeyaccountError, ValidationError
from keyaccount.events import DomainEvent, EventSink
from keyaccount.loyalty.models import PointsEntry, PointsEntryId, PointsKind
from keyaccount.loyalty.rules import EarnRules
from keyaccount.models import Customer, CustomerId, Receivable, Transaction, TransactionKind, new_id
from keyaccount.storage import Store, eq, ne


class InsufficientPoints(KeyaccountError):
    """A redemption or deduction asked for more points than the customer has."""

    def __init__(self, customer_id: str, wanted: int, available: int) -> None:
        self.customer_id = customer_id
        self.wanted = wanted
        self.available = available
        super().__init__(f"customer {customer_id} has {available} points; cannot deduct {wanted}")


@attrs.frozen
class Lot:
    """Points added by one entry, and how many of them are left."""

    lot_id: str
    earned_at: datetime
    expires_on: date | None
    points: int
    remaining: int

    def fifo_key(self) -> tuple[date, datetime, str]:
        return (self.expires_on or date.max, self.earned_at, self.lot_id)


def lots_of(entries: Iterable[PointsEntry]) -> list[Lot]:
    """Every lot with its remainder, soonest-expiring first."""
    entries = list(entries)
    taken: dict[str, int] = {}
    for e in entries:
        for lot_id, n in e.allocations.items():
            taken[lot_id] = taken.get(lot_id, 0) + n
    lots = [
        Lot(e.id, e.at, e.expires_on, e.points, e.points - taken.get(e.id, 0))
        for e in entries
        if e.points > 0
    ]
    return sorted(lots, key=Lot.fifo_key)


class LoyaltyService:
    def __init__(
        self, store: Store, clock: Clock, events: EventSink, rules: EarnRules | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.events = events
        self.rules = rules or EarnRules()

    # -- reading -----------------------------------------------------------------------------

    def ledger(self, customer_id: str) -> list[PointsEntry]:
        return list(
            self.store.query(PointsEntry, eq("customer_id", customer_id), order_by=("at", "id"))
        )

    def balance(self, customer_id: str) -> int:
        return sum(e.points for e in self.ledger(customer_id))

    def lots(self, customer_id: str) -> list[Lot]:
        return lots_of(self.ledger(customer_id))

    # -- earning -----------------------------------------------------------------------------

    def _existing(self, source_ref: str) -> PointsEntry | None:
        return next(
            iter(self.store.query(PointsEntry, eq("source_ref", source_ref), limit=1)), None
        )

    def _lot(
        self, customer_id: str, kind: PointsKind, points: int, reason: str, source_ref: str | None
    ) -> PointsEntry:
        now = self.clock.now()
        days = self.rules.validity_days
        return PointsEntry(
            id=PointsEntryId(new_id("pts")),
            customer_id=CustomerId(customer_id),
            at=now,
            kind=kind,
            points=points,
            reason=reason,
            expires_on=None if days is None else now.date() + timedelta(days=days),
            source_ref=source_ref,
        )

    def _add(
        self, customer_id: str, kind: PointsKind, points: int, reason: str, source_ref: str | None
    ) -> PointsEntry:
        entry = self._lot(customer_id, kind, points, reason, source_ref)
        self.store.put(entry)
        self._announce("points.earned" if kind is PointsKind.EARN else "points.adjusted", entry)
        return entry

    def earn_for_purchase(self, transaction: Transaction) -> PointsEntry | None:
        """Points for an order; ``None`` for refunds and orders worth less than a point.
        Earning twice for one transaction returns the first entry."""
        ref = f"transaction:{transaction.id}"
        if (existing := self._existing(ref)) is not None:
            return existing
        customer = self.store.get(Customer, transaction.customer_id)
        entry = self._purchase_entry(transaction, customer)
        if entry is not None:
            self.store.put(entry)
            self._announce("points.earned", entry)
        return entry

    def _purchase_entry(self, transaction: Transaction, customer: Customer) -> PointsEntry | None:
        if transaction.kind is not TransactionKind.ORDER:
            return None
        points = self.rules.purchase_points(transaction.amount, customer.tier)
        if points == 0:
            return None
        ref = f"transaction:{transaction.id}"
        return self._lot(customer.id, PointsKind.EARN, points, "purchase", ref)

    def earn_for_payment(self, receivable: Receivable) -> PointsEntry | None:
        """Points for a receivable paid in full by its due date (按期回款); else ``None``."""
        ref = f"receivable:{receivable.id}"
        if (existing := self._existing(ref)) is not None:
            return existing
        entry = self._payment_entry(receivable)
        if entry is not None:
            self.store.put(entry)
            self._announce("points.earned", entry)
        return entry

    def _payment_entry(self, receivable: Receivable) -> PointsEntry | None:
        if (
            receivable.paid_on is None
            or not receivable.settled
            or receivable.paid_on > receivable.due_on
        ):
            return None
        points = self.rules.payment_points(receivable.amount)
        if points == 0:
            return None
        ref = f"receivable:{receivable.id}"
        return self._lot(receivable.customer_id, PointsKind.EARN, points, "on-time payment", ref)

    def award_pending(self) -> list[PointsEntry]:
        """Earn, in one transaction, for every order and on-time payment that has not earned
        yet: the nightly job. Safe to run any number of times."""
        earned = {e.source_ref for e in self.store.query(PointsEntry) if e.source_ref}
        customers: dict[str, Customer] = {}
        new: list[PointsEntry] = []
        with self.store.transaction():
            for t in self.store.query(Transaction, eq("kind", TransactionKind.ORDER)):
                if f"transaction:{t.id}" in earned:
                    continue
                if t.customer_id not in customers:
                    customers[t.customer_id] = self.store.get(Customer, t.customer_id)
                if (entry := self._purchase_entry(t, customers[t.customer_id])) is not None:
                    new.append(entry)
            for r in self.store.query(Receivable, ne("paid_on", None)):
                if f"receivable:{r.id}" not in earned and (entry := self._payment_entry(r)):
                    new.append(entry)
            if new:
                self.store.put_many(new)
        for entry in new:
            self._announce("points.earned", entry)
        return new

    def earn_for_referral(self, customer_id: str, referred_id: str) -> PointsEntry:
        """The referral bonus (转介绍). A referred customer earns its referrer a bonus once."""
        if customer_id == referred_id:
            raise ValidationError(
                "Referral.referred_id", referred_id, "a customer cannot refer itself"
            )
        self.store.get(Customer, customer_id)
        self.store.get(Customer, referred_id)
        ref = f"referral:{referred_id}"
        existing = self._existing(ref)
        if existing is not None:
            if existing.customer_id != customer_id:
                raise ValidationError(
                    "Referral.referred_id",
                    referred_id,
                    f"was already credited to {existing.customer_id} as a referral",
                )
            return existing
        if self.rules.referral_points == 0:
            raise ValidationError("EarnRules.referral_points", 0, "referrals earn nothing")
        return self._add(customer_id, PointsKind.EARN, self.rules.referral_points, "referral", ref)

    # -- deducting ---------------------------------------------------------------------------

    def _deduct(self, customer_id: str, kind: PointsKind, points: int, reason: str) -> PointsEntry:
        if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
            raise ValidationError(f"{kind.value}.points", points, "must be a positive whole number")
        with self.store.transaction():
            expired = self._due_expiries(self.clock.now().date(), customer_id)
            if expired:
                self.store.put_many(expired)
            lots = [lot for lot in self.lots(customer_id) if lot.remaining > 0]
            available = sum(lot.remaining for lot in lots)
            if points > available:
                raise InsufficientPoints(customer_id, points, available)
            allocations: dict[str, int] = {}
            left = points
            for lot in lots:
                take = min(left, lot.remaining)
                allocations[lot.lot_id] = take
                left -= take
                if left == 0:
                    break
            entry = PointsEntry(
                id=PointsEntryId(new_id("pts")),
                customer_id=CustomerId(customer_id),
                at=self.clock.now(),
                kind=kind,
                points=-points,
                reason=reason,
                allocations=allocations,
            )
            self.store.put(entry)
        for e in expired:
            self._announce("points.expired", e)
        self._announce(f"points.{'redeemed' if kind is PointsKind.REDEEM else 'adjusted'}", entry)
        return entry

    def redeem(self, customer_id: str, points: int, reason: str) -> PointsEntry:
        """Spend points (积分兑换); ``InsufficientPoints`` if the balance is short."""
        return self._deduct(customer_id, PointsKind.REDEEM, points, reason)

    def adjust(self, customer_id: str, points: int, reason: str) -> PointsEntry:
        """A correction by hand, with a reason; a negative one cannot overdraw either."""
        if not isinstance(points, int) or isinstance(points, bool) or points == 0:
            raise ValidationError("adjust.points", points, "must be a non-zero whole number")
        self.store.get(Customer, customer_id)
        if points < 0:
            return self._deduct(customer_id, PointsKind.ADJUST, -points, reason)
        return self._add(customer_id, PointsKind.ADJUST, points, reason, None)

    def expire_due(
        self, on: date | None = None, *, customer_id: str | None = None
    ) -> list[PointsEntry]:
        """Write an expiry for every lot whose ``expires_on`` is on or before ``on`` (default
        today) and still has points, for one customer or all."""
        written = self._due_expiries(on or self.clock.now().date(), customer_id)
        if written:
            self.store.put_many(written)
            for entry in written:
                self._announce("points.expired", entry)
        return written

    def _due_expiries(self, on: date, customer_id: str | None) -> list[PointsEntry]:
        conditions = () if customer_id is None else (eq("customer_id", customer_id),)
        by_customer: dict[str, list[PointsEntry]] = {}
        for e in self.store.query(PointsEntry, *conditions):
            by_customer.setdefault(e.customer_id, []).append(e)
        written: list[PointsEntry] = []
        now = self.clock.now()
        for cid, entries in sorted(by_customer.items()):
            for lot in lots_of(entries):
                if lot.expires_on is None or lot.expires_on > on or lot.remaining == 0:
                    continue
                written.append(
                    PointsEntry(
                        id=PointsEntryId(new_id("pts")),
                        customer_id=CustomerId(cid),
                        at=now,
                        kind=PointsKind.EXPIRE,
                        points=-lot.remaining,
                        reason=f"expired on {lot.expires_on.isoformat()}",
                        allocations={lot.lot_id: lot.remaining},
                    )
                )
        return written

    def _announce(self, name: str, entry: PointsEntry) -> None:
        self.events.emit(
            DomainEvent(
                name=name,
                occurred_at=entry.at,
                subject_id=entry.customer_id,
                data={"entry_id": entry.id, "points": entry.points, "reason": entry.reason},
            )
        )
