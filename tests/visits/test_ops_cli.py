"""The ops CLI commands, run through ``keyaccount.cli.main`` against a ``--store`` URL.

A test plugin registers a ``shared://`` backend whose stores outlive ``close()``, so one
command's writes are visible to the next, as with a file-backed store.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

import keyaccount.host
from keyaccount import hookimpl
from keyaccount.cli import main
from keyaccount.complaints import ComplaintClock
from keyaccount.followups import FollowUp
from keyaccount.host import PluginHost
from keyaccount.models import Complaint, Contact, Customer, Interaction, SurveyResponse, User
from keyaccount.models.enums import ComplaintStatus
from keyaccount.plugins.memory import MemoryStore
from keyaccount.visits import PlannedVisit, VisitStatus

URL = "shared://ops"
CREATED = datetime(2020, 1, 1, tzinfo=UTC)


class KeepOpen:
    """Delegates to a memory store but ignores ``close`` so later commands see the data."""

    def __init__(self, inner: MemoryStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def close(self) -> None:
        pass


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch) -> MemoryStore:
    stores: dict[str, MemoryStore] = {}

    def open_shared(url, schemas):
        if url.path not in stores:
            stores[url.path] = MemoryStore(schemas, url.raw)
        return KeepOpen(stores[url.path])

    class SharedBackend:
        @hookimpl
        def register_storage_backends(self, register):
            register("shared", open_shared, description="test: survives close()")

    host = PluginHost(load_entry_points=False)
    host.register(SharedBackend(), name="shared-test")
    monkeypatch.setattr(keyaccount.host, "_default_host", host)
    store = host.open_store(URL)
    store.put_many(
        [
            User("u_dir", "Director"),
            User("u_mgr", "Manager", manager_id="u_dir"),
            User("u_li", "Li", manager_id="u_mgr"),
            Customer("cus_a", "Alpha", CREATED, tier="A", owner_id="u_li"),
            Contact("ct_1", "cus_a", "Ms Zhang"),
        ]
    )
    return store._inner  # type: ignore[no-any-return]


def run(*argv: str) -> int:
    return main(["--store", URL, *argv])


def test_log_interaction_and_file_report(db, capsys) -> None:
    db.put(PlannedVisit("pv_1", "cus_a", "u_li", date(2026, 1, 10), CREATED))
    code = run(
        "interaction", "log", "cus_a",
        "--channel", "visit",
        "--at", "2026-01-12T10:00:00+08:00",
        "--contact", "ct_1",
        "--summary", "annual review",
        "--next-step", "send proposal",
        "--next-due", "2026-01-20T18:00:00+08:00",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "planned visit pv_1 done" in out
    (interaction,) = list(db.query(Interaction))
    assert interaction.occurred_at == datetime(2026, 1, 12, 2, tzinfo=UTC)
    assert interaction.contact_ids == ("ct_1",)
    assert db.get(PlannedVisit, "pv_1").status is VisitStatus.DONE
    (task,) = list(db.query(FollowUp))
    assert task.reason == "send proposal"

    assert run("interaction", "report", interaction.id, "met the CFO") == 0
    assert db.get(Interaction, interaction.id).report == "met the CFO"


def test_bad_interaction_reports_error(db, capsys) -> None:
    assert run("interaction", "log", "cus_a", "--channel", "visit", "--contact", "ct_x") == 1
    assert "not a contact of cus_a" in capsys.readouterr().err


def test_time_without_offset_is_refused(db, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        run("interaction", "log", "cus_a", "--channel", "phone", "--at", "2026-01-12T10:00")
    assert info.value.code == 2
    assert "needs a UTC offset" in capsys.readouterr().err


def test_visit_plan_overdue_and_missing_reports(db, capsys) -> None:
    db.put(PlannedVisit("pv_old", "cus_a", "u_li", date(2026, 1, 5), CREATED))
    db.put(Interaction("int_1", "cus_a", "visit", datetime(2026, 1, 6, tzinfo=UTC), "u_li"))
    assert run("visit", "overdue", "--json") == 0
    late = json.loads(capsys.readouterr().out)
    assert [v["visit_id"] for v in late["u_li"]] == ["pv_old"]
    assert late["u_li"][0]["days_overdue"] > 0

    assert run("visit", "missing-reports", "--owner", "u_li") == 0
    assert "int_1" in capsys.readouterr().out

    assert run("visit", "plan", "--horizon", "60") == 0
    assert "visits planned" in capsys.readouterr().out
    assert db.count(PlannedVisit) > 1


def test_complaint_lifecycle(db, capsys) -> None:
    assert run("complaint", "open", "cus_a", "Late delivery", "--actor", "u_li", "--id", "c1") == 0
    steps = [
        ("logged", "--category", "delivery"),
        ("investigating",),
        ("solution_proposed", "--root-cause", "carrier", "--resolution", "re-ship"),
        ("executing",),
        ("follow_up",),
        ("closed", "--satisfaction", "4"),
    ]
    for to, *extra in steps:
        assert run("complaint", "advance", "c1", to, "--actor", "u_li", *extra) == 0
    assert db.get(Complaint, "c1").status is ComplaintStatus.CLOSED
    assert db.get(Complaint, "c1").satisfaction == 4

    assert run("complaint", "reopen", "c1", "--actor", "u_mgr", "--reason", "came back") == 0
    assert run("complaint", "pause", "c1", "--actor", "u_li", "--reason", "waiting") == 0
    assert "clock paused" in capsys.readouterr().out
    assert run("complaint", "resume", "c1", "--actor", "u_li") == 0
    assert db.get(ComplaintClock, "c1").running

    capsys.readouterr()
    assert run("complaint", "history", "c1") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 10
    assert "received -> logged" in lines[1]
    assert "reopened" in lines[7]


def test_illegal_complaint_step_is_an_error(db, capsys) -> None:
    run("complaint", "open", "cus_a", "Broken part", "--actor", "u_li", "--id", "c2")
    assert run("complaint", "advance", "c2", "closed", "--actor", "u_li") == 1
    assert "cannot go from received to closed" in capsys.readouterr().err
    assert db.get(Complaint, "c2").status is ComplaintStatus.RECEIVED


def test_complaint_check_escalates(db, capsys) -> None:
    run(
        "complaint", "open", "cus_a", "Outage", "--actor", "u_li", "--id", "c3",
        "--severity", "critical", "--received-at", "2026-01-05T09:00:00+08:00",
    )  # fmt: skip
    capsys.readouterr()
    assert run("complaint", "check") == 0
    out = capsys.readouterr().out
    assert "level 1 (owner) -> u_li" in out
    assert "level 3 (director) -> u_dir" in out
    assert "3 escalations" in out


def test_complaint_calendar_file_moves_deadline(db, capsys, tmp_path) -> None:
    days_off = tmp_path / "days-off.json"
    days_off.write_text(json.dumps({"name": "acme", "holidays": ["2026-01-06"]}))
    received = ("--received-at", "2026-01-05T17:00:00+08:00", "--severity", "critical")
    run("complaint", "open", "cus_a", "x", "--actor", "u_li", "--id", "plain", *received)
    run(
        "complaint", "--calendar", str(days_off),
        "open", "cus_a", "x", "--actor", "u_li", "--id", "custom", *received,
    )  # fmt: skip
    # 4h from Mon 17:00: Tue 6 Jan 12:00 normally; Wed 7 Jan 12:00 with the 6th off.
    assert db.get(Complaint, "plain").deadline_at == datetime(2026, 1, 6, 4, tzinfo=UTC)
    assert db.get(Complaint, "custom").deadline_at == datetime(2026, 1, 7, 4, tzinfo=UTC)


def test_complaint_summary_json(db, capsys) -> None:
    run(
        "complaint", "open", "cus_a", "x", "--actor", "u_li", "--id", "c9",
        "--category", "billing", "--received-at", "2026-02-02T10:00:00+08:00",
    )  # fmt: skip
    capsys.readouterr()
    assert (
        run(
            "complaint",
            "summary",
            "--from",
            "2026-02-01T00:00:00+00:00",
            "--to",
            "2026-03-01T00:00:00+00:00",
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["received"] == 1
    assert summary["by_category"] == {"billing": 1}


@pytest.fixture
def survey_file(tmp_path):
    path = tmp_path / "survey.json"
    path.write_text(
        json.dumps(
            {
                "id": "q2",
                "name": "Q2 满意度",
                "questions": [
                    {"key": "recommend", "kind": "nps", "text": "Recommend us?"},
                    {"key": "overall", "kind": "rating", "text": "Overall", "csat": True},
                    {"key": "speed", "kind": "rating", "text": "Speed", "scale": [1, 7]},
                    {"key": "note", "kind": "text", "text": "Anything else?", "required": False},
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    return path


def test_survey_define_answer_report(db, capsys, survey_file) -> None:
    assert run("survey", "define", str(survey_file)) == 0
    assert "survey q2 defined with 4 questions" in capsys.readouterr().out
    code = run(
        "survey", "answer", "q2", "cus_a", "recommend=3", "overall=2", "speed=6",
        "note=too slow", "--contact", "ct_1",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "nps=3, csat=2" in out
    assert "follow-up" in out
    assert db.count(FollowUp) == 1
    (response,) = list(db.query(SurveyResponse))
    assert response.answers["note"] == "too slow"

    assert (
        run(
            "survey",
            "report",
            "--from",
            "2020-01-01T00:00:00Z",
            "--to",
            "2100-01-01T00:00:00Z",
            "--by",
            "tier",
        )
        == 0
    )
    report = capsys.readouterr().out.splitlines()
    assert report[1].split()[:3] == ["A", "1", "-100.0"]


def test_survey_answer_validation_error(db, capsys, survey_file) -> None:
    run("survey", "define", str(survey_file))
    assert run("survey", "answer", "q2", "cus_a", "recommend=12", "overall=4", "speed=1") == 1
    assert "SurveyResponse.answers[recommend]" in capsys.readouterr().err
    assert run("survey", "answer", "q2", "cus_a", "recommend") == 1
    assert "KEY=VALUE" in capsys.readouterr().err


def test_malformed_survey_file(db, capsys, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x",\n "questions": [}')
    assert run("survey", "define", str(bad)) == 1
    assert f"{bad}:2:" in capsys.readouterr().err
