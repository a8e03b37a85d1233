"""Checking a respondent's answers against a survey definition.

Numeric (scale) items take JSON numbers with an integer value inside their scale (9 and
9.0 are fine; 7.5, "7" and true are not); choice items one option's value, multi items a
list of distinct option values, text items a string up to the item's length. A missing
or empty answer is no answer. Answers to questions the display logic hides are dropped,
so that a respondent who changed an earlier answer stores nothing they can no longer
see; a required question that is shown must be answered, unless the answers are only a
saved part of the survey (``partial``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from touchpoint.domain.errors import DomainError
from touchpoint.domain.survey_definition import (
    Question,
    QuestionType,
    SurveyDefinition,
    is_integer,
)

__all__ = [
    "DETRACTOR_CSAT",
    "DETRACTOR_NPS",
    "AnswerError",
    "Answers",
    "check_answers",
    "checked_answers",
    "detractor",
    "headline_scores",
]

#: The highest CSAT (of 1–5) and NPS (of 0–10) of an unhappy answer (:func:`detractor`).
DETRACTOR_CSAT, DETRACTOR_NPS = 2, 6

#: Checked answers: question id → int (scale), str (choice, text) or list of str (multi).
Answers = dict[str, Any]


class AnswerError(DomainError):
    """An answer breaks its question's rule; names the question id and the value."""

    def __init__(self, question_id: str | None, message: str, value: object = None) -> None:
        shown = f" (value {value!r})" if value is not None else ""
        where = f"question {question_id}: " if question_id else "answers: "
        super().__init__(
            f"{where}{message}{shown}",
            code="answer_invalid",
            params={"question": question_id or "", "value": "" if value is None else value},
        )
        self.question_id = question_id
        self.value = value


def check_answers(
    definition: SurveyDefinition,
    answers: object,
    context: Mapping[str, str] | None = None,
    *,
    partial: bool = False,
) -> Answers:
    """The answers as stored: each checked, those hidden by display logic dropped.

    Raises
    ------
    AnswerError
        Not an object, an unknown question id, a value of the wrong type or outside its
        scale or options, or (unless ``partial``) a shown required question unanswered:
        the first of :func:`checked_answers`.
    """
    kept, problems = _checked(definition, answers, context or {}, partial)
    if problems:
        raise problems[0]
    return kept


def checked_answers(
    definition: SurveyDefinition, answers: object, context: Mapping[str, str] | None = None
) -> tuple[Answers, list[AnswerError]]:
    """The answers :func:`check_answers` keeps and every answer it refuses, in its order
    (unknown question ids, then question by question): for a file of answers, whose
    every bad cell is named. A refused answer counts as unanswered for the display logic
    of the questions after it."""
    return _checked(definition, answers, context or {}, False)


def _checked(
    definition: SurveyDefinition, answers: object, facts: Mapping[str, str], partial: bool
) -> tuple[Answers, list[AnswerError]]:
    if not isinstance(answers, Mapping):
        return {}, [AnswerError(None, "must be a JSON object of question id to answer")]
    known = {q.id: q for q in definition.questions}
    problems = [
        AnswerError(str(key), "is not a question of this survey")
        for key in answers
        if key not in known
    ]
    kept: Answers = {}
    for question in definition.questions:
        try:
            value = _answer(question, answers.get(question.id))
        except AnswerError as exc:
            problems.append(exc)
            continue
        if not question.shown(kept, facts):
            continue
        if value is None:
            if question.required and not partial:
                problems.append(AnswerError(question.id, "is required"))
            continue
        kept[question.id] = value
    return kept, problems


def _answer(question: Question, raw: object) -> Any:
    """One answer checked against its question; None when not answered."""
    if raw is None or raw == "" or raw == []:
        return None
    if question.type is QuestionType.SCALE:
        return _scale_answer(question, raw)
    if question.type is QuestionType.TEXT:
        if not isinstance(raw, str):
            raise AnswerError(question.id, "takes text", raw)
        if len(raw) > question.max_length:
            raise AnswerError(question.id, f"is longer than {question.max_length} characters")
        return raw.strip() or None
    values = {o.value for o in question.options}
    if question.type is QuestionType.CHOICE:
        if not isinstance(raw, str) or raw not in values:
            raise AnswerError(question.id, f"is not one of {sorted(values)}", raw)
        return raw
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise AnswerError(question.id, "takes a list of options", raw)
    wrong = [v for v in raw if v not in values]
    if wrong:
        raise AnswerError(question.id, f"{wrong[0]!r} is not one of {sorted(values)}", raw)
    if len(set(raw)) != len(raw):
        raise AnswerError(question.id, "lists an option twice", raw)
    return list(raw)


def _scale_answer(question: Question, raw: object) -> int:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if not is_integer(raw):
        raise AnswerError(question.id, "takes a whole number", raw)
    if question.low is None or question.high is None or not question.low <= raw <= question.high:
        raise AnswerError(question.id, f"is outside the scale {question.low}..{question.high}", raw)
    return raw


def headline_scores(answers: Mapping[str, object]) -> dict[str, int | None]:
    """The answers' ``CSAT`` and ``NPS`` when given as whole numbers (else None), under
    the names of the columns the survey rows keep them in (``csat``, ``nps``).

    >>> headline_scores({"CSAT": 4, "NPS": "9"}), headline_scores({"NPS": True})
    ({'csat': 4, 'nps': None}, {'csat': None, 'nps': None})
    """

    def whole(value: object) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return {"csat": whole(answers.get("CSAT")), "nps": whole(answers.get("NPS"))}


def detractor(csat: object, nps: object) -> bool:
    """An unhappy answer: ``CSAT`` ≤ 2 (of 1–5) or ``NPS`` ≤ 6 (of 0–10), where given. It
    opens a service recovery and counts towards a hostage customer.

    >>> detractor(2, None), detractor(None, 7), detractor(4, 6)
    (True, False, True)
    """
    return (isinstance(csat, int) and csat <= DETRACTOR_CSAT) or (
        isinstance(nps, int) and nps <= DETRACTOR_NPS
    )
