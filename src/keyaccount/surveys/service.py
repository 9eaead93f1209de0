"""Survey services: define a survey, record a contact's answers, open follow-ups on bad news."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from keyaccount.clock import Clock
from keyaccount.errors import ValidationError
from keyaccount.events import DomainEvent, EventSink
from keyaccount.followups import FollowUp, FollowUpId, follow_up_opened
from keyaccount.models import Contact, Customer, SurveyResponse
from keyaccount.models.ids import SurveyId, SurveyResponseId, new_id
from keyaccount.storage import Store, eq
from keyaccount.surveys.records import (
    QuestionKind,
    SurveyDefinition,
    SurveyQuestion,
    SurveyQuestionId,
)


@attrs.frozen
class Question:
    """A question as written by whoever designs the survey; ``define_survey`` stores it.

    ``scale`` applies to rating questions (default 1-5); NPS questions are always 0-10.
    """

    key: str
    kind: QuestionKind | str
    text: str
    required: bool = True
    scale: tuple[int, int] | None = None
    options: tuple[str, ...] = ()
    measures_csat: bool = False


@attrs.frozen
class FollowUpRule:
    """When an answer opens a follow-up: NPS at or below ``nps_max`` (detractors are 0-6),
    or CSAT at or below ``csat_max``; the task is due ``due_in`` after the answer arrives."""

    nps_max: int = 6
    csat_max: int = 2
    due_in: timedelta = timedelta(days=2)


@attrs.frozen
class SurveyWithQuestions:
    survey: SurveyDefinition
    questions: tuple[SurveyQuestion, ...]


@attrs.frozen
class RecordedResponse:
    response: SurveyResponse
    follow_up: FollowUp | None


def define_survey(
    store: Store,
    clock: Clock,
    events: EventSink,
    *,
    name: str,
    questions: Sequence[Question],
    survey_id: str | None = None,
    description: str | None = None,
) -> SurveyWithQuestions:
    """Store a survey and its questions in one transaction."""
    sid = SurveyId(survey_id or new_id("srv"))
    survey = SurveyDefinition(sid, name, clock.now(), description=description)
    if store.find(SurveyDefinition, sid) is not None:
        raise ValidationError("SurveyDefinition.id", sid, "already exists")
    if not questions:
        raise ValidationError("define_survey.questions", questions, "needs at least one question")
    stored: list[SurveyQuestion] = []
    for position, q in enumerate(questions, start=1):
        kind = q.kind
        scale = q.scale
        if kind == QuestionKind.RATING and scale is None:
            scale = (1, 5)
        stored.append(
            SurveyQuestion(
                id=SurveyQuestionId(f"{sid}.q{position}"),
                survey_id=sid,
                position=position,
                key=q.key,
                kind=kind,
                text=q.text,
                required=q.required,
                scale_min=scale[0] if scale else None,
                scale_max=scale[1] if scale else None,
                options=q.options,
                measures_csat=q.measures_csat,
            )
        )
    keys = [q.key for q in stored]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValidationError("define_survey.questions", duplicates, "question keys must be unique")
    if sum(q.kind is QuestionKind.NPS for q in stored) > 1:
        raise ValidationError(
            "define_survey.questions", keys, "a survey has at most one NPS question"
        )
    if sum(q.measures_csat for q in stored) > 1:
        raise ValidationError(
            "define_survey.questions", keys, "a survey has at most one CSAT question"
        )
    with store.transaction():
        store.put(survey)
        store.put_many(stored)
    events.emit(DomainEvent("survey.defined", survey.created_at, sid, {"name": name}))
    return SurveyWithQuestions(survey, tuple(stored))


def survey_questions(store: Store, survey_id: str) -> tuple[SurveyQuestion, ...]:
    return tuple(store.query(SurveyQuestion, eq("survey_id", survey_id), order_by="position"))


def _parse_answer(question: SurveyQuestion, raw: object) -> str:
    field = f"SurveyResponse.answers[{question.key}]"
    if question.kind in (QuestionKind.RATING, QuestionKind.NPS):
        if question.kind is QuestionKind.NPS:
            low, high = 0, 10
        else:
            low, high = question.scale_min or 0, question.scale_max or 0
        value: int
        if isinstance(raw, bool):
            raise ValidationError(field, raw, "must be a whole number")
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
            value = int(raw.strip())
        else:
            raise ValidationError(field, raw, "must be a whole number")
        if not low <= value <= high:
            raise ValidationError(field, raw, f"must be from {low} to {high}")
        return str(value)
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError(field, raw, "must be non-empty text")
    if question.kind is QuestionKind.CHOICE and raw not in question.options:
        raise ValidationError(field, raw, f"must be one of {', '.join(question.options)}")
    return raw.strip()


def record_response(
    store: Store,
    clock: Clock,
    events: EventSink,
    *,
    survey_id: str,
    customer_id: str,
    answers: Mapping[str, object],
    contact_id: str | None = None,
    answered_at: datetime | None = None,
    comment: str | None = None,
    rule: FollowUpRule | None = None,
    response_id: str | None = None,
) -> RecordedResponse:
    """Validate answers against the survey and store them; open a follow-up on a bad score.

    Each contact answers a survey once. A detractor or low CSAT answer opens a ``FollowUp`` for
    the customer's account manager in the same transaction.
    """
    rule = rule or FollowUpRule()
    survey = store.get(SurveyDefinition, survey_id)
    if not survey.active:
        raise ValidationError("SurveyResponse.survey_id", survey_id, "survey is closed")
    customer = store.get(Customer, customer_id)
    if contact_id is not None:
        contact = store.find(Contact, contact_id)
        if contact is None or contact.customer_id != customer_id:
            raise ValidationError(
                "SurveyResponse.contact_id", contact_id, f"is not a contact of {customer_id}"
            )
        already = store.count(
            SurveyResponse, eq("survey_id", survey_id), eq("contact_id", contact_id)
        )
        if already:
            raise ValidationError(
                "SurveyResponse.contact_id", contact_id, f"has already answered {survey_id}"
            )
    questions = {q.key: q for q in survey_questions(store, survey_id)}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise ValidationError(
            f"SurveyResponse.answers[{unknown[0]}]", answers[unknown[0]], "is not in the survey"
        )
    parsed: dict[str, str] = {}
    for key, question in questions.items():
        raw = answers.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if question.required:
                raise ValidationError(f"SurveyResponse.answers[{key}]", raw, "is required")
            continue
        parsed[key] = _parse_answer(question, raw)
    nps_q = next((q for q in questions.values() if q.kind is QuestionKind.NPS), None)
    csat_q = next((q for q in questions.values() if q.measures_csat), None)
    nps = int(parsed[nps_q.key]) if nps_q and nps_q.key in parsed else None
    csat = int(parsed[csat_q.key]) if csat_q and csat_q.key in parsed else None
    now = clock.now()
    response = SurveyResponse(
        id=SurveyResponseId(response_id or new_id("sr")),
        survey_id=SurveyId(survey_id),
        customer_id=customer.id,
        answered_at=answered_at or now,
        contact_id=contact_id,  # type: ignore[arg-type]
        nps=nps,
        csat=csat,
        answers=parsed,
        comment=comment,
    )
    if response.answered_at > now:
        raise ValidationError(
            "SurveyResponse.answered_at", response.answered_at, "is in the future"
        )
    reasons = []
    if nps is not None and nps <= rule.nps_max:
        reasons.append(f"NPS {nps}")
    if csat is not None and csat <= rule.csat_max:
        reasons.append(f"CSAT {csat}")
    follow_up = None
    if reasons:
        follow_up = FollowUp(
            id=FollowUpId(new_id("fu")),
            customer_id=customer.id,
            owner_id=customer.owner_id,
            due_at=now + rule.due_in,
            reason=f"low survey score ({', '.join(reasons)}) on {survey.name!r}",
            created_at=now,
            source_kind="survey_response",
            source_id=response.id,
        )
    with store.transaction():
        store.put(response)
        if follow_up is not None:
            store.put(follow_up)
    events.emit(
        DomainEvent(
            "survey.answered",
            now,
            customer.id,
            {"survey_id": survey_id, "response_id": response.id, "nps": nps, "csat": csat},
        )
    )
    if follow_up is not None:
        events.emit(follow_up_opened(follow_up, now))
    return RecordedResponse(response, follow_up)


def close_survey(store: Store, survey_id: str) -> SurveyDefinition:
    """Stop accepting answers to a survey."""
    survey = attrs.evolve(store.get(SurveyDefinition, survey_id), active=False)
    store.put(survey)
    return survey
