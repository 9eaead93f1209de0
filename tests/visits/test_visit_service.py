from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from keyaccount.clock import FixedClock
from keyaccount.errors import RecordNotFound, ValidationError
from keyaccount.followups import FollowUp
from keyaccount.models import Contact, Customer, Interaction
from keyaccount.models.enums import Channel, CustomerStatus
from keyaccount.tiering.policy import PolicyBook, TierPolicy, default_policy_book
from keyaccount.visits import (
    PlannedVisit,
    VisitStatus,
    file_visit_report,
    log_interaction,
    mark_missed_visits,
    overdue_visits,
    plan_visits,
    visit_completion,
    visits_missing_report,
)

CREATED = datetime(2020, 1, 1, tzinfo=UTC)
TODAY = date(2026, 6, 30)  # the conftest clock: 2026-06-30 09:00 UTC = 17:00 in Beijing


@pytest.fixture
def crm(store):
    store.put_many(
        [
            Customer("cus_a", "Alpha", CREATED, tier="A", owner_id="u_li"),
            Customer("cus_b", "Beta", CREATED, tier="B", owner_id="u_wang"),
            Customer("cus_c", "Gamma", CREATED, tier="C", owner_id="u_li"),
            Customer("cus_old", "Old", CREATED, tier="A", status=CustomerStatus.ARCHIVED),
            Contact("ct_1", "cus_a", "Ms Zhang"),
            Contact("ct_b", "cus_b", "Mr Zhao"),
        ]
    )
    return store


def plan(store, vid, customer, due, owner="u_li", status=VisitStatus.PLANNED):
    visit = PlannedVisit(vid, customer, owner, due, CREATED, status=status)
    store.put(visit)
    return visit


def test_log_phone_call(crm, clock, events) -> None:
    logged = log_interaction(
        crm,
        clock,
        events,
        customer_id="cus_a",
        channel="phone",
        contact_ids=["ct_1"],
        summary="price review",
        needs="volume discount",
    )
    stored = crm.get(Interaction, logged.interaction.id)
    assert stored.channel is Channel.PHONE
    assert stored.owner_id == "u_li"
    assert stored.occurred_at == clock.now()
    assert stored.contact_ids == ("ct_1",)
    assert logged.visit is None
    assert logged.follow_up is None
    assert events.names() == ["interaction.logged"]


@pytest.mark.parametrize("channel", list(Channel))
def test_every_channel_can_be_logged(crm, clock, events, channel) -> None:
    logged = log_interaction(crm, clock, events, customer_id="cus_b", channel=channel.value)
    assert crm.get(Interaction, logged.interaction.id).channel is channel


def test_visit_fulfils_earliest_open_plan(crm, clock, events) -> None:
    plan(crm, "pv_late", "cus_a", date(2026, 6, 1))
    plan(crm, "pv_next", "cus_a", date(2026, 7, 1))
    logged = log_interaction(crm, clock, events, customer_id="cus_a", channel="visit")
    assert logged.visit is not None
    assert logged.visit.id == "pv_late"
    stored = crm.get(PlannedVisit, "pv_late")
    assert stored.status is VisitStatus.DONE
    assert stored.interaction_id == logged.interaction.id
    assert crm.get(PlannedVisit, "pv_next").status is VisitStatus.PLANNED
    assert events.names() == ["interaction.logged", "visit.done"]


def test_visit_names_its_plan(crm, clock, events) -> None:
    plan(crm, "pv_1", "cus_a", date(2026, 6, 1))
    plan(crm, "pv_2", "cus_a", date(2026, 7, 1))
    logged = log_interaction(
        crm, clock, events, customer_id="cus_a", channel="visit", planned_visit_id="pv_2"
    )
    assert logged.visit is not None
    assert logged.visit.id == "pv_2"
    assert crm.get(PlannedVisit, "pv_1").is_open


def test_visit_without_plan_is_still_logged(crm, clock, events) -> None:
    logged = log_interaction(crm, clock, events, customer_id="cus_a", channel="visit")
    assert logged.visit is None


