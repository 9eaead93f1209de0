"""Interactions and visit plans: log contacts, plan visits by tier cadence, chase what is late.

A visit interaction fulfils the customer's earliest open planned visit; its report
(拜访反馈报告) is the interaction's ``report``. Dates such as "overdue since" are taken in the
business's time zone (default Asia/Shanghai), since a visit due "today" means the local day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs

from keyaccount.clock import Clock
from keyaccount.errors import ValidationError
from keyaccount.events import DomainEvent, EventSink
from keyaccount.followups import FollowUp, FollowUpId, follow_up_opened
from keyaccount.models import Contact, Customer, Interaction
from keyaccount.models.enums import Channel, CustomerStatus
from keyaccount.models.ids import InteractionId, UserId, new_id
from keyaccount.storage import Store, between, eq, in_, le
from keyaccount.tiering.policy import PolicyBook, default_policy_book
from keyaccount.visits.records import PlannedVisit, PlannedVisitId, VisitStatus

DEFAULT_TZ = "Asia/Shanghai"
UNOWNED = "(none)"


def local_today(clock: Clock, timezone: str = DEFAULT_TZ) -> date:
    return clock.now().astimezone(ZoneInfo(timezone)).date()


@attrs.frozen
class LoggedInteraction:
    interaction: Interaction
    visit: PlannedVisit | None
    follow_up: FollowUp | None


def _earliest_open_visit(store: Store, customer_id: str) -> PlannedVisit | None:
    return next(
        store.query(
            PlannedVisit,
            eq("customer_id", customer_id),
            eq("status", VisitStatus.PLANNED),
            order_by="due_on",
            limit=1,
        ),
        None,
    )


def log_interaction(
    store: Store,
    clock: Clock,
    events: EventSink,
    *,
    customer_id: str,
    channel: Channel | str,
    owner_id: str | None = None,
    occurred_at: datetime | None = None,
    contact_ids: Sequence[str] = (),
    summary: str | None = None,
    needs: str | None = None,
    issues: str | None = None,
    next_step: str | None = None,
    next_step_due: datetime | None = None,
    report: str | None = None,
    planned_visit_id: str | None = None,
    interaction_id: str | None = None,
) -> LoggedInteraction:
    """Record one contact with a customer on any channel.

    A visit marks a planned visit done (``planned_visit_id``, else the customer's earliest
    open one). A next step with a due date opens a ``FollowUp`` for the owner. The owner
    defaults to the customer's account manager.
    """
    now = clock.now()
    customer = store.get(Customer, customer_id)
    interaction = Interaction(
        id=InteractionId(interaction_id or new_id("int")),
        customer_id=customer.id,
        channel=channel,
        occurred_at=occurred_at or now,
        owner_id=UserId(owner_id) if owner_id else customer.owner_id,
        contact_ids=tuple(contact_ids),
        summary=summary,
        needs=needs,
        issues=issues,
        next_step=next_step,
        next_step_due=next_step_due,
        report=report,
    )
    if interaction.occurred_at > now:
        raise ValidationError(
            "Interaction.occurred_at", interaction.occurred_at, "is in the future; plan it instead"
        )
    if next_step_due is not None and not (next_step and next_step.strip()):
        raise ValidationError("Interaction.next_step", next_step, "a due date needs a next step")
    if store.find(Interaction, interaction.id) is not None:
        raise ValidationError("Interaction.id", interaction.id, "already exists")
    contacts = store.get_many(Contact, interaction.contact_ids)
    for contact_id in interaction.contact_ids:
        found = contacts.get(contact_id)
        if found is None or found.customer_id != customer.id:
            raise ValidationError(
                "Interaction.contact_ids", contact_id, f"is not a contact of {customer.id}"
            )

    visit: PlannedVisit | None = None
    if planned_visit_id is not None:
        if interaction.channel is not Channel.VISIT:
            raise ValidationError(
                "log_interaction.planned_visit_id",
                planned_visit_id,
                f"only a visit fulfils a planned visit (channel is {interaction.channel.value})",
            )
        visit = store.get(PlannedVisit, planned_visit_id)
        if visit.customer_id != customer.id or not visit.is_open:
            raise ValidationError(
                "log_interaction.planned_visit_id",
                planned_visit_id,
                f"is not an open planned visit of {customer.id}",
            )
    elif interaction.channel is Channel.VISIT:
        visit = _earliest_open_visit(store, customer.id)
    if visit is not None:
        visit = attrs.evolve(
            visit, status=VisitStatus.DONE, interaction_id=interaction.id, completed_at=now
        )

    follow_up: FollowUp | None = None
    if next_step and next_step_due is not None:
        follow_up = FollowUp(
            id=FollowUpId(new_id("fu")),
            customer_id=customer.id,
            owner_id=interaction.owner_id,
            due_at=next_step_due,
            reason=next_step,
            created_at=now,
            source_kind="interaction",
            source_id=interaction.id,
        )

    with store.transaction():
        store.put(interaction)
        if visit is not None:
            store.put(visit)
        if follow_up is not None:
            store.put(follow_up)

    events.emit(
        DomainEvent(
            "interaction.logged",
            now,
            customer.id,
            {"interaction_id": interaction.id, "channel": interaction.channel.value},
        )
    )
    if visit is not None:
        events.emit(
            DomainEvent(
                "visit.done",
                now,
                customer.id,
                {"visit_id": visit.id, "interaction_id": interaction.id},
            )
        )
    if follow_up is not None:
        events.emit(follow_up_opened(follow_up, now))
    return LoggedInteraction(interaction, visit, follow_up)


def file_visit_report(
    store: Store, clock: Clock, events: EventSink, interaction_id: str, report: str
) -> Interaction:
    """Attach the visit report (拜访反馈报告) to a visit interaction; a later call amends it."""
    interaction = store.get(Interaction, interaction_id)
    if interaction.channel is not Channel.VISIT:
        raise ValidationError(
            "Interaction.channel", interaction.channel.value, "only visits take a visit report"
        )
    if not isinstance(report, str) or not report.strip():
        raise ValidationError("Interaction.report", report, "must be non-empty text")
    updated = attrs.evolve(interaction, report=report.strip())
    store.put(updated)
    events.emit(
        DomainEvent(
            "visit.report_filed",
            clock.now(),
            interaction.customer_id,
            {"interaction_id": interaction.id},
        )
    )
    return updated


@attrs.frozen
class VisitPlan:
    created: tuple[PlannedVisit, ...]
    without_cadence: tuple[str, ...]


def plan_visits(
    store: Store,
    clock: Clock,
    events: EventSink,
    *,
    horizon_days: int = 365,
    book: PolicyBook | None = None,
    customer_ids: Iterable[str] | None = None,
    timezone: str = DEFAULT_TZ,
) -> VisitPlan:
    """Generate planned visits up to ``horizon_days`` ahead from each tier's visit cadence.

    Each customer's next visit is due one cadence after the later of its last visit and its
    last planned visit; a customer never visited, or whose next visit would already be late,
    gets one due today. Running it again only extends the plan, so it is safe to schedule.
    Customers whose tier has no cadence are listed in ``without_cadence``.
    """
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or horizon_days < 0:
        raise ValidationError("plan_visits.horizon_days", horizon_days, "must be whole days >= 0")
    book = book or default_policy_book()
    now = clock.now()
    today = local_today(clock, timezone)
    until = today + timedelta(days=horizon_days)
    conditions = [eq("status", CustomerStatus.ACTIVE)]
    if customer_ids is not None:
        conditions.append(in_("id", list(customer_ids)))
    customers = list(store.query(Customer, *conditions, order_by="id"))

    created: list[PlannedVisit] = []
    skipped: list[str] = []
    zone = ZoneInfo(timezone)
    for customer in customers:
        cadence = book.for_tier(customer.tier).visit_cadence_days
        if cadence is None:
            skipped.append(customer.id)
            continue
        last_plan = next(
            store.query(
                PlannedVisit,
                eq("customer_id", customer.id),
                in_("status", (VisitStatus.PLANNED, VisitStatus.DONE)),
                order_by="-due_on",
                limit=1,
            ),
            None,
        )
        last_visit = next(
            store.query(
                Interaction,
                eq("customer_id", customer.id),
                eq("channel", Channel.VISIT),
                le("occurred_at", now),
                order_by="-occurred_at",
                limit=1,
            ),
            None,
        )
        anchors = []
        if last_plan is not None:
            anchors.append(last_plan.due_on)
        if last_visit is not None:
            anchors.append(last_visit.occurred_at.astimezone(zone).date())
        # Never plan into the past: a late visit is due today, not on a date already gone.
        due = max(max(anchors) + timedelta(days=cadence), today) if anchors else today
        while due <= until:
            created.append(
                PlannedVisit(
                    id=PlannedVisitId(new_id("pv")),
                    customer_id=customer.id,
                    owner_id=customer.owner_id,
                    due_on=due,
                    created_at=now,
                    purpose=f"{book.for_tier(customer.tier).display_name} 定期拜访",
                )
            )
            due += timedelta(days=cadence)
    if created:
        store.put_many(created)
    counts: dict[str, int] = {}
    for visit in created:
        counts[visit.customer_id] = counts.get(visit.customer_id, 0) + 1
    for customer_id, count in counts.items():
        events.emit(
            DomainEvent(
                "visit_plan.generated",
                now,
                customer_id,
                {"visits": count, "until": until.isoformat()},
            )
        )
    return VisitPlan(tuple(created), tuple(skipped))


@attrs.frozen
class OverdueVisit:
    visit: PlannedVisit
    days_overdue: int


@attrs.frozen
class MissingReport:
    interaction: Interaction
    days_since: int


def _owner_key(owner_id: str | None) -> str:
    return owner_id or UNOWNED


def overdue_visits(
    store: Store,
    clock: Clock,
    *,
    owner_id: str | None = None,
    grace_days: int = 0,
    timezone: str = DEFAULT_TZ,
) -> dict[str, list[OverdueVisit]]:
    """Planned visits past due by more than ``grace_days``, by owner (``(none)`` if unowned).

    Each owner's list is most overdue first.
    """
    today = local_today(clock, timezone)
    cutoff = today - timedelta(days=grace_days)
    conditions = [eq("status", VisitStatus.PLANNED)]
    if owner_id is not None:
        conditions.append(eq("owner_id", owner_id))
    out: dict[str, list[OverdueVisit]] = {}
    for visit in store.query(PlannedVisit, *conditions, order_by=("due_on", "id")):
        if visit.due_on < cutoff:
            out.setdefault(_owner_key(visit.owner_id), []).append(
                OverdueVisit(visit, (today - visit.due_on).days)
            )
    return dict(sorted(out.items()))


def visits_missing_report(
    store: Store,
    clock: Clock,
    *,
    owner_id: str | None = None,
    grace_days: int = 2,
    timezone: str = DEFAULT_TZ,
) -> dict[str, list[MissingReport]]:
    """Visits without a report (拜访反馈报告) older than ``grace_days`` days, by owner."""
    now = clock.now()
    today = local_today(clock, timezone)
    zone = ZoneInfo(timezone)
    conditions = [eq("channel", Channel.VISIT), le("occurred_at", now)]
    if owner_id is not None:
        conditions.append(eq("owner_id", owner_id))
    out: dict[str, list[MissingReport]] = {}
    for interaction in store.query(Interaction, *conditions, order_by="occurred_at"):
        if interaction.report is not None and interaction.report.strip():
            continue
        age = (today - interaction.occurred_at.astimezone(zone).date()).days
        if age >= grace_days:
            out.setdefault(_owner_key(interaction.owner_id), []).append(
                MissingReport(interaction, age)
            )
    return dict(sorted(out.items()))


def mark_missed_visits(
    store: Store,
    clock: Clock,
    events: EventSink,
    *,
    after_days: int = 30,
    timezone: str = DEFAULT_TZ,
) -> list[PlannedVisit]:
    """Close planned visits more than ``after_days`` past due as ``missed`` (they stay listed
    in completion figures but stop cluttering the overdue list)."""
    now = clock.now()
    cutoff = local_today(clock, timezone) - timedelta(days=after_days)
    missed = [
        attrs.evolve(visit, status=VisitStatus.MISSED, completed_at=now)
        for visit in store.query(PlannedVisit, eq("status", VisitStatus.PLANNED))
        if visit.due_on < cutoff
    ]
    if missed:
        store.put_many(missed)
    for visit in missed:
        events.emit(
            DomainEvent(
                "visit.missed",
                now,
                visit.customer_id,
                {"visit_id": visit.id, "due_on": visit.due_on.isoformat()},
            )
        )
    return missed


@attrs.frozen
class VisitCompletion:
    """Planned visits due in a period and what became of them, for one owner or all.

    ``completion_rate`` = done / (done + missed + still planned); cancelled plans are left out
    of the denominator, since nobody owed them. None when nothing was owed.
    """

    owner: str
    due: int
    done: int
    missed: int
    pending: int
    cancelled: int

    @property
    def completion_rate(self) -> float | None:
        owed = self.done + self.missed + self.pending
        return self.done / owed if owed else None


def visit_completion(
    store: Store, start: date, end: date, *, by_owner: bool = True
) -> list[VisitCompletion]:
    """Visit-plan completion for visits due in ``[start, end)``, per owner (or one ``all`` row)."""
    if end <= start:
        raise ValidationError("visit_completion.end", end, "must be after start")
    counts: dict[str, dict[VisitStatus, int]] = {}
    for visit in store.query(PlannedVisit, *between("due_on", start, end)):
        key = _owner_key(visit.owner_id) if by_owner else "all"
        row = counts.setdefault(key, dict.fromkeys(VisitStatus, 0))
        row[visit.status] += 1
    return [
        VisitCompletion(
            owner=key,
            due=sum(row.values()),
            done=row[VisitStatus.DONE],
            missed=row[VisitStatus.MISSED],
            pending=row[VisitStatus.PLANNED],
            cancelled=row[VisitStatus.CANCELLED],
        )
        for key, row in sorted(counts.items())
    ]
