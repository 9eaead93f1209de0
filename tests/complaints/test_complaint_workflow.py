from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from complaint_helpers import bj

from keyaccount.clock import FixedClock
from keyaccount.complaints import (
    ALLOWED,
    ComplaintAction,
    ComplaintClock,
    ComplaintPolicy,
    IllegalComplaintTransition,
    advance_complaint,
    complaint_history,
    open_complaint,
    reopen_complaint,
)
from keyaccount.errors import RecordNotFound, ValidationError
from keyaccount.events import RecordingSink
from keyaccount.models import Complaint
from keyaccount.models.enums import ComplaintStatus as S
from keyaccount.models.enums import Severity
from keyaccount.storage import Store

# A legal path to every status, with the fields each step needs.
PATH: list[tuple[S, dict[str, str]]] = [
    (S.LOGGED, {"category": "delivery"}),
    (S.INVESTIGATING, {}),
    (S.SOLUTION_PROPOSED, {"root_cause": "carrier mix-up", "resolution": "re-ship"}),
    (S.EXECUTING, {}),
    (S.FOLLOW_UP, {}),
    (S.CLOSED, {}),
]
FIELDS = dict(PATH)


def opened(store: Store, clock: FixedClock, events: RecordingSink, policy: ComplaintPolicy):
    return open_complaint(
        store,
        clock,
        events,
        customer_id="cus_a",
        subject="Late delivery",
        actor_id="u_agent",
        complaint_id="cmp_1",
        policy=policy,
    )


def drive_to(store, clock, events, policy, status: S) -> None:
    opened(store, clock, events, policy)
    for step, fields in PATH:
        if store.get(Complaint, "cmp_1").status is status:
            return
        advance_complaint(
            store, clock, events, "cmp_1", step, actor_id="u_am", policy=policy, **fields
        )
    assert store.get(Complaint, "cmp_1").status is status


def test_open_records_receipt_and_deadline(people, clock, events, policy) -> None:
    # Received Tue 30 Jun 2026 17:00 Beijing; tier A medium = 16 business hours:
    # Tue 1h + Wed 8h + Thu 7h → Thu 2 Jul 17:00 Beijing.
    update = opened(people, clock, events, policy)
    assert update.complaint.status is S.RECEIVED
    assert update.complaint.deadline_at == bj(2026, 7, 2, 17)
    assert update.clock.budget_seconds == 16 * 3600
    assert people.get(Complaint, "cmp_1") == update.complaint
    assert update.transition.action is ComplaintAction.OPENED
    assert update.transition.actor_id == "u_agent"
    assert update.transition.at == clock.now()
    assert events.names() == ["complaint.opened"]
    assert events.events[0].data["deadline_at"] == bj(2026, 7, 2, 17).isoformat()


def test_full_path_logs_every_step_with_who_and_when(people, clock, events, policy) -> None:
    opened(people, clock, events, policy)
    for step, fields in PATH:
        clock.advance(timedelta(minutes=30))
        advance_complaint(
            people, clock, events, "cmp_1", step, actor_id="u_am", note=step.value, **fields
        )
    history = complaint_history(people, "cmp_1")
    assert [(t.from_status, t.to_status) for t in history] == [
        (None, S.RECEIVED),
        (S.RECEIVED, S.LOGGED),
        (S.LOGGED, S.INVESTIGATING),
        (S.INVESTIGATING, S.SOLUTION_PROPOSED),
        (S.SOLUTION_PROPOSED, S.EXECUTING),
        (S.EXECUTING, S.FOLLOW_UP),
        (S.FOLLOW_UP, S.CLOSED),
    ]
    assert [t.sequence for t in history] == list(range(1, 8))
    assert all(t.actor_id == "u_am" for t in history[1:])
    assert [t.at for t in history[1:]] == [
        bj(2026, 6, 30, 17) + timedelta(minutes=30 * n) for n in range(1, 7)
    ]
    closed = people.get(Complaint, "cmp_1")
    assert closed.closed_at == clock.now()
    assert closed.root_cause == "carrier mix-up"
    assert events.names()[-1] == "complaint.closed"
    assert events.events[-1].data["met_sla"] is True


