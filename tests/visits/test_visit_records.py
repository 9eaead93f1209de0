from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from keyaccount.errors import ValidationError
from keyaccount.host import PluginHost
from keyaccount.visits import PlannedVisit, VisitStatus

AT = datetime(2026, 6, 1, tzinfo=UTC)


def test_planned_visit_round_trips_through_the_store(store) -> None:
    visit = PlannedVisit("pv_1", "cus_1", "u_1", date(2026, 7, 1), AT, purpose="季度拜访")
    store.put(visit)
    assert store.get(PlannedVisit, "pv_1") == visit
    assert visit.is_open


def test_done_visit_needs_its_interaction() -> None:
    with pytest.raises(ValidationError, match=r"PlannedVisit\.interaction_id"):
        PlannedVisit("pv_1", "cus_1", "u_1", date(2026, 7, 1), AT, status=VisitStatus.DONE)


def test_only_done_visit_has_interaction() -> None:
    with pytest.raises(ValidationError, match="status is planned"):
        PlannedVisit("pv_1", "cus_1", "u_1", date(2026, 7, 1), AT, interaction_id="int_1")


def test_due_on_must_be_a_date() -> None:
    with pytest.raises(ValidationError, match=r"PlannedVisit\.due_on"):
        PlannedVisit("pv_1", "cus_1", "u_1", AT, AT)  # type: ignore[arg-type]


def test_status_rejects_unknown_value() -> None:
    with pytest.raises(ValidationError, match="must be one of planned"):
        PlannedVisit("pv_1", "cus_1", "u_1", date(2026, 7, 1), AT, status="later")


def test_operations_plugin_registers_its_kinds(host: PluginHost) -> None:
    kinds = {schema.kind for schema in host.record_types()}
    assert {"planned_visit", "follow_up"} <= kinds
