"""A write failing half-way through a service call leaves the store exactly as it was."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from keyaccount.complaints import (
    ComplaintClock,
    ComplaintTransition,
    advance_complaint,
    open_complaint,
)
from keyaccount.errors import StorageError
from keyaccount.followups import FollowUp
from keyaccount.models import Complaint, Interaction, SurveyResponse
from keyaccount.models.enums import ComplaintStatus
from keyaccount.surveys import Question, define_survey, record_response
from keyaccount.visits import PlannedVisit, VisitStatus, log_interaction


class FailOn:
    """Delegates to a store but refuses to write records of one type."""

    def __init__(self, inner: Any, refused: type) -> None:
        self._inner = inner
        self._refused = refused

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def put(self, record: object) -> None:
        if isinstance(record, self._refused):
            raise StorageError(f"disk full writing {type(record).__name__}")
        self._inner.put(record)

    def put_many(self, records: Any) -> int:
        records = list(records)
        for record in records:
            if isinstance(record, self._refused):
                raise StorageError("disk full")
        return int(self._inner.put_many(records))


def test_failed_log_entry_rolls_back_the_step(people, clock, events, policy) -> None:
    open_complaint(
        people, clock, events, customer_id="cus_a", subject="x", actor_id="u", complaint_id="c1",
        policy=policy,
    )  # fmt: skip
    before = (people.get(Complaint, "c1"), people.get(ComplaintClock, "c1"))
    failing = FailOn(people, ComplaintTransition)
    with pytest.raises(StorageError):
        advance_complaint(
            failing, clock, events, "c1", ComplaintStatus.LOGGED, actor_id="u", category="x",
            severity="critical", policy=policy,
        )  # fmt: skip
    assert (people.get(Complaint, "c1"), people.get(ComplaintClock, "c1")) == before
    assert people.count(ComplaintTransition) == 1
    assert events.names() == ["complaint.opened"]


def test_failed_follow_up_rolls_back_the_interaction(people, clock, events) -> None:
    people.put(PlannedVisit("pv1", "cus_a", "u_am", date(2026, 6, 1), clock.now()))
    with pytest.raises(StorageError):
        log_interaction(
            FailOn(people, FollowUp), clock, events, customer_id="cus_a", channel="visit",
            next_step="quote", next_step_due=clock.now() + timedelta(days=3),
        )  # fmt: skip
    assert people.count(Interaction) == 0
    assert people.get(PlannedVisit, "pv1").status is VisitStatus.PLANNED
    assert events.names() == []


def test_failed_follow_up_rolls_back_the_survey_answer(people, clock, events) -> None:
    define_survey(
        people, clock, events, name="s", survey_id="s1",
        questions=[Question("recommend", "nps", "Recommend?")],
    )  # fmt: skip
    with pytest.raises(StorageError):
        record_response(
            FailOn(people, FollowUp), clock, events, survey_id="s1", customer_id="cus_a",
            answers={"recommend": 0}, answered_at=datetime(2026, 6, 1, tzinfo=UTC),
        )  # fmt: skip
    assert people.count(SurveyResponse) == 0
