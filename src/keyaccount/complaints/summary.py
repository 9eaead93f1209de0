"""Periodic complaint summary (投诉分析 / 改进报告): what came in, why, and how fast it closed."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import attrs

from keyaccount.clock import ensure_utc
from keyaccount.complaints.records import ComplaintAction, ComplaintClock, ComplaintTransition
from keyaccount.errors import ValidationError
from keyaccount.models import Complaint
from keyaccount.storage import Store, between

UNCLASSIFIED = "unclassified"


@attrs.frozen
class RecurringComplaint:
    """A customer who complained about the same category more than once in the period."""

    customer_id: str
    category: str
    count: int


@attrs.frozen
class ComplaintSummary:
    """Figures for complaints in ``[start, end)``.

    ``received`` counts complaints received in the period; the breakdowns (category, severity,
    department, root cause) are over those. ``closed`` counts complaints closed in the period
    whatever their receipt date; ``sla_attainment`` = closed within SLA / closed (None if none
    closed) and ``mean_handling_hours`` is their mean business time on the clock, pauses
    excluded. ``open_breached`` counts complaints received in the period, still open at the
    end, whose SLA was breached. ``recurrent`` counts complaints whose customer had already
    complained in the same category within ``window`` before; ``recurrence_rate`` =
    recurrent / received.
    """

    start: datetime
    end: datetime
    received: int
    by_category: dict[str, int]
    by_severity: dict[str, int]
    by_department: dict[str, int]
    by_root_cause: dict[str, int]
    closed: int
    closed_within_sla: int
    sla_attainment: float | None
    mean_handling_hours: float | None
    open_breached: int
    reopened: int
    recurrent: int
    recurrence_rate: float | None
    recurring: tuple[RecurringComplaint, ...]


def _sorted_counts(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def summarize_complaints(
    store: Store,
    start: datetime,
    end: datetime,
    *,
    window: timedelta = timedelta(days=90),
) -> ComplaintSummary:
    """Summarise complaints for the half-open period ``[start, end)``."""
    start = ensure_utc("summarize_complaints.start", start)
    end = ensure_utc("summarize_complaints.end", end)
    if end <= start:
        raise ValidationError("summarize_complaints.end", end, "must be after start")

    received = list(
        store.query(Complaint, between("received_at", start, end), order_by="received_at")
    )
    closed = list(store.query(Complaint, between("closed_at", start, end)))
    clocks = store.get_many(ComplaintClock, [c.id for c in received + closed])

    within = [c for c in closed if clocks.get(c.id) and clocks[c.id].met_sla]
    handling = [clocks[c.id].consumed_seconds / 3600 for c in closed if c.id in clocks]

    open_breached = sum(
        1
        for c in received
        if (c.closed_at is None or c.closed_at >= end) and c.id in clocks and clocks[c.id].breached
    )
    reopened = sum(
        1
        for t in store.query(ComplaintTransition, between("at", start, end))
        if t.action is ComplaintAction.REOPENED
    )

    # Recurrence looks back past the period start, so earlier complaints must be read too.
    history: dict[tuple[str, str], list[datetime]] = {}
    for c in store.query(
        Complaint,
        between("received_at", start - window, end),
        order_by="received_at",
    ):
        if c.category is not None:
            history.setdefault((c.customer_id, c.category), []).append(c.received_at)
    recurrent = 0
    for c in received:
        if c.category is None:
            continue
        earlier = history[(c.customer_id, c.category)]
        if any(c.received_at - window <= t < c.received_at for t in earlier):
            recurrent += 1
    pairs = Counter((c.customer_id, c.category) for c in received if c.category is not None)
    recurring = tuple(
        RecurringComplaint(customer, category, count)
        for (customer, category), count in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if count > 1
    )

    return ComplaintSummary(
        start=start,
        end=end,
        received=len(received),
        by_category=_sorted_counts(Counter(c.category or UNCLASSIFIED for c in received)),
        by_severity=_sorted_counts(Counter(c.severity.value for c in received)),
        by_department=_sorted_counts(
            Counter(c.department for c in received if c.department is not None)
        ),
        by_root_cause=_sorted_counts(
            Counter(c.root_cause for c in received if c.root_cause is not None)
        ),
        closed=len(closed),
        closed_within_sla=len(within),
        sla_attainment=len(within) / len(closed) if closed else None,
        mean_handling_hours=sum(handling) / len(handling) if handling else None,
        open_breached=open_breached,
        reopened=reopened,
        recurrent=recurrent,
        recurrence_rate=recurrent / len(received) if received else None,
        recurring=recurring,
    )
