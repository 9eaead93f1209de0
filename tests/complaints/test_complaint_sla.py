from __future__ import annotations

from datetime import timedelta

import pytest
from complaint_helpers import bj

from keyaccount.clock import FixedClock
from keyaccount.complaints import (
    ComplaintAction,
    ComplaintClock,
    ComplaintClockError,
    ComplaintPolicy,
    EscalationLadder,
    EscalationStep,
    SlaMatrix,
    advance_complaint,
    check_deadlines,
    complaint_history,
    open_complaint,
    pause_complaint,
    resume_complaint,
)
from keyaccount.errors import ValidationError
from keyaccount.models import Complaint
from keyaccount.models.enums import ComplaintStatus as S
from keyaccount.models.enums import Severity


def open_at(store, events, policy, at, *, severity=Severity.CRITICAL, customer="cus_a", cid="c1"):
    return open_complaint(
        store,
        FixedClock(at),
        events,
        customer_id=customer,
        subject="Wrong invoice",
        actor_id="u_agent",
        severity=severity,
        complaint_id=cid,
        policy=policy,
    )


def test_deadline_across_weekend_and_public_holiday(people, events, policy) -> None:
    # Tier A critical = 4h. Thu 18 Jun 17:00 → 1h Thu; 端午 Fri 19 - Sun 21 off; 3h Mon 22 Jun.
    update = open_at(people, events, policy, bj(2026, 6, 18, 17))
    assert update.complaint.deadline_at == bj(2026, 6, 22, 12)


def test_deadline_on_make_up_saturday(people, events, policy) -> None:
    # Fri 8 May 17:00 → 1h Fri; Sat 9 May is a 调休 workday → 3h more ends Sat 12:00.
    update = open_at(people, events, policy, bj(2026, 5, 8, 17))
    assert update.complaint.deadline_at == bj(2026, 5, 9, 12)


def test_deadline_across_national_day(people, events, policy) -> None:
    # Tier B high = 16h from Wed 30 Sep 2026 09:00: 8h Wed; 1-7 Oct off; 8h Thu 8 Oct.
    update = open_at(people, events, policy, bj(2026, 9, 30, 9), severity="high", customer="cus_b")
    assert update.complaint.deadline_at == bj(2026, 10, 8, 18)


def test_untiered_customer_uses_untiered_policy(people, events, policy) -> None:
    # Untiered = C row: low = 80h = 10 working days from Mon 15 Jun 09:00; 端午 Fri 19 Jun is
    # off, so 15-18 Jun (4d) + 22-26 Jun (5d) + Mon 29 Jun → 29 Jun 18:00.
    update = open_at(people, events, policy, bj(2026, 6, 15, 9), severity="low", customer="cus_x")
    assert update.complaint.deadline_at == bj(2026, 6, 29, 18)


def test_sla_matrix_override(people, events, policy) -> None:
    custom = ComplaintPolicy(
        calendar=policy.calendar, sla=SlaMatrix(overrides={("A", "critical"): 2})
    )
    update = open_at(people, events, custom, bj(2026, 6, 16, 9))
    assert update.complaint.deadline_at == bj(2026, 6, 16, 11)
    assert custom.sla.hours_for("B", Severity.CRITICAL) == 8


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({("A", "critical"): 0}, r"SlaMatrix\.overrides\[A, critical\]"),
        ({("A", "urgent"): 2}, "is not a severity"),
        ({"A": 2}, "keys are"),
    ],
)
def test_bad_sla_overrides(overrides, match) -> None:
    with pytest.raises(ValidationError, match=match):
        SlaMatrix(overrides=overrides)


def test_bad_escalation_ladders() -> None:
    with pytest.raises(ValidationError, match=r"steps\[1\]\.level"):
        EscalationLadder((EscalationStep(1, "owner", 0), EscalationStep(3, "manager", 1)))
    with pytest.raises(ValidationError, match="earlier than the level below"):
        EscalationLadder((EscalationStep(1, "owner", 5), EscalationStep(2, "manager", 1)))
    with pytest.raises(ValidationError, match=r"EscalationStep\.role"):
        EscalationLadder((EscalationStep(1, "ceo", 0),))
    with pytest.raises(ValidationError, match="at least one step"):
        EscalationLadder(())