ALL_PAIRS = list(itertools.product(list(S), list(S)))


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=[f"{a}-{b}" for a, b in ALL_PAIRS])
def test_every_transition_pair(people, clock, events, policy, source: S, target: S) -> None:
    drive_to(people, clock, events, policy, source)
    before = complaint_history(people, "cmp_1")
    fields = FIELDS.get(target, {})
    if target in ALLOWED[source]:
        update = advance_complaint(
            people, clock, events, "cmp_1", target, actor_id="u_am", policy=policy, **fields
        )
        assert update.complaint.status is target
        assert len(complaint_history(people, "cmp_1")) == len(before) + 1
        return
    with pytest.raises(IllegalComplaintTransition) as info:
        advance_complaint(
            people, clock, events, "cmp_1", target, actor_id="u_am", policy=policy, **fields
        )
    err = info.value
    assert (err.from_status, err.to_status) == (source, target)
    assert f"from {source.value} to {target.value}" in str(err)
    assert people.get(Complaint, "cmp_1").status is source
    assert complaint_history(people, "cmp_1") == before


def test_closed_complaint_points_at_reopen(people, clock, events, policy) -> None:
    drive_to(people, clock, events, policy, S.CLOSED)
    with pytest.raises(IllegalComplaintTransition, match="use reopen_complaint"):
        advance_complaint(people, clock, events, "cmp_1", S.INVESTIGATING, actor_id="u_am")


def test_allowed_table_is_the_documented_workflow() -> None:
    edges = {(a, b) for a, targets in ALLOWED.items() for b in targets}
    assert edges == {
        (S.RECEIVED, S.LOGGED),
        (S.LOGGED, S.INVESTIGATING),
        (S.INVESTIGATING, S.SOLUTION_PROPOSED),
        (S.SOLUTION_PROPOSED, S.EXECUTING),
        (S.SOLUTION_PROPOSED, S.INVESTIGATING),
        (S.EXECUTING, S.FOLLOW_UP),
        (S.FOLLOW_UP, S.CLOSED),
        (S.FOLLOW_UP, S.EXECUTING),
    }


def test_classification_needs_a_category(people, clock, events, policy) -> None:
    opened(people, clock, events, policy)
    with pytest.raises(ValidationError, match=r"Complaint\.category"):
        advance_complaint(people, clock, events, "cmp_1", S.LOGGED, actor_id="u_am")
    assert people.get(Complaint, "cmp_1").status is S.RECEIVED


@pytest.mark.parametrize(
    ("fields", "missing"),
    [({"resolution": "re-ship"}, "root_cause"), ({"root_cause": "x"}, "resolution")],
)
def test_solution_needs_root_cause_and_resolution(
    people, clock, events, policy, fields, missing
) -> None:
    drive_to(people, clock, events, policy, S.INVESTIGATING)
    with pytest.raises(ValidationError, match=rf"Complaint\.{missing}"):
        advance_complaint(
            people, clock, events, "cmp_1", S.SOLUTION_PROPOSED, actor_id="u_am", **fields
        )


def test_unknown_target_status(people, clock, events, policy) -> None:
    opened(people, clock, events, policy)
    with pytest.raises(ValidationError, match=r"advance_complaint\.to.*'done'"):
        advance_complaint(people, clock, events, "cmp_1", "done", actor_id="u_am")


def test_bad_satisfaction_is_rejected_at_the_model(people, clock, events, policy) -> None:
    drive_to(people, clock, events, policy, S.FOLLOW_UP)
    with pytest.raises(ValidationError, match=r"Complaint\.satisfaction"):
        advance_complaint(people, clock, events, "cmp_1", S.CLOSED, actor_id="u_am", satisfaction=9)
    assert people.get(Complaint, "cmp_1").status is S.FOLLOW_UP


def test_reopen_goes_back_to_investigation(people, clock, events, policy) -> None:
    drive_to(people, clock, events, policy, S.CLOSED)
    clock.advance(timedelta(days=1))
    update = reopen_complaint(
        people, clock, events, "cmp_1", actor_id="u_mgr", reason="problem came back"
    )
    assert update.complaint.status is S.INVESTIGATING
    assert update.complaint.closed_at is None
    assert update.transition.action is ComplaintAction.REOPENED
    assert update.transition.note == "problem came back"
    assert update.clock.running_since == clock.now()
    assert events.names()[-1] == "complaint.reopened"


