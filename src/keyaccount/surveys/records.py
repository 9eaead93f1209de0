"""Survey definitions (满意度调查问卷): a survey and its ordered questions."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, NewType

import attrs

from keyaccount import validation as v
from keyaccount.errors import ValidationError
from keyaccount.models.enums import coerce
from keyaccount.models.ids import SurveyId

SurveyQuestionId = NewType("SurveyQuestionId", str)

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class QuestionKind(StrEnum):
    RATING = "rating"
    NPS = "nps"
    CHOICE = "choice"
    TEXT = "text"


def to_question_kind(value: Any) -> Any:
    return coerce(QuestionKind, value)


@attrs.frozen
class SurveyDefinition:
    id: SurveyId = attrs.field(validator=v.record_id)
    name: str = attrs.field(validator=v.non_empty_text)
    created_at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    active: bool = attrs.field(default=True, validator=v.a_bool)
    description: str | None = attrs.field(default=None, validator=v.optional_text)


def _key(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not _KEY_RE.match(value):
        raise ValidationError(
            v.field_name(instance, attribute),
            value,
            "must be a lower-case key (letters, digits, '_', starting with a letter)",
        )


@attrs.frozen
class SurveyQuestion:
    """One question. ``key`` names its answer in ``SurveyResponse.answers``.

    ``rating`` questions take a whole number from ``scale_min`` to ``scale_max``; one 1-5
    rating question may be flagged ``measures_csat`` and then feeds ``SurveyResponse.csat``.
    An ``nps`` question is the 0-10 "how likely are you to recommend" item and feeds
    ``SurveyResponse.nps``; NPS is computed from it only, never from other 0-10 ratings.
    ``choice`` questions take one of ``options``; ``text`` questions take free text.
    """

    id: SurveyQuestionId = attrs.field(validator=v.record_id)
    survey_id: SurveyId = attrs.field(validator=v.record_id)
    position: int = attrs.field(validator=v.int_between(1, None))
    key: str = attrs.field(validator=_key)
    kind: QuestionKind = attrs.field(
        converter=to_question_kind, validator=v.member_of(QuestionKind)
    )
    text: str = attrs.field(validator=v.non_empty_text)
    required: bool = attrs.field(default=True, validator=v.a_bool)
    scale_min: int | None = attrs.field(
        default=None, validator=v.int_between(0, None, optional=True)
    )
    scale_max: int | None = attrs.field(
        default=None, validator=v.int_between(1, None, optional=True)
    )
    options: tuple[str, ...] = attrs.field(default=(), converter=v.text_tuple, validator=v.all_text)
    measures_csat: bool = attrs.field(default=False, validator=v.a_bool)

    def __attrs_post_init__(self) -> None:
        rating = self.kind is QuestionKind.RATING
        has_scale = self.scale_min is not None or self.scale_max is not None
        if rating:
            if self.scale_min is None or self.scale_max is None or self.scale_min >= self.scale_max:
                raise ValidationError(
                    "SurveyQuestion.scale_max",
                    (self.scale_min, self.scale_max),
                    "a rating question needs scale_min < scale_max",
                )
        elif has_scale:
            raise ValidationError(
                "SurveyQuestion.scale_min",
                self.scale_min,
                f"a {self.kind.value} question has no scale",
            )
        if self.kind is QuestionKind.CHOICE:
            if len(self.options) < 2 or len(set(self.options)) != len(self.options):
                raise ValidationError(
                    "SurveyQuestion.options", self.options, "needs two or more distinct options"
                )
        elif self.options:
            raise ValidationError(
                "SurveyQuestion.options", self.options, f"a {self.kind.value} question has none"
            )
        if self.measures_csat and not (rating and (self.scale_min, self.scale_max) == (1, 5)):
            raise ValidationError(
                "SurveyQuestion.measures_csat",
                True,
                "only a 1-5 rating question can measure CSAT",
            )