def test_pause_and_resume_move_the_deadline(people, events, policy) -> None:
    # Tier A medium = 16h from Tue 30 Jun 17:00. Paused Wed 10:00 after 2h (Tue 17-18,
    # Wed 9-10); resumed Fri 3 Jul 09:00 with 14h left: Fri 8h + Mon 6h → Mon 6 Jul 16:00.
    clock = FixedClock(bj(2026, 6, 30, 17))
    open_at(people, events, policy, clock.now(), severity="medium")
    clock.set(bj(2026, 7, 1, 10))
    paused = pause_complaint(
        people, clock, events, "c1", actor_id="u_am", reason="waiting for customer's photos"
    )
    assert paused.clock.consumed_seconds == 2 * 3600
    assert paused.complaint.deadline_at is None
    assert paused.transition.action is ComplaintAction.PAUSED
    assert paused.transition.from_status is paused.transition.to_status is S.RECEIVED

    clock.set(bj(2026, 7, 3, 9))
    resumed = resume_complaint(people, clock, events, "c1", actor_id="u_am", policy=policy)
    assert resumed.complaint.deadline_at == bj(2026, 7, 6, 16)
    assert people.get(Complaint, "c1").deadline_at == bj(2026, 7, 6, 16)
    assert events.names() == ["complaint.opened", "complaint.paused", "complaint.resumed"]


def test_pause_state_errors(people, events, policy) -> None:
    clock = FixedClock(bj(2026, 6, 30, 17))
    open_at(people, events, policy, clock.now())
    with pytest.raises(ComplaintClockError, match="not paused: it is running"):
        resume_complaint(people, clock, events, "c1", actor_id="u_am")
    with pytest.raises(ValidationError, match=r"pause_complaint\.reason"):
        pause_complaint(people, clock, events, "c1", actor_id="u_am", reason="")
    pause_complaint(people, clock, events, "c1", actor_id="u_am", reason="waiting")
    with pytest.raises(ComplaintClockError, match="cannot be paused: it is paused"):
        pause_complaint(people, clock, events, "c1", actor_id="u_am", reason="again")


def test_closed_complaint_cannot_pause(people, events, policy) -> None:
    clock = FixedClock(bj(2026, 6, 30, 17))
    open_at(people, events, policy, clock.now())
    for step, fields in [
        (S.LOGGED, {"category": "billing"}),
        (S.INVESTIGATING, {}),
        (S.SOLUTION_PROPOSED, {"root_cause": "rate table", "resolution": "credit note"}),
        (S.EXECUTING, {}),
        (S.FOLLOW_UP, {}),
        (S.CLOSED, {}),
    ]:
        advance_complaint(people, clock, events, "c1", step, actor_id="u_am", **fields)
    with pytest.raises(ComplaintClockError, match="it is closed"):
        pause_complaint(people, clock, events, "c1", actor_id="u_am", reason="x")
    with pytest.raises(ComplaintClockError, match="it is closed"):
        resume_complaint(people, clock, events, "c1", actor_id="u_am")