def test_reopen_only_closed_and_with_reason(people, clock, events, policy) -> None:
    drive_to(people, clock, events, policy, S.EXECUTING)
    with pytest.raises(IllegalComplaintTransition, match="only a closed complaint"):
        reopen_complaint(people, clock, events, "cmp_1", actor_id="u_mgr", reason="x")
    advance_complaint(people, clock, events, "cmp_1", S.FOLLOW_UP, actor_id="u_am")
    advance_complaint(people, clock, events, "cmp_1", S.CLOSED, actor_id="u_am")
    with pytest.raises(ValidationError, match=r"reopen_complaint\.reason"):
        reopen_complaint(people, clock, events, "cmp_1", actor_id="u_mgr", reason="  ")


def test_reopen_resumes_with_remaining_budget(people, clock, events, policy) -> None:
    # 2 business hours used (Tue 17-18, Wed 9-10), then closed; reopened Mon 6 Jul 09:00 with
    # 14h left: Mon 8h + Tue 6h (9-12, 13-16) → Tue 7 Jul 16:00.
    drive_to(people, clock, events, policy, S.FOLLOW_UP)
    clock.set(bj(2026, 7, 1, 10))
    advance_complaint(people, clock, events, "cmp_1", S.CLOSED, actor_id="u_am")
    assert people.get(ComplaintClock, "cmp_1").consumed_seconds == 2 * 3600
    clock.set(bj(2026, 7, 6, 9))
    update = reopen_complaint(people, clock, events, "cmp_1", actor_id="u_mgr", reason="again")
    assert update.complaint.deadline_at == bj(2026, 7, 7, 16)


def test_unknown_customer(store, clock, events, policy) -> None:
    with pytest.raises(RecordNotFound, match="cus_nope"):
        open_complaint(
            store, clock, events, customer_id="cus_nope", subject="x", actor_id="u", policy=policy
        )


def test_duplicate_id_refused(people, clock, events, policy) -> None:
    opened(people, clock, events, policy)
    with pytest.raises(ValidationError, match=r"Complaint\.id"):
        opened(people, clock, events, policy)


def test_unknown_complaint(people, clock, events) -> None:
    with pytest.raises(RecordNotFound):
        advance_complaint(people, clock, events, "cmp_missing", S.LOGGED, actor_id="u")


def test_blank_subject_rejected(people, clock, events, policy) -> None:
    with pytest.raises(ValidationError, match=r"Complaint\.subject"):
        open_complaint(
            people, clock, events, customer_id="cus_a", subject="", actor_id="u", policy=policy
        )
    assert people.count(Complaint) == 0


def test_severity_at_classification_rederives_deadline(people, clock, events, policy) -> None:
    # Tier A critical = 4h from Tue 17:00: Tue 1h + Wed 3h → Wed 1 Jul 12:00.
    opened(people, clock, events, policy)
    update = advance_complaint(
        people,
        clock,
        events,
        "cmp_1",
        S.LOGGED,
        actor_id="u_am",
        category="quality",
        severity=Severity.CRITICAL,
        department="QA",
        assignee_id="u_agent",
    )
    assert update.complaint.deadline_at == bj(2026, 7, 1, 12)
    assert update.clock.budget_seconds == 4 * 3600
    assert update.complaint.assignee_id == "u_agent"
    assert update.complaint.department == "QA"


def test_receipt_in_the_future_rejected(people, clock, events, policy) -> None:
    with pytest.raises(ValidationError, match=r"Complaint\.received_at.*future"):
        open_complaint(
            people,
            clock,
            events,
            customer_id="cus_a",
            subject="x",
            actor_id="u",
            received_at=clock.now() + timedelta(hours=1),
            policy=policy,
        )
    assert people.count(Complaint) == 0


def test_remedy_sought_is_kept_on_the_opened_entry(people, clock, events, policy) -> None:
    update = open_complaint(
        people,
        clock,
        events,
        customer_id="cus_a",
        subject="Damaged goods",
        actor_id="u_agent",
        remedy_sought=" replacement and credit note ",
        policy=policy,
    )
    assert update.transition.note == "replacement and credit note"
    assert complaint_history(people, update.complaint.id)[0].note == "replacement and credit note"
