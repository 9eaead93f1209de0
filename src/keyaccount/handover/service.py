"""Handover (客户交接): a departing manager's accounts and open work move to successors.

Everything moves in one unit of work or nothing does. A preview comes first and says exactly
what would move to whom; ``execute`` re-checks it inside the transaction so a preview that
has gone stale (a complaint closed, an account moved meanwhile) is refused, never half-applied.
History — interactions, transactions, closed complaints, done visits — keeps the names of the
people who did the work and is never touched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from keyaccount.clock import Clock
from keyaccount.errors import KeyaccountError, ValidationError
from keyaccount.events import DomainEvent, EventSink
from keyaccount.followups import FollowUp
from keyaccount.handover.models import Handover, HandoverId
from keyaccount.models import Complaint, Customer, CustomerStatus, User, UserId, new_id
from keyaccount.storage import Store, eq
from keyaccount.visits.records import PlannedVisit


class HandoverConflict(KeyaccountError):
    """The store changed between preview and execution; preview again."""


def _account_is_live(customer: Customer) -> bool:
    return customer.status is not CustomerStatus.MERGED


def _is_open(record: Any) -> bool:
    return bool(record.is_open)


@attrs.frozen
class Mover:
    """One kind of work a manager holds: records of ``cls`` whose ``field`` names him and for
    which ``is_current`` holds move; the rest is history."""

    cls: type[Any]
    field: str
    is_current: Callable[[Any], bool]


DEFAULT_MOVERS: tuple[Mover, ...] = (
    Mover(Customer, "owner_id", _account_is_live),
    Mover(Complaint, "assignee_id", _is_open),
    Mover(PlannedVisit, "owner_id", _is_open),
    Mover(FollowUp, "owner_id", _is_open),
)


@attrs.frozen
class Move:
    kind: str
    record_id: str
    customer_id: str
    field: str
    successor_id: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.record_id}"


def _str_map(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@attrs.frozen
class HandoverPlan:
    """What a handover would do; pass it to ``HandoverService.execute``."""

    departing_id: str
    moves: tuple[Move, ...]
    default_successor_id: str | None = None
    by_customer: Mapping[str, str] = attrs.field(factory=dict, converter=_str_map, hash=False)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per successor, how many records of each kind they receive."""
        out: dict[str, Counter[str]] = {}
        for m in self.moves:
            out.setdefault(m.successor_id, Counter())[m.kind] += 1
        return {who: dict(sorted(c.items())) for who, c in sorted(out.items())}

    def lines(self) -> list[str]:
        return [f"{m.kind} {m.record_id} ({m.customer_id}) -> {m.successor_id}" for m in self.moves]


def _user(value: str | None) -> UserId | None:
    return None if value is None else UserId(value)


class HandoverService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        events: EventSink,
        movers: Sequence[Mover] = DEFAULT_MOVERS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.events = events
        self.movers = tuple(movers)

    def preview(
        self,
        departing_id: str,
        *,
        successor_id: str | None = None,
        by_customer: Mapping[str, str] | None = None,
    ) -> HandoverPlan:
        """What would move, and to whom.

        Each record goes to the successor named for its customer in ``by_customer``, else to
        ``successor_id``; open work on a customer the departing manager does not own goes to
        that customer's owner. Raises ``ValidationError`` for an unknown, inactive or departing
        successor, and for records no successor is named for.
        """
        mapping = dict(by_customer or {})
        departing = self.store.get(User, departing_id)
        self._check_successors(departing, successor_id, mapping)
        unknown = sorted(set(mapping) - set(self.store.get_many(Customer, mapping)))
        if unknown:
            raise ValidationError("Handover.by_customer", unknown, "no such customers")

        moves: list[Move] = []
        unresolved: set[str] = set()
        for mover in self.movers:
            if mover.cls not in self.store.schemas:
                continue
            kind = self.store.schemas.for_class(mover.cls).kind
            records = [
                r
                for r in self.store.query(mover.cls, eq(mover.field, departing.id))
                if mover.is_current(r)
            ]
            owners = self._owners({r.customer_id for r in records if mover.cls is not Customer})
            for r in records:
                customer_id = r.id if mover.cls is Customer else r.customer_id
                successor = mapping.get(customer_id) or successor_id
                if successor is None:
                    owner = owners.get(customer_id)
                    if owner is not None and owner != departing.id:
                        successor = owner
                if successor is None:
                    unresolved.add(customer_id)
                    continue
                moves.append(Move(kind, r.id, customer_id, mover.field, successor))
        if unresolved:
            raise ValidationError(
                "Handover.successor_id",
                sorted(unresolved),
                "no successor named for these customers; map them or name one successor for all",
            )
        return HandoverPlan(departing.id, tuple(moves), successor_id, mapping)

    def _owners(self, customer_ids: set[str]) -> dict[str, str | None]:
        return {cid: c.owner_id for cid, c in self.store.get_many(Customer, customer_ids).items()}

    def _check_successors(
        self, departing: User, default: str | None, mapping: Mapping[str, str]
    ) -> None:
        named = set(mapping.values()) | ({default} if default else set())
        found = self.store.get_many(User, named)
        for who in sorted(named):
            field = "Handover.successor_id"
            if who == departing.id:
                raise ValidationError(field, who, "is the departing manager")
            if who not in found:
                raise ValidationError(field, who, "no such user")
            if not found[who].active:
                raise ValidationError(field, who, "is not active")

    def execute(
        self,
        plan: HandoverPlan,
        *,
        by_id: str | None = None,
        deactivate: bool = True,
        note: str | None = None,
    ) -> Handover:
        """Apply ``plan`` in one transaction and store the ``Handover`` record.

        ``deactivate`` marks the departing user inactive in the same transaction. Raises
        ``HandoverConflict`` if the store no longer matches the plan.
        """
        now = self.clock.now()
        with self.store.transaction():
            fresh = self.preview(
                plan.departing_id,
                successor_id=plan.default_successor_id,
                by_customer=plan.by_customer,
            )
            if fresh.moves != plan.moves:
                raise HandoverConflict(
                    f"the open work of {plan.departing_id} changed since the preview; "
                    "preview the handover again"
                )
            classes = {
                self.store.schemas.for_class(m.cls).kind: m.cls
                for m in self.movers
                if m.cls in self.store.schemas
            }
            for move in plan.moves:
                record = self.store.get(classes[move.kind], move.record_id)
                self.store.put(attrs.evolve(record, **{move.field: move.successor_id}))
            if deactivate:
                departing = self.store.get(User, plan.departing_id)
                self.store.put(attrs.evolve(departing, active=False))
            handover = Handover(
                id=HandoverId(new_id("hnd")),
                departing_id=UserId(plan.departing_id),
                at=now,
                moves={m.key: m.successor_id for m in plan.moves},
                default_successor_id=_user(plan.default_successor_id),
                by_id=_user(by_id),
                deactivated=deactivate,
                note=note,
            )
            self.store.put(handover)
        self.events.emit(
            DomainEvent(
                name="handover.completed",
                occurred_at=now,
                subject_id=plan.departing_id,
                data={"handover_id": handover.id, "moved": plan.counts()},
            )
        )
        return handover
