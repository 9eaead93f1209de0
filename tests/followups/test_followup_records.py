from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keyaccount.errors import ValidationError
from keyaccount.followups import (
    FollowUp,
    FollowUpClosed,
    FollowUpStatus,
    cancel_follow_up,
    complete_follow_up,
    open_follow_ups,
)

AT = datetime(2026, 6, 1, tzinfo=UTC)
DUE = datetime(2026, 6, 4, tzinfo=UTC)


def test_follow_up_round_trips(store) -> None:
    task = FollowUp("fu_1", "cus_1", "u_1", DUE, "call back", AT, "survey_response", "sr_1")
    store.put(task)
    assert store.get(FollowUp, "fu_1") == task
    assert task.is_open


def test_source_kind_and_id_go_together() -> None:
    with pytest.raises(ValidationError, match=r"FollowUp\.source_id"):
        FollowUp("fu_1", "cus_1", "u_1", DUE, "call back", AT, source_kind="complaint")


def test_closed_status_needs_closed_at() -> None:
    with pytest.raises(ValidationError, match="a done task needs closed_at"):
        FollowUp("fu_1", "cus_1", "u_1", DUE, "x", AT, status=FollowUpStatus.DONE)


def test_open_task_has_no_closed_at() -> None:
    with pytest.raises(ValidationError, match="an open task is not closed"):
        FollowUp("fu_1", "cus_1", "u_1", DUE, "x", AT, closed_at=DUE)


def test_reason_required() -> None:
    with pytest.raises(ValidationError, match=r"FollowUp\.reason"):
        FollowUp("fu_1", "cus_1", "u_1", DUE, " ", AT)


def _tasks(store) -> None:
    store.put_many(
        [
            FollowUp("fu_1", "cus_1", "u_1", DUE, "call back", AT),
            FollowUp("fu_2", "cus_2", "u_1", AT, "send quote", AT),
            FollowUp("fu_3", "cus_1", "u_2", DUE, "visit", AT),
        ]
    )


def test_complete_and_cancel(store, clock, events) -> None:
    _tasks(store)
    done = complete_follow_up(store, clock, events, "fu_1", note="called")
    assert (done.status, done.closed_at, done.note) == (FollowUpStatus.DONE, clock.now(), "called")
    assert store.get(FollowUp, "fu_1") == done
    cancelled = cancel_follow_up(store, clock, events, "fu_2")
    assert cancelled.status is FollowUpStatus.CANCELLED
    assert events.names() == ["followup.done", "followup.cancelled"]


def test_closing_twice_is_an_error(store, clock, events) -> None:
    _tasks(store)
    complete_follow_up(store, clock, events, "fu_1")
    with pytest.raises(FollowUpClosed, match="'fu_1' is already done"):
        cancel_follow_up(store, clock, events, "fu_1")


def test_open_follow_ups_filters(store, clock, events) -> None:
    _tasks(store)
    assert [t.id for t in open_follow_ups(store)] == ["fu_2", "fu_1", "fu_3"]
    assert [t.id for t in open_follow_ups(store, owner_id="u_1")] == ["fu_2", "fu_1"]
    assert [t.id for t in open_follow_ups(store, customer_id="cus_1")] == ["fu_1", "fu_3"]
    assert [t.id for t in open_follow_ups(store, due_before=DUE)] == ["fu_2"]
    complete_follow_up(store, clock, events, "fu_2")
    assert [t.id for t in open_follow_ups(store, owner_id="u_1")] == ["fu_1"]
