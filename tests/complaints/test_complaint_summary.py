from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from complaint_helpers import bj

from keyaccount.clock import FixedClock
from keyaccount.complaints import (
    RecurringComplaint,
    advance_complaint,
    check_deadlines,
    open_complaint,
    reopen_complaint,
    summarize_complaints,
)
from keyaccount.errors import ValidationError
from keyaccount.models.enums import ComplaintStatus as S

JUNE = (datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))


def new(store, events, policy, cid, customer, at, severity="medium"):
    open_complaint(
        store,
        FixedClock(at),
        events,
        customer_id=customer,
        subject=cid,
        actor_id="u_agent",
        severity=severity,
        complaint_id=cid,
        policy=policy,
    )


def handle(store, events, policy, cid, at, *, category, root_cause, close, department=None):
    clock = FixedClock(at)
    steps = [
        (S.LOGGED, {"category": category, "department": department}),
        (S.INVESTIGATING, {}),
        (S.SOLUTION_PROPOSED, {"root_cause": root_cause, "resolution": "fix"}),
        (S.EXECUTING, {}),
        (S.FOLLOW_UP, {}),
    ]
    for step, fields in steps:
        advance_complaint(store, clock, events, cid, step, actor_id="u_am", policy=policy, **fields)
    if close:
        advance_complaint(store, clock, events, cid, S.CLOSED, actor_id="u_am", policy=policy)


@pytest.fixture
def june(people, events, policy):
    s = people
    # c1: tier A high (8h) from Tue 2 Jun 10:00, closed Wed 3 Jun 10:00 after exactly 8h.
    new(s, events, policy, "c1", "cus_a", bj(2026, 6, 2, 10), "high")
    handle(
        s,
        events,
        policy,
        "c1",
        bj(2026, 6, 3, 10),
        category="delivery",
        root_cause="carrier",
        close=True,
    )
    # c2: same customer and category a week later; left open and breached.
    new(s, events, policy, "c2", "cus_a", bj(2026, 6, 10, 9))
    advance_complaint(
        s,
        FixedClock(bj(2026, 6, 10, 9)),
        events,
        "c2",
        S.LOGGED,
        actor_id="u_am",
        category="delivery",
    )
    # c3: received in May, closed 5 Jun after 12 working days (96h) against 24h: late.
    new(s, events, policy, "c3", "cus_b", bj(2026, 5, 20, 9))
    handle(
        s,
        events,
        policy,
        "c3",
        bj(2026, 6, 5, 9),
        category="billing",
        root_cause="rate table",
        close=True,
    )
    # c4: billing again for cus_b (c3 26 days earlier); closed on time then reopened.
    new(s, events, policy, "c4", "cus_b", bj(2026, 6, 15, 9))
    handle(
        s,
        events,
        policy,
        "c4",
        bj(2026, 6, 16, 9),
        category="billing",
        root_cause="rate table",
        close=True,
        department="finance",
    )
    reopen_complaint(
        s,
        FixedClock(bj(2026, 6, 20, 10)),
        events,
        "c4",
        actor_id="u_mgr",
        reason="again",
        policy=policy,
    )
    # c5: untiered, unclassified, not yet due at the check.
    new(s, events, policy, "c5", "cus_x", bj(2026, 6, 22, 9))
    # c6: July, outside the period.
    new(s, events, policy, "c6", "cus_a", bj(2026, 7, 2, 9))
    check_deadlines(s, FixedClock(bj(2026, 6, 25, 10)), events, policy=policy)
    return s


def test_summary_figures(june) -> None:
    summary = summarize_complaints(june, *JUNE)
    assert summary.received == 4
    assert summary.by_category == {"delivery": 2, "billing": 1, "unclassified": 1}
    assert summary.by_severity == {"medium": 3, "high": 1}
    assert summary.by_department == {"finance": 1}
    assert summary.by_root_cause == {"carrier": 1, "rate table": 1}
    # c4 was reopened, so only c1 (on time, 8h) and c3 (late, 96h) count as closed in June.
    assert summary.closed == 2
    assert summary.closed_within_sla == 1
    assert summary.sla_attainment == 0.5
    assert summary.mean_handling_hours == 52.0
    assert summary.open_breached == 2  # c2 and the reopened c4
    assert summary.reopened == 1
    assert summary.recurrent == 2  # c2 after c1, c4 after c3
    assert summary.recurrence_rate == 0.5
    assert summary.recurring == (RecurringComplaint("cus_a", "delivery", 2),)


def test_recurrence_window_is_configurable(june) -> None:
    summary = summarize_complaints(june, *JUNE, window=timedelta(days=10))
    assert summary.recurrent == 1  # c2 is 8 days after c1; c4 is 26 days after c3


def test_empty_period(june) -> None:
    summary = summarize_complaints(
        june, datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)
    )
    assert summary.received == 0
    assert summary.sla_attainment is None
    assert summary.mean_handling_hours is None
    assert summary.recurrence_rate is None


def test_period_must_be_ordered(june) -> None:
    with pytest.raises(ValidationError, match=r"summarize_complaints\.end"):
        summarize_complaints(june, JUNE[1], JUNE[0])
