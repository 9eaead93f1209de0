"""The tiering service: score the book, decide tiers, store the history, update customers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from keyaccount.activity import Book, gc_paused, load_activity
from keyaccount.clock import Clock, ensure_utc
from keyaccount.errors import ValidationError
from keyaccount.events import DomainEvent, EventSink, event_builder
from keyaccount.fx import ExchangeRates
from keyaccount.models import Customer, CustomerId, new_id
from keyaccount.storage import Store, eq, gt
from keyaccount.tiering.assign import Hysteresis, RankShare, TierDecision, TierRule, assign_tiers
from keyaccount.tiering.records import (
    PotentialRating,
    TierAssignment,
    TierOverride,
    TierRun,
    next_assignment,
)
from keyaccount.tiering.scoring import ScoringModel, explanations
from keyaccount.tiering.sets import ABC, TierSet

TIER_CHANGED = "tier.changed"


def default_rule() -> RankShare:
    """Top 20 % A, next 30 % B, the rest C."""
    return RankShare({"A": 0.2, "B": 0.3})


@attrs.frozen
class TieringResult:
    """Decisions of one evaluation, by customer; ``changed`` lists the tier changes."""

    as_of: datetime
    tier_set: TierSet
    rule: str
    decisions: Mapping[CustomerId, TierDecision] = attrs.field(hash=False)
    run_id: str | None = None
    # ``ordered`` sorts the whole book; a run and its review ask for it (and ``changed``)
    # several times.
    _ordered: tuple[TierDecision, ...] | None = attrs.field(
        init=False, default=None, eq=False, repr=False
    )
    _changed: tuple[TierDecision, ...] | None = attrs.field(
        init=False, default=None, eq=False, repr=False
    )

    @property
    def ordered(self) -> tuple[TierDecision, ...]:
        """Every decision, by customer id."""
        if self._ordered is None:
            decisions = self.decisions
            ordered = tuple(decisions[cid] for cid in sorted(decisions))
            object.__setattr__(self, "_ordered", ordered)
            return ordered
        return self._ordered

    @property
    def changed(self) -> tuple[TierDecision, ...]:
        """The decisions that change a customer's tier, by customer id."""
        if self._changed is None:
            changed = tuple(d for d in self.ordered if d.changed)
            object.__setattr__(self, "_changed", changed)
            return changed
        return self._changed

    def counts(self) -> dict[str, int]:
        """Customers per tier code, in tier order."""
        out = dict.fromkeys(self.tier_set.codes, 0)
        for d in self.decisions.values():
            out[d.tier] = out.get(d.tier, 0) + 1
        return out


