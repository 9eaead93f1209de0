"""Satisfaction surveys (客户满意度调查): definitions, answers, NPS and CSAT with margins."""

from keyaccount.surveys.records import QuestionKind, SurveyDefinition, SurveyQuestion
from keyaccount.surveys.service import (
    FollowUpRule,
    Question,
    RecordedResponse,
    SurveyWithQuestions,
    close_survey,
    define_survey,
    record_response,
    survey_questions,
)
from keyaccount.surveys.stats import (
    CsatEstimate,
    NpsEstimate,
    SatisfactionRow,
    csat_estimate,
    nps_estimate,
    satisfaction_report,
)

__all__ = [
    "CsatEstimate",
    "FollowUpRule",
    "NpsEstimate",
    "Question",
    "QuestionKind",
    "RecordedResponse",
    "SatisfactionRow",
    "SurveyDefinition",
    "SurveyQuestion",
    "SurveyWithQuestions",
    "close_survey",
    "csat_estimate",
    "define_survey",
    "nps_estimate",
    "record_response",
    "satisfaction_report",
    "survey_questions",
]