def test_plan_must_be_open_and_the_customers(crm, clock, events) -> None:
    plan(crm, "pv_b", "cus_b", date(2026, 6, 1), owner="u_wang")
    plan(crm, "pv_done_src", "cus_a", date(2026, 6, 1), status=VisitStatus.CANCELLED)
    for vid in ("pv_b", "pv_done_src"):
        with pytest.raises(ValidationError, match="is not an open planned visit of cus_a"):
            log_interaction(
                crm, clock, events, customer_id="cus_a", channel="visit", planned_visit_id=vid
            )
    with pytest.raises(ValidationError, match="only a visit fulfils"):
        log_interaction(
            crm, clock, events, customer_id="cus_b", channel="phone", planned_visit_id="pv_b"
        )
    with pytest.raises(RecordNotFound):
        log_interaction(
            crm, clock, events, customer_id="cus_a", channel="visit", planned_visit_id="pv_zz"
        )
    assert crm.count(Interaction) == 0


def test_next_step_opens_follow_up(crm, clock, events) -> None:
    due = clock.now() + timedelta(days=7)
    logged = log_interaction(
        crm,
        clock,
        events,
        customer_id="cus_b",
        channel="meeting",
        owner_id="u_zhou",
        next_step="send revised quote",
        next_step_due=due,
    )
    task = logged.follow_up
    assert task is not None
    assert crm.get(FollowUp, task.id) == task
    assert (task.owner_id, task.due_at, task.reason) == ("u_zhou", due, "send revised quote")
    assert (task.source_kind, task.source_id) == ("interaction", logged.interaction.id)
    assert events.names() == ["interaction.logged", "followup.opened"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"channel": "fax"}, r"Interaction\.channel"),
        ({"next_step_due": datetime(2026, 7, 5, tzinfo=UTC)}, r"Interaction\.next_step"),
        ({"occurred_at": datetime(2026, 7, 1, tzinfo=UTC)}, "is in the future"),
        ({"occurred_at": datetime(2026, 6, 1)}, "timezone-aware"),
        ({"contact_ids": ["ct_b"]}, "not a contact of cus_a.*ct_b"),
        ({"contact_ids": ["ct_missing"]}, "not a contact"),
    ],
)
def test_bad_interactions_are_rejected(crm, clock, events, kwargs, match) -> None:
    args = {"customer_id": "cus_a", "channel": "visit", **kwargs}
    with pytest.raises(ValidationError, match=match):
        log_interaction(crm, clock, events, **args)
    assert crm.count(Interaction) == 0
    assert crm.count(FollowUp) == 0


def test_unknown_customer(crm, clock, events) -> None:
    with pytest.raises(RecordNotFound):
        log_interaction(crm, clock, events, customer_id="cus_zz", channel="phone")


def test_duplicate_interaction_id(crm, clock, events) -> None:
    log_interaction(crm, clock, events, customer_id="cus_a", channel="im", interaction_id="i1")
    with pytest.raises(ValidationError, match=r"Interaction\.id"):
        log_interaction(crm, clock, events, customer_id="cus_a", channel="im", interaction_id="i1")


def test_file_visit_report(crm, clock, events) -> None:
    logged = log_interaction(crm, clock, events, customer_id="cus_a", channel="visit")
    updated = file_visit_report(crm, clock, events, logged.interaction.id, "  met the CFO  ")
    assert updated.report == "met the CFO"
    assert crm.get(Interaction, logged.interaction.id).report == "met the CFO"
    assert events.names()[-1] == "visit.report_filed"
    with pytest.raises(ValidationError, match=r"Interaction\.report"):
        file_visit_report(crm, clock, events, logged.interaction.id, " ")
    call = log_interaction(crm, clock, events, customer_id="cus_a", channel="phone")
    with pytest.raises(ValidationError, match="only visits take a visit report"):
        file_visit_report(crm, clock, events, call.interaction.id, "x")


def _dues(result, customer):
    return [v.due_on for v in result.created if v.customer_id == customer]