def test_escalation_levels_fire_in_order_once(people, events, policy) -> None:
    # Tier A critical from Tue 30 Jun 17:00 → due Wed 1 Jul 12:00.
    open_at(people, events, policy, bj(2026, 6, 30, 17))
    clock = FixedClock(bj(2026, 7, 1, 11, 59))
    assert check_deadlines(people, clock, events, policy=policy) == []

    clock.set(bj(2026, 7, 1, 12, 50))  # past the deadline but in the lunch break
    assert check_deadlines(people, clock, events, policy=policy) == []

    clock.set(bj(2026, 7, 1, 13, 30))
    first = check_deadlines(people, clock, events, policy=policy)
    assert [(e.level, e.role, e.recipient_id) for e in first] == [(1, "owner", "u_am")]
    assert first[0].overdue_hours == 0.5
    assert check_deadlines(people, clock, events, policy=policy) == []

    clock.set(bj(2026, 7, 1, 17, 30))  # 4.5 business hours late
    second = check_deadlines(people, clock, events, policy=policy)
    assert [(e.level, e.role, e.recipient_id) for e in second] == [(2, "manager", "u_mgr")]

    clock.set(bj(2026, 7, 3, 16))  # Wed 6h + Thu 8h + Fri 6h = 20h late
    third = check_deadlines(people, clock, events, policy=policy)
    assert [(e.level, e.role, e.recipient_id) for e in third] == [(3, "director", "u_dir")]
    assert check_deadlines(people, clock, events, policy=policy) == []

    escalated = [e for e in events.events if e.name == "complaint.escalated"]
    assert [e.data["level"] for e in escalated] == [1, 2, 3]
    assert escalated[1].data["recipient_id"] == "u_mgr"
    assert escalated[0].subject_id == "cus_a"
    assert escalated[0].data["complaint_id"] == "c1"
    log = [t for t in complaint_history(people, "c1") if t.action is ComplaintAction.ESCALATED]
    assert [(t.actor_id, t.note) for t in log] == [
        (None, "level 1 (owner)"),
        (None, "level 2 (manager)"),
        (None, "level 3 (director)"),
    ]
    assert people.get(ComplaintClock, "c1").escalation_level == 3


def test_late_check_fires_every_due_level(people, events, policy) -> None:
    open_at(people, events, policy, bj(2026, 6, 30, 17))
    fired = check_deadlines(people, FixedClock(bj(2026, 7, 10, 9)), events, policy=policy)
    assert [e.level for e in fired] == [1, 2, 3]


def test_assignee_is_the_owner_for_escalation(people, events, policy) -> None:
    clock = FixedClock(bj(2026, 6, 30, 17))
    open_at(people, events, policy, clock.now())
    advance_complaint(
        people, clock, events, "c1", S.LOGGED, actor_id="u_am", category="x", assignee_id="u_agent"
    )
    clock.set(bj(2026, 7, 1, 14))
    fired = check_deadlines(people, clock, events, policy=policy)
    assert fired[0].recipient_id == "u_agent"


def test_paused_and_closed_complaints_are_not_escalated(people, events, policy) -> None:
    clock = FixedClock(bj(2026, 6, 30, 17))
    open_at(people, events, policy, clock.now(), cid="paused")
    pause_complaint(people, clock, events, "paused", actor_id="u_am", reason="waiting")
    clock.set(bj(2026, 7, 20, 9))
    assert check_deadlines(people, clock, events, policy=policy) == []


def test_custom_ladder(people, events, policy) -> None:
    ladder = EscalationLadder((EscalationStep(1, "manager", 2),))
    custom = ComplaintPolicy(calendar=policy.calendar, escalation=ladder)
    open_at(people, events, custom, bj(2026, 6, 30, 17))
    clock = FixedClock(bj(2026, 7, 1, 14))  # 1h late: not yet
    assert check_deadlines(people, clock, events, policy=custom) == []
    assert people.get(ComplaintClock, "c1").breached
    clock.set(bj(2026, 7, 1, 15, 30))
    assert [e.recipient_id for e in check_deadlines(people, clock, events, policy=custom)] == [
        "u_mgr"
    ]


def test_missing_manager_still_escalates_without_recipient(store, events, policy) -> None:
    from datetime import UTC, datetime

    from keyaccount.models import Customer

    store.put(Customer("cus_o", "Orphan", datetime(2020, 1, 1, tzinfo=UTC), tier="A"))
    open_at(store, events, policy, bj(2026, 6, 30, 17), customer="cus_o")
    fired = check_deadlines(store, FixedClock(bj(2026, 7, 10, 9)), events, policy=policy)
    assert [(e.role, e.recipient_id) for e in fired] == [
        ("owner", None),
        ("manager", None),
        ("director", None),
    ]


