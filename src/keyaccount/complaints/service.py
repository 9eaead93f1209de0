"""Complaint handling services: open, advance, pause/resume, reopen, and deadline policing.

Every call writes the complaint, its SLA clock and a ``ComplaintTransition`` log entry in one
store transaction, then announces a ``complaint.*`` domain event.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

import attrs

from keyaccount.clock import Clock
from keyaccount.complaints.policy import ComplaintPolicy, default_complaint_policy
from keyaccount.complaints.records import ComplaintAction, ComplaintClock, ComplaintTransition
from keyaccount.complaints.workflow import (
    REOPEN_TO,
    ComplaintClockError,
    IllegalComplaintTransition,
    check_transition,
)
from keyaccount.errors import ValidationError
from keyaccount.events import DomainEvent, EventSink
from keyaccount.models import Complaint, Customer, User
from keyaccount.models.enums import ComplaintStatus, Severity
from keyaccount.models.ids import ComplaintId, CustomerId, UserId, new_id
from keyaccount.storage import Store, eq, ne


@functools.cache
def _default_policy() -> ComplaintPolicy:
    # Loading the bundled calendar parses JSON; do it once per process.
    return default_complaint_policy()


def _policy(policy: ComplaintPolicy | None) -> ComplaintPolicy:
    return policy if policy is not None else _default_policy()


@attrs.frozen
class ComplaintUpdate:
    """What one service call left behind."""

    complaint: Complaint
    clock: ComplaintClock
    transition: ComplaintTransition


@attrs.frozen
class Escalation:
    """One escalation level fired by ``check_deadlines``."""

    complaint_id: ComplaintId
    customer_id: CustomerId
    level: int
    role: str
    recipient_id: UserId | None
    deadline_at: datetime
    overdue_hours: float


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


def _tier(store: Store, customer_id: str) -> str | None:
    return store.get(Customer, customer_id).tier


def _deadline_from(policy: ComplaintPolicy, start: datetime, remaining_seconds: int) -> datetime:
    # An exhausted budget is due at once rather than in the past, so the clock never
    # claims a deadline earlier than the moment it was (re)started.
    return policy.calendar.add(start, timedelta(seconds=max(0, remaining_seconds)))


def _log(
    store: Store,
    sla: ComplaintClock,
    action: ComplaintAction,
    from_status: ComplaintStatus | None,
    to_status: ComplaintStatus,
    at: datetime,
    actor_id: str | None,
    note: str | None,
) -> tuple[ComplaintTransition, ComplaintClock]:
    """Append one log entry and store the clock with its log length moved on."""
    sequence = sla.log_length + 1
    entry = ComplaintTransition(
        id=f"{sla.id}.{sequence}",
        complaint_id=sla.id,
        sequence=sequence,
        action=action,
        from_status=from_status,
        to_status=to_status,
        at=at,
        actor_id=UserId(actor_id) if actor_id is not None else None,
        note=note,
    )
    sla = attrs.evolve(sla, log_length=sequence)
    store.put(entry)
    store.put(sla)
    return entry, sla


def _store_step(
    store: Store,
    complaint: Complaint,
    sla: ComplaintClock,
    action: ComplaintAction,
    from_status: ComplaintStatus | None,
    to_status: ComplaintStatus,
    at: datetime,
    actor_id: str | None,
    note: str | None,
) -> ComplaintUpdate:
    """Store the complaint as changed by one step, with its log entry, in one transaction."""
    with store.transaction():
        store.put(complaint)
        entry, sla = _log(store, sla, action, from_status, to_status, at, actor_id, note)
    return ComplaintUpdate(complaint, sla, entry)


def _event(name: str, at: datetime, complaint: Complaint, **data: Any) -> DomainEvent:
    return DomainEvent(
        name,
        at,
        complaint.customer_id,
        {"complaint_id": complaint.id, "status": complaint.status.value, **data},
    )


def _require_text(field: str, value: str | None) -> None:
    if value is None or not value.strip():
        raise ValidationError(field, value, "is required at this step")


def open_complaint(
    store: Store,
    clock: Clock,
    events: EventSink,
    *,
    customer_id: str,
    subject: str,
    actor_id: str,
    severity: Severity | str = Severity.MEDIUM,
    description: str | None = None,
    contact_id: str | None = None,
    category: str | None = None,
    received_at: datetime | None = None,
    complaint_id: str | None = None,
    remedy_sought: str | None = None,
    policy: ComplaintPolicy | None = None,
) -> ComplaintUpdate:
    """Record a complaint as received (接收) and start its SLA clock at ``received_at``.

    ``remedy_sought`` (what the customer asks for, ISO 10002 8.2) is kept as the note of the
    ``opened`` log entry.
    """
    pol = _policy(policy)
    now = clock.now()
    received = received_at or now
    complaint = Complaint(
        id=ComplaintId(complaint_id or new_id("cmp")),
        customer_id=CustomerId(customer_id),
        received_at=received,
        subject=subject,
        severity=severity,  # the converter accepts the value
        description=description,
        contact_id=contact_id,  # type: ignore[arg-type]
        category=category,
    )
    remedy = remedy_sought.strip() if remedy_sought and remedy_sought.strip() else None
    if complaint.received_at > now:
        raise ValidationError("Complaint.received_at", complaint.received_at, "is in the future")
    if store.find(Complaint, complaint.id) is not None:
        raise ValidationError("Complaint.id", complaint.id, "already exists")
    budget = pol.sla.budget(_tier(store, customer_id), complaint.severity)
    deadline = pol.calendar.add(received, budget)
    sla = ComplaintClock(
        id=complaint.id,
        budget_seconds=_seconds(budget),
        deadline_at=deadline,
        running_since=received,
    )
    complaint = attrs.evolve(complaint, deadline_at=deadline)
    with store.transaction():
        store.put(complaint)
        entry, sla = _log(
            store, sla, ComplaintAction.OPENED, None, complaint.status, now, actor_id, remedy
        )
    events.emit(
        _event(
            "complaint.opened",
            now,
            complaint,
            severity=complaint.severity.value,
            deadline_at=deadline.isoformat(),
        )
    )
    return ComplaintUpdate(complaint, sla, entry)


def _to_status(value: ComplaintStatus | str) -> ComplaintStatus:
    try:
        return ComplaintStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in ComplaintStatus)
        raise ValidationError("advance_complaint.to", value, f"must be one of {allowed}") from None


def advance_complaint(
    store: Store,
    clock: Clock,
    events: EventSink,
    complaint_id: str,
    to: ComplaintStatus | str,
    *,
    actor_id: str,
    note: str | None = None,
    category: str | None = None,
    severity: Severity | str | None = None,
    department: str | None = None,
    assignee_id: str | None = None,
    root_cause: str | None = None,
    resolution: str | None = None,
    satisfaction: int | None = None,
    policy: ComplaintPolicy | None = None,
) -> ComplaintUpdate:
    """Move a complaint one step along the workflow, recording who did it and when.

    Fields given are updated with the step. Entering ``logged`` needs a category (记录与分类);
    entering ``solution_proposed`` needs the root cause and the proposed resolution; closing
    stops the SLA clock and records whether the deadline was met. A new severity re-derives the
    time budget from tier × severity.
    """
    pol = _policy(policy)
    target = _to_status(to)
    now = clock.now()
    complaint = store.get(Complaint, complaint_id)
    sla = store.get(ComplaintClock, complaint_id)
    source = complaint.status
    check_transition(complaint_id, source, target)

    changes: dict[str, Any] = {
        name: value
        for name, value in {
            "category": category,
            "severity": severity,
            "department": department,
            "assignee_id": assignee_id,
            "root_cause": root_cause,
            "resolution": resolution,
            "satisfaction": satisfaction,
        }.items()
        if value is not None
    }
    updated = attrs.evolve(complaint, status=target, **changes)
    if target is ComplaintStatus.LOGGED:
        _require_text("Complaint.category", updated.category)
    if target is ComplaintStatus.SOLUTION_PROPOSED:
        _require_text("Complaint.root_cause", updated.root_cause)
        _require_text("Complaint.resolution", updated.resolution)

    if updated.severity is not complaint.severity:
        budget = pol.sla.budget(_tier(store, complaint.customer_id), updated.severity)
        sla = attrs.evolve(sla, budget_seconds=_seconds(budget))
        if sla.running_since is not None:
            remaining = sla.budget_seconds - sla.consumed_seconds
            sla = attrs.evolve(sla, deadline_at=_deadline_from(pol, sla.running_since, remaining))
            updated = attrs.evolve(updated, deadline_at=sla.deadline_at)

    if target is ComplaintStatus.CLOSED:
        consumed = sla.consumed_seconds
        if sla.running_since is not None:
            consumed += _seconds(pol.calendar.between(sla.running_since, now))
        # Business time decides: closing on Saturday a complaint due Friday 18:00 is on time.
        met = consumed <= sla.budget_seconds
        sla = attrs.evolve(
            sla,
            consumed_seconds=consumed,
            running_since=None,
            paused_since=None,
            stopped_at=now,
            met_sla=met,
            breached=sla.breached or not met,
        )
        updated = attrs.evolve(updated, closed_at=now, deadline_at=sla.deadline_at)

    result = _store_step(
        store, updated, sla, ComplaintAction.ADVANCED, source, target, now, actor_id, note
    )
    name = "complaint.closed" if target is ComplaintStatus.CLOSED else "complaint.advanced"
    data: dict[str, Any] = {"from": source.value, "to": target.value, "actor_id": actor_id}
    if target is ComplaintStatus.CLOSED:
        data["met_sla"] = result.clock.met_sla
    events.emit(_event(name, now, updated, **data))
    return result


def reopen_complaint(
    store: Store,
    clock: Clock,
    events: EventSink,
    complaint_id: str,
    *,
    actor_id: str,
    reason: str,
    policy: ComplaintPolicy | None = None,
) -> ComplaintUpdate:
    """Reopen a closed complaint for fresh investigation.

    The SLA clock resumes with whatever budget was left (none left: due at once); levels
    already escalated are not fired again.
    """
    pol = _policy(policy)
    now = clock.now()
    complaint = store.get(Complaint, complaint_id)
    if complaint.status is not ComplaintStatus.CLOSED:
        raise IllegalComplaintTransition(
            complaint_id, complaint.status, REOPEN_TO, "only a closed complaint can be reopened"
        )
    _require_text("reopen_complaint.reason", reason)
    sla = store.get(ComplaintClock, complaint_id)
    deadline = _deadline_from(pol, now, sla.budget_seconds - sla.consumed_seconds)
    sla = attrs.evolve(sla, running_since=now, stopped_at=None, met_sla=None, deadline_at=deadline)
    updated = attrs.evolve(complaint, status=REOPEN_TO, closed_at=None, deadline_at=deadline)
    result = _store_step(
        store,
        updated,
        sla,
        ComplaintAction.REOPENED,
        ComplaintStatus.CLOSED,
        REOPEN_TO,
        now,
        actor_id,
        reason,
    )
    events.emit(
        _event("complaint.reopened", now, updated, reason=reason, deadline_at=deadline.isoformat())
    )
    return result


def pause_complaint(
    store: Store,
    clock: Clock,
    events: EventSink,
    complaint_id: str,
    *,
    actor_id: str,
    reason: str,
    policy: ComplaintPolicy | None = None,
) -> ComplaintUpdate:
    """Stop the SLA clock while waiting on the customer (the complaint has no deadline then)."""
    pol = _policy(policy)
    now = clock.now()
    complaint = store.get(Complaint, complaint_id)
    sla = store.get(ComplaintClock, complaint_id)
    if sla.running_since is None:
        state = "paused" if sla.paused else "closed"
        raise ComplaintClockError(f"complaint {complaint_id!r} cannot be paused: it is {state}")
    _require_text("pause_complaint.reason", reason)
    consumed = sla.consumed_seconds + _seconds(pol.calendar.between(sla.running_since, now))
    sla = attrs.evolve(sla, consumed_seconds=consumed, running_since=None, paused_since=now)
    updated = attrs.evolve(complaint, deadline_at=None)
    result = _store_step(
        store,
        updated,
        sla,
        ComplaintAction.PAUSED,
        complaint.status,
        complaint.status,
        now,
        actor_id,
        reason,
    )
    events.emit(_event("complaint.paused", now, updated, reason=reason))
    return result


def resume_complaint(
    store: Store,
    clock: Clock,
    events: EventSink,
    complaint_id: str,
    *,
    actor_id: str,
    note: str | None = None,
    policy: ComplaintPolicy | None = None,
) -> ComplaintUpdate:
    """Restart a paused SLA clock; the deadline moves by the business time spent waiting."""
    pol = _policy(policy)
    now = clock.now()
    complaint = store.get(Complaint, complaint_id)
    sla = store.get(ComplaintClock, complaint_id)
    if sla.paused_since is None:
        state = "running" if sla.running else "closed"
        raise ComplaintClockError(f"complaint {complaint_id!r} is not paused: it is {state}")
    deadline = _deadline_from(pol, now, sla.budget_seconds - sla.consumed_seconds)
    sla = attrs.evolve(sla, running_since=now, paused_since=None, deadline_at=deadline)
    updated = attrs.evolve(complaint, deadline_at=deadline)
    result = _store_step(
        store,
        updated,
        sla,
        ComplaintAction.RESUMED,
        complaint.status,
        complaint.status,
        now,
        actor_id,
        note,
    )
    events.emit(_event("complaint.resumed", now, updated, deadline_at=deadline.isoformat()))
    return result


def _recipients(store: Store, complaint: Complaint) -> dict[str, UserId | None]:
    customer = store.find(Customer, complaint.customer_id)
    owner = complaint.assignee_id or (customer.owner_id if customer else None)
    owner_user = store.find(User, owner) if owner else None
    manager = owner_user.manager_id if owner_user else None
    manager_user = store.find(User, manager) if manager else None
    director = manager_user.manager_id if manager_user else None
    return {"owner": owner, "manager": manager, "director": director}


def check_deadlines(
    store: Store,
    clock: Clock,
    events: EventSink,
    *,
    policy: ComplaintPolicy | None = None,
) -> list[Escalation]:
    """Fire the escalation levels due on running clocks; each level fires once per complaint.

    A check that runs late fires every level that has come due, lowest first. Paused and
    closed complaints are never escalated.
    """
    pol = _policy(policy)
    now = clock.now()
    due = [
        sla
        for sla in store.query(ComplaintClock, ne("running_since", None), order_by="deadline_at")
        if now > sla.deadline_at
    ]
    fired: list[Escalation] = []
    writes: list[tuple[ComplaintClock, Complaint, list[Escalation]]] = []
    for sla in due:
        overdue = pol.calendar.between(sla.deadline_at, now)
        if overdue <= timedelta(0):
            # Past the deadline only in office-closed time: not yet late in business terms.
            continue
        hours = overdue.total_seconds() / 3600
        steps = [
            s
            for s in pol.escalation.steps
            if s.level > sla.escalation_level and hours >= s.after_hours
        ]
        if not steps and sla.breached:
            continue
        complaint = store.get(Complaint, sla.id)
        recipients = _recipients(store, complaint)
        mine = [
            Escalation(
                complaint_id=complaint.id,
                customer_id=complaint.customer_id,
                level=s.level,
                role=s.role,
                recipient_id=recipients[s.role],
                deadline_at=sla.deadline_at,
                overdue_hours=round(hours, 4),
            )
            for s in steps
        ]
        level = max([sla.escalation_level, *(e.level for e in mine)])
        writes.append((attrs.evolve(sla, breached=True, escalation_level=level), complaint, mine))
        fired.extend(mine)
    with store.transaction():
        for updated, complaint, mine in writes:
            if not mine:
                store.put(updated)
            for esc in mine:
                _entry, updated = _log(
                    store,
                    updated,
                    ComplaintAction.ESCALATED,
                    complaint.status,
                    complaint.status,
                    now,
                    None,
                    f"level {esc.level} ({esc.role})",
                )
    for _sla, complaint, mine in writes:
        for esc in mine:
            events.emit(
                _event(
                    "complaint.escalated",
                    now,
                    complaint,
                    level=esc.level,
                    role=esc.role,
                    recipient_id=esc.recipient_id,
                    deadline_at=esc.deadline_at.isoformat(),
                    overdue_hours=esc.overdue_hours,
                    severity=complaint.severity.value,
                )
            )
    return fired


def complaint_history(store: Store, complaint_id: str) -> list[ComplaintTransition]:
    """The complaint's log, oldest first."""
    return list(
        store.query(ComplaintTransition, eq("complaint_id", complaint_id), order_by="sequence")
    )