def test_plan_from_tier_cadence(crm, clock, events) -> None:
    result = plan_visits(crm, clock, events)
    # Never visited: first visit due today, then every cadence until today + 365 days.
    assert _dues(result, "cus_a") == [TODAY + timedelta(days=30 * k) for k in range(13)]
    assert _dues(result, "cus_b") == [TODAY + timedelta(days=60 * k) for k in range(7)]
    assert _dues(result, "cus_c") == [TODAY + timedelta(days=180 * k) for k in range(3)]
    assert _dues(result, "cus_old") == []
    assert crm.count(PlannedVisit) == 23
    a_visit = next(v for v in result.created if v.customer_id == "cus_a")
    assert a_visit.owner_id == "u_li"
    assert a_visit.status is VisitStatus.PLANNED
    assert sorted(e.subject_id for e in events.events) == ["cus_a", "cus_b", "cus_c"]


def test_plan_continues_after_last_visit(crm, clock, events) -> None:
    log_interaction(
        crm,
        FixedClock(datetime(2026, 6, 20, 2, tzinfo=UTC)),
        events,
        customer_id="cus_a",
        channel="visit",
    )
    result = plan_visits(crm, clock, events, horizon_days=60, customer_ids=["cus_a"])
    assert _dues(result, "cus_a") == [date(2026, 7, 20), date(2026, 8, 19)]


def test_overdue_next_visit_is_due_today_not_in_the_past(crm, clock, events) -> None:
    log_interaction(
        crm,
        FixedClock(datetime(2026, 1, 5, 2, tzinfo=UTC)),
        events,
        customer_id="cus_a",
        channel="visit",
    )
    result = plan_visits(crm, clock, events, horizon_days=0, customer_ids=["cus_a"])
    assert _dues(result, "cus_a") == [TODAY]


def test_replanning_only_extends(crm, clock, events) -> None:
    plan_visits(crm, clock, events, horizon_days=90, customer_ids=["cus_a"])
    assert plan_visits(crm, clock, events, horizon_days=90, customer_ids=["cus_a"]).created == ()
    more = plan_visits(crm, clock, events, horizon_days=150, customer_ids=["cus_a"])
    assert _dues(more, "cus_a") == [TODAY + timedelta(days=120), TODAY + timedelta(days=150)]


def test_tier_without_cadence_is_reported(crm, clock, events) -> None:
    default = default_policy_book()
    no_visits = TierPolicy("C", "C", "automated", None, dict(default.untiered.complaint_sla_hours))
    book = PolicyBook({**default.policies, "C": no_visits}, untiered=no_visits)
    result = plan_visits(crm, clock, events, book=book)
    assert result.without_cadence == ("cus_c",)
    assert _dues(result, "cus_c") == []


def test_horizon_must_be_non_negative(crm, clock, events) -> None:
    with pytest.raises(ValidationError, match=r"plan_visits\.horizon_days"):
        plan_visits(crm, clock, events, horizon_days=-1)


def test_overdue_visits_per_manager(crm, clock) -> None:
    plan(crm, "pv1", "cus_a", date(2026, 6, 20))
    plan(crm, "pv2", "cus_c", date(2026, 6, 29))
    plan(crm, "pv3", "cus_b", date(2026, 6, 10), owner="u_wang")
    plan(crm, "pv4", "cus_a", TODAY)  # due today: not late yet
    plan(crm, "pv5", "cus_a", date(2026, 6, 1), status=VisitStatus.CANCELLED)
    crm.put(PlannedVisit("pv6", "cus_b", None, date(2026, 6, 28), CREATED))
    late = overdue_visits(crm, clock)
    assert list(late) == ["(none)", "u_li", "u_wang"]
    assert [(o.visit.id, o.days_overdue) for o in late["u_li"]] == [("pv1", 10), ("pv2", 1)]
    assert [o.visit.id for o in late["u_wang"]] == ["pv3"]
    assert [o.visit.id for o in late["(none)"]] == ["pv6"]
    only_li = overdue_visits(crm, clock, owner_id="u_li", grace_days=5)
    assert {k: [o.visit.id for o in v] for k, v in only_li.items()} == {"u_li": ["pv1"]}