def test_met_sla_on_close(people, events, policy) -> None:
    clock = FixedClock(bj(2026, 6, 30, 17))
    open_at(people, events, policy, clock.now(), cid="late")
    open_at(people, events, policy, clock.now(), cid="ontime")
    steps = [
        (S.LOGGED, {"category": "billing"}),
        (S.INVESTIGATING, {}),
        (S.SOLUTION_PROPOSED, {"root_cause": "rate table", "resolution": "credit note"}),
        (S.EXECUTING, {}),
        (S.FOLLOW_UP, {}),
    ]
    for cid in ("late", "ontime"):
        for step, fields in steps:
            advance_complaint(people, clock, events, cid, step, actor_id="u_am", **fields)
    clock.set(bj(2026, 7, 1, 11))
    on_time = advance_complaint(people, clock, events, "ontime", S.CLOSED, actor_id="u_am")
    clock.set(bj(2026, 7, 1, 14))
    late = advance_complaint(people, clock, events, "late", S.CLOSED, actor_id="u_am")
    assert on_time.clock.met_sla is True
    assert on_time.clock.consumed_seconds == 3 * 3600
    assert late.clock.met_sla is False
    assert late.clock.breached
    assert late.clock.stopped_at == clock.now()


def test_closing_after_hours_on_the_due_day_is_on_time(people, events, policy) -> None:
    open_at(people, events, policy, bj(2026, 6, 30, 17))  # due Wed 12:00
    clock = FixedClock(bj(2026, 7, 1, 12, 40))  # lunch break: no business time has passed
    for step, fields in [
        (S.LOGGED, {"category": "billing"}),
        (S.INVESTIGATING, {}),
        (S.SOLUTION_PROPOSED, {"root_cause": "r", "resolution": "s"}),
        (S.EXECUTING, {}),
        (S.FOLLOW_UP, {}),
        (S.CLOSED, {}),
    ]:
        update = advance_complaint(people, clock, events, "c1", step, actor_id="u_am", **fields)
    assert update.clock.met_sla is True


def test_close_while_paused_counts_time_until_the_pause(people, events, policy) -> None:
    clock = FixedClock(bj(2026, 6, 30, 17))
    open_at(people, events, policy, clock.now())
    for step, fields in [
        (S.LOGGED, {"category": "billing"}),
        (S.INVESTIGATING, {}),
        (S.SOLUTION_PROPOSED, {"root_cause": "r", "resolution": "s"}),
        (S.EXECUTING, {}),
        (S.FOLLOW_UP, {}),
    ]:
        advance_complaint(people, clock, events, "c1", step, actor_id="u_am", **fields)
    clock.set(bj(2026, 7, 1, 10))
    pause_complaint(people, clock, events, "c1", actor_id="u_am", reason="awaiting sign-off")
    clock.set(bj(2026, 7, 15, 10))
    closed = advance_complaint(people, clock, events, "c1", S.CLOSED, actor_id="u_am")
    assert closed.clock.consumed_seconds == 2 * 3600
    assert closed.clock.met_sla is True
    assert closed.clock.paused_since is None


def test_clock_record_states_are_exclusive() -> None:
    with pytest.raises(ValidationError, match="exactly one of running, paused or stopped"):
        ComplaintClock("c1", 3600, bj(2026, 7, 1, 12))
    with pytest.raises(ValidationError, match="exactly one of"):
        ComplaintClock(
            "c1",
            3600,
            bj(2026, 7, 1, 12),
            running_since=bj(2026, 7, 1, 9),
            paused_since=bj(2026, 7, 1, 10),
        )


def test_policy_default_is_shared_between_calls(people, events) -> None:
    # No policy passed: the default calendar must still give the holiday-aware deadline.
    update = open_complaint(
        people,
        FixedClock(bj(2026, 6, 18, 17)),
        events,
        customer_id="cus_a",
        subject="x",
        actor_id="u",
        severity="critical",
    )
    assert update.complaint.deadline_at == bj(2026, 6, 22, 12)
    assert update.clock.deadline_at - update.complaint.received_at > timedelta(days=3)
