from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keyaccount.errors import RecordNotFound, ValidationError
from keyaccount.followups import FollowUp
from keyaccount.models import Contact, Customer, SurveyResponse
from keyaccount.surveys import (
    FollowUpRule,
    Question,
    QuestionKind,
    SurveyQuestion,
    close_survey,
    define_survey,
    record_response,
    survey_questions,
)

QUESTIONS = [
    Question("recommend", "nps", "How likely are you to recommend us? (0-10)"),
    Question("satisfied", "rating", "How satisfied are you overall? (1-5)", measures_csat=True),
    Question("channel", "choice", "Preferred channel", options=("visit", "phone", "wechat")),
    Question("delivery", "rating", "Delivery speed (1-7)", scale=(1, 7), required=False),
    Question("comments", "text", "Anything else?", required=False),
]


@pytest.fixture
def survey_store(store, clock, events):
    store.put_many(
        [
            Customer("cus_a", "Alpha", datetime(2020, 1, 1, tzinfo=UTC), tier="A", owner_id="u_am"),
            Contact("ct_1", "cus_a", "Ms Zhang"),
            Contact("ct_2", "cus_a", "Mr Liu"),
            Contact("ct_9", "cus_other", "Someone else"),
        ]
    )
    define_survey(store, clock, events, name="2026 Q2 满意度", questions=QUESTIONS, survey_id="s1")
    return store


def answer(store, clock, events, contact="ct_1", **answers):
    base = {"recommend": 9, "satisfied": "5", "channel": "visit"}
    base.update(answers)
    return record_response(
        store,
        clock,
        events,
        survey_id="s1",
        customer_id="cus_a",
        contact_id=contact,
        answers=base,
    )


def test_definition_is_stored_in_order(survey_store) -> None:
    questions = survey_questions(survey_store, "s1")
    assert [q.key for q in questions] == [
        "recommend",
        "satisfied",
        "channel",
        "delivery",
        "comments",
    ]
    assert questions[1].scale_min == 1
    assert questions[1].scale_max == 5
    assert questions[0].kind is QuestionKind.NPS
    assert questions[0].scale_min is None


def test_promoter_answer_is_stored_without_follow_up(survey_store, clock, events) -> None:
    result = answer(survey_store, clock, events, delivery=6, comments=" fast ")
    r = survey_store.get(SurveyResponse, result.response.id)
    assert (r.nps, r.csat) == (9, 5)
    assert r.answers == {
        "recommend": "9",
        "satisfied": "5",
        "channel": "visit",
        "delivery": "6",
        "comments": "fast",
    }
    assert result.follow_up is None
    assert survey_store.count(FollowUp) == 0
    assert events.names()[-1] == "survey.answered"


def test_detractor_opens_follow_up_for_account_manager(survey_store, clock, events) -> None:
    result = answer(survey_store, clock, events, recommend=6)
    task = result.follow_up
    assert task is not None
    assert survey_store.get(FollowUp, task.id) == task
    assert task.owner_id == "u_am"
    assert task.customer_id == "cus_a"
    assert task.due_at == clock.now() + timedelta(days=2)
    assert (task.source_kind, task.source_id) == ("survey_response", result.response.id)
    assert "NPS 6" in task.reason
    assert events.names()[-2:] == ["survey.answered", "followup.opened"]


def test_low_csat_opens_follow_up(survey_store, clock, events) -> None:
    result = answer(survey_store, clock, events, satisfied=2)
    assert result.follow_up is not None
    assert "CSAT 2" in result.follow_up.reason


def test_passive_and_neutral_do_not(survey_store, clock, events) -> None:
    assert answer(survey_store, clock, events, recommend=7, satisfied=3).follow_up is None


def test_follow_up_rule_is_configurable(survey_store, clock, events) -> None:
    result = record_response(
        survey_store,
        clock,
        events,
        survey_id="s1",
        customer_id="cus_a",
        answers={"recommend": 8, "satisfied": 4, "channel": "phone"},
        rule=FollowUpRule(nps_max=8, csat_max=1, due_in=timedelta(hours=4)),
    )
    assert result.follow_up is not None
    assert result.follow_up.due_at == clock.now() + timedelta(hours=4)