class TieringService:
    """Runs tiering over a book. Reads and writes only through the ``Store`` port."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        events: EventSink,
        rates: ExchangeRates,
        *,
        model: ScoringModel | None = None,
        tier_set: TierSet = ABC,
        rule: TierRule | None = None,
        hysteresis: Hysteresis | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.events = events
        self.rates = rates
        self.model = model or ScoringModel.default()
        self.tier_set = tier_set
        self.rule = rule or default_rule()
        self.hysteresis = hysteresis or Hysteresis()

    # -- reading state -------------------------------------------------------------------------

    def previous_tiers(self) -> dict[CustomerId, str | None]:
        """Computed tier per customer from the latest run (one query for the run, one for its rows)."""
        last = next(iter(self.store.query(TierRun, order_by=("-ran_at",), limit=1)), None)
        if last is None:
            return {}
        return {
            a.customer_id: a.computed_tier
            for a in self.store.query(TierAssignment, eq("run_id", last.id))
        }

    def active_overrides(self, as_of: datetime) -> dict[CustomerId, TierOverride]:
        """The override in force per customer at ``as_of`` (latest created wins)."""
        out: dict[CustomerId, TierOverride] = {}
        for o in self.store.query(TierOverride, gt("expires_at", as_of), order_by=("created_at",)):
            if o.active_at(as_of):
                out[o.customer_id] = o
        return out

    def potential_ratings(self, as_of: datetime) -> dict[CustomerId, int]:
        """Latest potential rating per customer given on or before ``as_of``."""
        out: dict[CustomerId, int] = {}
        for r in self.store.query(PotentialRating, order_by=("rated_at",)):
            if r.rated_at <= as_of:
                out[r.customer_id] = r.rating
        return out

    # -- evaluating ----------------------------------------------------------------------------

    def evaluate(
        self,
        book: Book,
        *,
        as_of: datetime | None = None,
        previous: Mapping[CustomerId, str | None] | None = None,
        overrides: Mapping[CustomerId, TierOverride] | None = None,
        potential: Mapping[CustomerId, int] | None = None,
    ) -> TieringResult:
        """Decide tiers for ``book`` without writing anything.

        Missing ``previous`` falls back to each customer's current ``tier`` field.
        """
        when = ensure_utc("as_of", as_of) if as_of is not None else self.clock.now()
        scores = self.model.score(book, as_of=when, rates=self.rates, potential=potential)
        current = {cid: act.customer.tier for cid, act in book.items()}
        prev = dict(current)
        if previous:
            prev.update({cid: t for cid, t in previous.items() if cid in prev})
        with gc_paused():
            decisions = assign_tiers(
                scores,
                self.tier_set,
                self.rule,
                as_of=when,
                previous=prev,
                current=current,
                overrides=overrides,
                hysteresis=self.hysteresis,
            )
        return TieringResult(when, self.tier_set, self.rule.describe(), decisions)

    def run(self, book: Book | None = None, *, as_of: datetime | None = None) -> TieringResult:
        """Evaluate, then in one transaction store the run, every assignment and the changed
        customers' ``tier``; ``tier.changed`` events follow the commit."""
        when = ensure_utc("as_of", as_of) if as_of is not None else self.clock.now()
        if book is None:
            book = load_activity(self.store)
        result = self.evaluate(
            book,
            as_of=when,
            previous=self.previous_tiers(),
            overrides=self.active_overrides(when),
            potential=self.potential_ratings(when),
        )
        ran_at = self.clock.now()
        run = TierRun(
            new_id("trun"),
            ran_at,
            when,
            self.tier_set.name,
            result.rule,
            len(result.decisions),
            len(changed := result.changed),
        )
        # Hundreds of thousands of records and dicts are built here while the book is alive:
        # with the collector running, each full collection rescans the whole book.
        with gc_paused():
            ordered = result.ordered
            assignments = _assignments(run, ordered, explanations([d.score for d in ordered]))
            updated = [book[d.customer_id].customer.with_tier(d.tier) for d in changed]
            with self.store.transaction():
                self.store.put(run)
                self.store.put_many(assignments)
                self.store.put_many(updated)
            announce = event_builder(TIER_CHANGED, ran_at)
            for d in changed:
                self.events.emit(_changed_event(announce, d, run.id))
        stored = attrs.evolve(result, run_id=run.id)
        object.__setattr__(stored, "_ordered", result._ordered)
        object.__setattr__(stored, "_changed", result._changed)
        return stored

    def override(
        self,
        customer_id: CustomerId,
        tier: str,
        *,
        reason: str,
        author: str,
        expires_at: datetime,
    ) -> TierOverride:
        """Set a tier by hand now; the customer's ``tier`` changes at once (same transaction)."""
        if self.tier_set.index(tier) is None:
            raise ValidationError(
                "TierOverride.tier", tier, f"is not a tier of {self.tier_set.name}"
            )
        now = self.clock.now()
        override = TierOverride(new_id("tovr"), customer_id, tier, reason, author, now, expires_at)
        with self.store.transaction():
            customer = self.store.get(Customer, customer_id)
            self.store.put(override)
            if customer.tier != tier:
                self.store.put(attrs.evolve(customer, tier=tier))
        if customer.tier != tier:
            self.events.emit(
                DomainEvent(
                    TIER_CHANGED,
                    now,
                    customer_id,
                    {
                        "from": customer.tier,
                        "to": tier,
                        "reason": f"override by {author}: {reason}",
                        "override_id": override.id,
                        "expires_at": expires_at.isoformat(),
                    },
                )
            )
        return override


def _assignments(
    run: TierRun, ordered: Sequence[TierDecision], explained: list[tuple[dict[str, Any], ...]]
) -> list[TierAssignment]:
    """One assignment per decision. One random run id, then a counter: ids stay unique
    without a syscall per record. The first is built (and checked) by the constructor, the
    rest by ``next_assignment`` from the run's own values."""
    out: list[TierAssignment] = []
    checked: TierAssignment | None = None
    for i, (d, explanation) in enumerate(zip(ordered, explained, strict=True)):
        assignment_id = f"tasg_{run.id}_{i:x}"
        score = Decimal(f"{min(100.0, max(0.0, d.score.score)):.2f}")
        if checked is None:
            checked = TierAssignment(
                id=assignment_id,
                run_id=run.id,
                customer_id=d.customer_id,
                assigned_at=run.ran_at,
                tier=d.tier,
                computed_tier=d.computed_tier,
                base_tier=d.base_tier,
                score=score,
                tier_set=run.tier_set,
                reason=d.reason,
                explanation=explanation,
                previous_tier=d.previous_tier,
                override_id=d.override_id,
            )
            out.append(checked)
            continue
        out.append(
            next_assignment(
                checked,
                assignment_id,
                d.customer_id,
                d.tier,
                d.computed_tier,
                d.base_tier,
                score,
                d.reason,
                explanation,
                d.previous_tier,
                d.override_id,
            )
        )
    return out


def _changed_event(
    build: Callable[[str, Any], DomainEvent], d: TierDecision, run_id: str
) -> DomainEvent:
    return build(
        d.customer_id,
        {
            "from": d.previous_tier,
            "to": d.tier,
            "score": round(d.score.score, 2),
            "reason": d.reason,
            "run_id": run_id,
        },
    )
