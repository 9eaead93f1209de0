"""The complaint state machine (ISO 10002 clause 8 / GB/T 19012 steps)."""

from __future__ import annotations

from collections.abc import Mapping

from keyaccount.errors import KeyaccountError
from keyaccount.models.enums import ComplaintStatus as S

# Backward edges are deliberate: a customer may reject a proposed solution (back to
# investigation), and follow-up may show the fix did not hold (back to execution).
# Reopening a closed complaint goes through ``reopen_complaint`` so it always carries a reason.
ALLOWED: Mapping[S, frozenset[S]] = {
    S.RECEIVED: frozenset({S.LOGGED}),
    S.LOGGED: frozenset({S.INVESTIGATING}),
    S.INVESTIGATING: frozenset({S.SOLUTION_PROPOSED}),
    S.SOLUTION_PROPOSED: frozenset({S.EXECUTING, S.INVESTIGATING}),
    S.EXECUTING: frozenset({S.FOLLOW_UP}),
    S.FOLLOW_UP: frozenset({S.CLOSED, S.EXECUTING}),
    S.CLOSED: frozenset(),
}

REOPEN_TO = S.INVESTIGATING

DISPLAY: Mapping[S, str] = {
    S.RECEIVED: "接收",
    S.LOGGED: "记录与分类",
    S.INVESTIGATING: "调查与核实",
    S.SOLUTION_PROPOSED: "制定解决方案",
    S.EXECUTING: "执行",
    S.FOLLOW_UP: "跟进与反馈",
    S.CLOSED: "结案",
}


class IllegalComplaintTransition(KeyaccountError):
    """A complaint was asked to move along an edge the workflow does not have."""

    def __init__(self, complaint_id: str, from_status: S, to_status: S, hint: str = "") -> None:
        self.complaint_id = complaint_id
        self.from_status = from_status
        self.to_status = to_status
        allowed = ", ".join(sorted(s.value for s in ALLOWED[from_status])) or "none"
        message = (
            f"complaint {complaint_id!r} cannot go from {from_status.value} to "
            f"{to_status.value} (allowed from {from_status.value}: {allowed})"
        )
        super().__init__(f"{message}; {hint}" if hint else message)


class ComplaintClockError(KeyaccountError):
    """Pause or resume asked of a clock in the wrong state (already paused, closed...)."""


def check_transition(complaint_id: str, from_status: S, to_status: S) -> None:
    if to_status in ALLOWED[from_status]:
        return
    hint = "use reopen_complaint to reopen" if from_status is S.CLOSED else ""
    raise IllegalComplaintTransition(complaint_id, from_status, to_status, hint)