@pytest.mark.parametrize(
    ("answers", "field", "reason"),
    [
        ({"recommend": 11}, "recommend", "from 0 to 10"),
        ({"recommend": -1}, "recommend", "from 0 to 10"),
        ({"recommend": "nine"}, "recommend", "whole number"),
        ({"recommend": True}, "recommend", "whole number"),
        ({"satisfied": 0}, "satisfied", "from 1 to 5"),
        ({"delivery": 8}, "delivery", "from 1 to 7"),
        ({"channel": "fax"}, "channel", "must be one of visit, phone, wechat"),
        ({"channel": None}, "channel", "is required"),
        ({"recommend": ""}, "recommend", "is required"),
        ({"mood": "ok"}, "mood", "is not in the survey"),
        ({"comments": 5}, "comments", "non-empty text"),
    ],
)
def test_answers_are_validated_against_the_definition(
    survey_store, clock, events, answers, field, reason
) -> None:
    with pytest.raises(ValidationError, match=rf"SurveyResponse\.answers\[{field}\].*{reason}"):
        answer(survey_store, clock, events, **answers)
    assert survey_store.count(SurveyResponse) == 0


def test_one_answer_per_contact(survey_store, clock, events) -> None:
    answer(survey_store, clock, events)
    with pytest.raises(ValidationError, match="has already answered s1"):
        answer(survey_store, clock, events)
    answer(survey_store, clock, events, contact="ct_2")
    assert survey_store.count(SurveyResponse) == 2


def test_contact_must_belong_to_customer(survey_store, clock, events) -> None:
    with pytest.raises(ValidationError, match=r"SurveyResponse\.contact_id.*not a contact"):
        answer(survey_store, clock, events, contact="ct_9")
    with pytest.raises(ValidationError, match="not a contact"):
        answer(survey_store, clock, events, contact="ct_missing")


def test_unknown_survey_and_customer(survey_store, clock, events) -> None:
    with pytest.raises(RecordNotFound):
        record_response(
            survey_store, clock, events, survey_id="nope", customer_id="cus_a", answers={}
        )
    with pytest.raises(RecordNotFound):
        record_response(
            survey_store, clock, events, survey_id="s1", customer_id="cus_zz", answers={}
        )


def test_closed_survey_refuses_answers(survey_store, clock, events) -> None:
    close_survey(survey_store, "s1")
    with pytest.raises(ValidationError, match="survey is closed"):
        answer(survey_store, clock, events)


def test_follow_up_and_response_are_written_together(survey_store, clock, events) -> None:
    answer(survey_store, clock, events, recommend=2)
    assert survey_store.count(SurveyResponse) == 1
    assert survey_store.count(FollowUp) == 1


@pytest.mark.parametrize(
    ("questions", "match"),
    [
        ([], "at least one question"),
        ([Question("a", "text", "x"), Question("a", "text", "y")], "unique"),
        ([Question("a", "nps", "x"), Question("b", "nps", "y")], "at most one NPS"),
        (
            [
                Question("a", "rating", "x", measures_csat=True),
                Question("b", "rating", "y", measures_csat=True),
            ],
            "at most one CSAT",
        ),
        ([Question("a", "rating", "x", scale=(1, 7), measures_csat=True)], "1-5 rating"),
        ([Question("a", "choice", "x", options=("only",))], "two or more distinct"),
        ([Question("a", "choice", "x", options=("y", "y"))], "two or more distinct"),
        ([Question("a", "text", "x", options=("y", "z"))], "a text question has none"),
        ([Question("a", "nps", "x", scale=(0, 10))], "has no scale"),
        ([Question("a", "rating", "x", scale=(5, 5))], "scale_min < scale_max"),
        ([Question("A b", "text", "x")], r"SurveyQuestion\.key"),
        ([Question("a", "slider", "x")], r"SurveyQuestion\.kind"),
    ],
)
def test_bad_definitions_are_rejected(store, clock, events, questions, match) -> None:
    with pytest.raises(ValidationError, match=match):
        define_survey(store, clock, events, name="bad", questions=questions, survey_id="sx")
    assert store.count(SurveyQuestion) == 0


def test_survey_id_cannot_be_reused(survey_store, clock, events) -> None:
    with pytest.raises(ValidationError, match=r"SurveyDefinition\.id"):
        define_survey(
            survey_store, clock, events, name="again", questions=QUESTIONS, survey_id="s1"
        )


def test_answer_in_the_future_rejected(survey_store, clock, events) -> None:
    with pytest.raises(ValidationError, match=r"SurveyResponse\.answered_at"):
        record_response(
            survey_store,
            clock,
            events,
            survey_id="s1",
            customer_id="cus_a",
            answers={"recommend": 9, "satisfied": 5, "channel": "visit"},
            answered_at=clock.now() + timedelta(days=1),
        )
    assert survey_store.count(SurveyResponse) == 0
