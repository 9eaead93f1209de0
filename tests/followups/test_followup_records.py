from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keyaccount.errors import ValidationError
from keyaccount.followups import FollowUp, FollowUpStatus

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
