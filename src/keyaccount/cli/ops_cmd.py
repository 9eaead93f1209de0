"""``keyaccount interaction | visit | complaint | survey``: the everyday service actions.

Every command works on the store named by ``--store`` and announces domain events through the
plugin host, so installed plugins see them as they would from library code.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from keyaccount.calendar import china_calendar, load_calendar
from keyaccount.clock import SystemClock
from keyaccount.complaints import (
    ComplaintPolicy,
    advance_complaint,
    check_deadlines,
    complaint_history,
    open_complaint,
    pause_complaint,
    reopen_complaint,
    resume_complaint,
    summarize_complaints,
)
from keyaccount.errors import MalformedData, ValidationError
from keyaccount.host import get_host
from keyaccount.models.enums import Channel, ComplaintStatus, Severity
from keyaccount.storage import Store
from keyaccount.surveys import Question, define_survey, record_response, satisfaction_report
from keyaccount.visits import (
    file_visit_report,
    log_interaction,
    overdue_visits,
    plan_visits,
    visits_missing_report,
)


def _when(option: str) -> Callable[[str], datetime]:
    def parse(raw: str) -> datetime:
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option}: {raw!r} is not an ISO 8601 time") from None
        if value.tzinfo is None:
            raise argparse.ArgumentTypeError(
                f"{option}: {raw!r} needs a UTC offset, e.g. {raw}+08:00"
            )
        return value.astimezone(UTC)

    return parse


@contextmanager
def _store(args: argparse.Namespace) -> Iterator[Store]:
    store = get_host().open_store(args.store)
    try:
        yield store
    finally:
        store.close()


def _policy(args: argparse.Namespace) -> ComplaintPolicy:
    extra = [load_calendar(path) for path in args.calendar or ()]
    return ComplaintPolicy(calendar=china_calendar(extra=extra))


def _answers(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError("survey answer", item, "must be KEY=VALUE")
        out[key.strip()] = value
    return out


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# -- parsers -----------------------------------------------------------------------------------


def add_parser(sub: Any) -> None:
    _add_interaction(sub)
    _add_visit(sub)
    _add_complaint(sub)
    _add_survey(sub)


def _add_interaction(sub: Any) -> None:
    top: argparse.ArgumentParser = sub.add_parser(
        "interaction", help="log contacts with customers (沟通记录)"
    )
    cmds = top.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = cmds.add_parser("log", help="log one interaction on any channel")
    p.add_argument("customer", help="customer id")
    p.add_argument("--channel", required=True, choices=[c.value for c in Channel])
    p.add_argument("--at", type=_when("--at"), help="when it happened (default: now)")
    p.add_argument("--owner", help="user id (default: the customer's account manager)")
    p.add_argument("--contact", action="append", default=[], help="contact id (repeatable)")
    p.add_argument("--summary")
    p.add_argument("--needs", help="needs found")
    p.add_argument("--issues", help="issues found")
    p.add_argument("--next-step")
    p.add_argument("--next-due", type=_when("--next-due"), help="due time of the next step")
    p.add_argument("--report", help="visit report (拜访反馈报告)")
    p.add_argument("--visit", help="planned visit id this visit fulfils")
    p.set_defaults(handler=run_interaction_log)

    p = cmds.add_parser("report", help="file the report of a visit (拜访反馈报告)")
    p.add_argument("interaction", help="interaction id")
    p.add_argument("text", help="the report")
    p.set_defaults(handler=run_interaction_report)


def _add_visit(sub: Any) -> None:
    top: argparse.ArgumentParser = sub.add_parser("visit", help="visit plans (拜访计划)")
    cmds = top.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = cmds.add_parser("plan", help="generate planned visits from tier cadence")
    p.add_argument("--horizon", type=int, default=365, help="days ahead to plan (default 365)")
    p.add_argument("--customer", action="append", help="only these customers (repeatable)")
    p.set_defaults(handler=run_visit_plan)

    p = cmds.add_parser("overdue", help="list overdue planned visits by manager")
    p.add_argument("--owner", help="only this manager")
    p.add_argument("--grace", type=int, default=0, help="days of grace (default 0)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_visit_overdue)

    p = cmds.add_parser("missing-reports", help="list visits without a report by manager")
    p.add_argument("--owner", help="only this manager")
    p.add_argument("--grace", type=int, default=2, help="days allowed to file (default 2)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_visit_missing)


def _add_complaint(sub: Any) -> None:
    top: argparse.ArgumentParser = sub.add_parser("complaint", help="complaints (投诉处理)")
    top.add_argument(
        "--calendar",
        action="append",
        metavar="FILE",
        help="extra working-calendar JSON merged over the bundled Chinese holidays",
    )
    cmds = top.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = cmds.add_parser("open", help="record a received complaint")
    p.add_argument("customer")
    p.add_argument("subject")
    p.add_argument("--actor", required=True, help="user id receiving it")
    p.add_argument("--severity", default="medium", choices=[s.value for s in Severity])
    p.add_argument("--category")
    p.add_argument("--description")
    p.add_argument("--contact")
    p.add_argument("--received-at", type=_when("--received-at"))
    p.add_argument("--remedy", help="what the customer asks for (remedy sought)")
    p.add_argument("--id", dest="complaint_id")
    p.set_defaults(handler=run_complaint_open)

    p = cmds.add_parser("advance", help="move a complaint to its next step")
    p.add_argument("complaint")
    p.add_argument("to", choices=[s.value for s in ComplaintStatus])
    p.add_argument("--actor", required=True)
    p.add_argument("--note")
    p.add_argument("--category")
    p.add_argument("--severity", choices=[s.value for s in Severity])
    p.add_argument("--department")
    p.add_argument("--assignee")
    p.add_argument("--root-cause")
    p.add_argument("--resolution")
    p.add_argument("--satisfaction", type=int)
    p.set_defaults(handler=run_complaint_advance)

    for name, helptext in (
        ("pause", "stop the SLA clock while waiting on the customer"),
        ("resume", "restart the SLA clock"),
        ("reopen", "reopen a closed complaint"),
    ):
        p = cmds.add_parser(name, help=helptext)
        p.add_argument("complaint")
        p.add_argument("--actor", required=True)
        p.add_argument("--reason", required=name != "resume")
        p.set_defaults(handler=run_complaint_clock, clock_action=name)

    p = cmds.add_parser("check", help="fire escalations for breached deadlines")
    p.set_defaults(handler=run_complaint_check)

    p = cmds.add_parser("history", help="show a complaint's log")
    p.add_argument("complaint")
    p.set_defaults(handler=run_complaint_history)

    p = cmds.add_parser("summary", help="complaint summary for a period")
    p.add_argument("--from", dest="start", type=_when("--from"), required=True)
    p.add_argument("--to", dest="end", type=_when("--to"), required=True)
    p.set_defaults(handler=run_complaint_summary)


def _add_survey(sub: Any) -> None:
    top: argparse.ArgumentParser = sub.add_parser(
        "survey", help="satisfaction surveys (满意度调查)"
    )
    cmds = top.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = cmds.add_parser("define", help="store a survey from a JSON file")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=run_survey_define)

    p = cmds.add_parser("answer", help="record one contact's answers")
    p.add_argument("survey")
    p.add_argument("customer")
    p.add_argument("answers", nargs="+", metavar="KEY=VALUE")
    p.add_argument("--contact")
    p.add_argument("--comment")
    p.set_defaults(handler=run_survey_answer)

    p = cmds.add_parser("report", help="NPS and CSAT with 95%% margins")
    p.add_argument("--from", dest="start", type=_when("--from"), required=True)
    p.add_argument("--to", dest="end", type=_when("--to"), required=True)
    p.add_argument(
        "--by", default="all", choices=["all", "customer", "tier", "manager", "month", "quarter"]
    )
    p.add_argument("--survey")
    p.set_defaults(handler=run_survey_report)


# -- handlers ----------------------------------------------------------------------------------


def run_interaction_log(args: argparse.Namespace) -> int:
    with _store(args) as store:
        logged = log_interaction(
            store,
            SystemClock(),
            get_host(),
            customer_id=args.customer,
            channel=args.channel,
            owner_id=args.owner,
            occurred_at=args.at,
            contact_ids=args.contact,
            summary=args.summary,
            needs=args.needs,
            issues=args.issues,
            next_step=args.next_step,
            next_step_due=args.next_due,
            report=args.report,
            planned_visit_id=args.visit,
        )
    print(f"interaction {logged.interaction.id} logged ({logged.interaction.channel.value})")
    if logged.visit is not None:
        print(f"planned visit {logged.visit.id} done")
    if logged.follow_up is not None:
        print(f"follow-up {logged.follow_up.id} due {logged.follow_up.due_at.isoformat()}")
    return 0


def run_interaction_report(args: argparse.Namespace) -> int:
    with _store(args) as store:
        file_visit_report(store, SystemClock(), get_host(), args.interaction, args.text)
    print(f"report filed for {args.interaction}")
    return 0


def run_visit_plan(args: argparse.Namespace) -> int:
    with _store(args) as store:
        result = plan_visits(
            store, SystemClock(), get_host(), horizon_days=args.horizon, customer_ids=args.customer
        )
    print(f"{len(result.created)} visits planned")
    for customer_id in result.without_cadence:
        print(f"  {customer_id}: tier has no visit cadence")
    return 0


def run_visit_overdue(args: argparse.Namespace) -> int:
    with _store(args) as store:
        late = overdue_visits(store, SystemClock(), owner_id=args.owner, grace_days=args.grace)
    if args.json:
        _print_json(
            {
                owner: [
                    {
                        "visit_id": o.visit.id,
                        "customer_id": o.visit.customer_id,
                        "due_on": o.visit.due_on.isoformat(),
                        "days_overdue": o.days_overdue,
                    }
                    for o in items
                ]
                for owner, items in late.items()
            }
        )
        return 0
    if not late:
        print("no overdue visits")
    for owner, items in late.items():
        print(f"{owner}: {len(items)} overdue")
        for o in items:
            print(
                f"  {o.visit.id}  {o.visit.customer_id}  due {o.visit.due_on}"
                f"  {o.days_overdue} days late"
            )
    return 0


def run_visit_missing(args: argparse.Namespace) -> int:
    with _store(args) as store:
        missing = visits_missing_report(
            store, SystemClock(), owner_id=args.owner, grace_days=args.grace
        )
    if args.json:
        _print_json(
            {
                owner: [
                    {
                        "interaction_id": m.interaction.id,
                        "customer_id": m.interaction.customer_id,
                        "occurred_at": m.interaction.occurred_at.isoformat(),
                        "days_since": m.days_since,
                    }
                    for m in items
                ]
                for owner, items in missing.items()
            }
        )
        return 0
    if not missing:
        print("no visits missing a report")
    for owner, items in missing.items():
        print(f"{owner}: {len(items)} without report")
        for m in items:
            print(f"  {m.interaction.id}  {m.interaction.customer_id}  {m.days_since} days ago")
    return 0


def run_complaint_open(args: argparse.Namespace) -> int:
    with _store(args) as store:
        update = open_complaint(
            store,
            SystemClock(),
            get_host(),
            customer_id=args.customer,
            subject=args.subject,
            actor_id=args.actor,
            severity=args.severity,
            category=args.category,
            description=args.description,
            contact_id=args.contact,
            received_at=args.received_at,
            complaint_id=args.complaint_id,
            remedy_sought=args.remedy,
            policy=_policy(args),
        )
    deadline = update.complaint.deadline_at
    print(
        f"complaint {update.complaint.id} received; due {deadline.isoformat() if deadline else '-'}"
    )
    return 0


def run_complaint_advance(args: argparse.Namespace) -> int:
    with _store(args) as store:
        update = advance_complaint(
            store,
            SystemClock(),
            get_host(),
            args.complaint,
            args.to,
            actor_id=args.actor,
            note=args.note,
            category=args.category,
            severity=args.severity,
            department=args.department,
            assignee_id=args.assignee,
            root_cause=args.root_cause,
            resolution=args.resolution,
            satisfaction=args.satisfaction,
            policy=_policy(args),
        )
    t = update.transition
    print(f"complaint {args.complaint}: {t.from_status} -> {t.to_status}")
    return 0


def run_complaint_clock(args: argparse.Namespace) -> int:
    with _store(args) as store:
        common = {"actor_id": args.actor, "policy": _policy(args)}
        if args.clock_action == "pause":
            update = pause_complaint(
                store, SystemClock(), get_host(), args.complaint, reason=args.reason, **common
            )
        elif args.clock_action == "resume":
            update = resume_complaint(
                store, SystemClock(), get_host(), args.complaint, note=args.reason, **common
            )
        else:
            update = reopen_complaint(
                store, SystemClock(), get_host(), args.complaint, reason=args.reason, **common
            )
    deadline = update.complaint.deadline_at
    print(
        f"complaint {args.complaint} {update.transition.action.value}; "
        f"due {deadline.isoformat() if deadline else '- (clock paused)'}"
    )
    return 0


def run_complaint_check(args: argparse.Namespace) -> int:
    with _store(args) as store:
        fired = check_deadlines(store, SystemClock(), get_host(), policy=_policy(args))
    for e in fired:
        print(
            f"{e.complaint_id}: level {e.level} ({e.role}) -> {e.recipient_id or '?'}"
            f", {e.overdue_hours:g} business hours late"
        )
    print(f"{len(fired)} escalations")
    return 0


def run_complaint_history(args: argparse.Namespace) -> int:
    with _store(args) as store:
        history = complaint_history(store, args.complaint)
    if not history:
        raise ValidationError("complaint", args.complaint, "has no history (unknown id?)")
    for t in history:
        moved = f"{t.from_status} -> {t.to_status}" if t.from_status else str(t.to_status)
        who = t.actor_id or "system"
        note = f"  {t.note}" if t.note else ""
        print(f"{t.sequence:>3}  {t.at.isoformat()}  {who:<12} {t.action.value:<9} {moved}{note}")
    return 0


def run_complaint_summary(args: argparse.Namespace) -> int:
    with _store(args) as store:
        summary = summarize_complaints(store, args.start, args.end)
    _print_json(
        {
            "received": summary.received,
            "by_category": summary.by_category,
            "by_severity": summary.by_severity,
            "by_root_cause": summary.by_root_cause,
            "closed": summary.closed,
            "sla_attainment": summary.sla_attainment,
            "open_breached": summary.open_breached,
            "reopened": summary.reopened,
            "recurrence_rate": summary.recurrence_rate,
        }
    )
    return 0


def run_survey_define(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise MalformedData(str(path), err.lineno, err.colno, err.msg) from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise ValidationError("survey file", str(path), "needs a name and a list of questions")
    questions = []
    for i, q in enumerate(data["questions"]):
        if not isinstance(q, dict):
            raise ValidationError(f"questions[{i}]", q, "must be an object")
        scale = q.get("scale")
        if scale is not None and not (isinstance(scale, list) and len(scale) == 2):
            raise ValidationError(f"questions[{i}].scale", scale, "must be [min, max]")
        questions.append(
            Question(
                key=q.get("key", ""),
                kind=q.get("kind", ""),
                text=q.get("text", ""),
                required=q.get("required", True),
                scale=(scale[0], scale[1]) if scale is not None else None,
                options=tuple(q.get("options", ())),
                measures_csat=q.get("csat", False),
            )
        )
    with _store(args) as store:
        result = define_survey(
            store,
            SystemClock(),
            get_host(),
            name=data.get("name", ""),
            questions=questions,
            survey_id=data.get("id"),
            description=data.get("description"),
        )
    print(f"survey {result.survey.id} defined with {len(result.questions)} questions")
    return 0


def run_survey_answer(args: argparse.Namespace) -> int:
    with _store(args) as store:
        recorded = record_response(
            store,
            SystemClock(),
            get_host(),
            survey_id=args.survey,
            customer_id=args.customer,
            contact_id=args.contact,
            answers=_answers(args.answers),
            comment=args.comment,
        )
    r = recorded.response
    print(f"response {r.id} recorded (nps={r.nps}, csat={r.csat})")
    if recorded.follow_up is not None:
        print(f"follow-up {recorded.follow_up.id} opened for {recorded.follow_up.owner_id}")
    return 0


def run_survey_report(args: argparse.Namespace) -> int:
    with _store(args) as store:
        rows = satisfaction_report(store, args.start, args.end, by=args.by, survey_id=args.survey)

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    print(f"{'group':<16} {'n':>4} {'NPS':>7} {'±':>6} {'n':>4} {'CSAT%':>7} {'95% CI':>13}")
    for row in rows:
        ci = f"{fmt(row.csat.low)}-{fmt(row.csat.high)}" if row.csat.low is not None else "-"
        print(
            f"{row.group:<16} {row.nps.n:>4} {fmt(row.nps.nps):>7} {fmt(row.nps.margin):>6}"
            f" {row.csat.n:>4} {fmt(row.csat.csat):>7} {ci:>13}"
        )
    return 0