def test_overdue_uses_the_local_day(crm) -> None:
    plan(crm, "pv1", "cus_a", TODAY)
    evening_utc = FixedClock(datetime(2026, 6, 30, 17, tzinfo=UTC))  # 01:00 on 1 Jul in Beijing
    assert [o.days_overdue for o in overdue_visits(crm, evening_utc)["u_li"]] == [1]
    assert overdue_visits(crm, evening_utc, timezone="UTC") == {}


def test_visits_missing_report(crm, clock, events) -> None:
    def visit(day, customer="cus_a", report=None, channel="visit", owner=None):
        at = FixedClock(datetime(2026, 6, day, 3, tzinfo=UTC))
        return log_interaction(
            crm, at, events, customer_id=customer, channel=channel, report=report, owner_id=owner
        ).interaction

    old = visit(25)
    visit(24, report="full report")
    visit(23, channel="phone")
    visit(29)  # yesterday: still within the two-day grace
    other = visit(20, customer="cus_b")
    missing = visits_missing_report(crm, clock)
    assert {k: [(m.interaction.id, m.days_since) for m in v] for k, v in missing.items()} == {
        "u_li": [(old.id, 5)],
        "u_wang": [(other.id, 10)],
    }
    assert list(visits_missing_report(crm, clock, owner_id="u_wang")) == ["u_wang"]
    assert len(visits_missing_report(crm, clock, grace_days=0)["u_li"]) == 2
    file_visit_report(crm, clock, events, old.id, "done")
    assert "u_li" not in visits_missing_report(crm, clock)


def test_mark_missed_visits(crm, clock, events) -> None:
    plan(crm, "pv_old", "cus_a", date(2026, 5, 1))
    plan(crm, "pv_recent", "cus_a", date(2026, 6, 15))
    missed = mark_missed_visits(crm, clock, events, after_days=30)
    assert [v.id for v in missed] == ["pv_old"]
    stored = crm.get(PlannedVisit, "pv_old")
    assert stored.status is VisitStatus.MISSED
    assert stored.completed_at == clock.now()
    assert crm.get(PlannedVisit, "pv_recent").status is VisitStatus.PLANNED
    assert events.names() == ["visit.missed"]


def test_visit_completion(crm) -> None:
    june = (date(2026, 6, 1), date(2026, 7, 1))
    crm.put_many(
        [
            PlannedVisit("v1", "cus_a", "u_li", date(2026, 6, 2), CREATED, VisitStatus.DONE, "i1"),
            PlannedVisit("v2", "cus_a", "u_li", date(2026, 6, 9), CREATED, VisitStatus.MISSED),
            PlannedVisit("v3", "cus_c", "u_li", date(2026, 6, 29), CREATED),
            PlannedVisit("v4", "cus_c", "u_li", date(2026, 6, 30), CREATED, VisitStatus.CANCELLED),
            PlannedVisit(
                "v5", "cus_b", "u_wang", date(2026, 6, 15), CREATED, VisitStatus.DONE, "i2"
            ),
            PlannedVisit("v6", "cus_b", "u_wang", date(2026, 7, 1), CREATED),  # July
        ]
    )
    rows = {r.owner: r for r in visit_completion(crm, *june)}
    li = rows["u_li"]
    assert (li.due, li.done, li.missed, li.pending, li.cancelled) == (4, 1, 1, 1, 1)
    assert li.completion_rate == pytest.approx(1 / 3)
    assert rows["u_wang"].completion_rate == 1.0
    (total,) = visit_completion(crm, *june, by_owner=False)
    assert (total.owner, total.due, total.done) == ("all", 5, 2)
    assert visit_completion(crm, date(2025, 1, 1), date(2025, 2, 1)) == []
    with pytest.raises(ValidationError, match=r"visit_completion\.end"):
        visit_completion(crm, june[1], june[0])


def test_completion_rate_undefined_when_nothing_owed() -> None:
    from keyaccount.visits import VisitCompletion

    assert VisitCompletion("u", 1, 0, 0, 0, 1).completion_rate is None
