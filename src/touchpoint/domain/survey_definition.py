"""A survey's definition: its questions, their answer scales, wording and display logic.

A definition is a JSON document (what ``POST /api/surveys`` takes as ``definition`` and
what the built-in templates of :mod:`touchpoint.domain.survey_templates` produce)::

    {"title": {"zh-CN": "…", "en": "…"}, "intro": {…}, "anonymous": false,
     "matrices": {"expectations": {"zh-CN": "…", "en": "…"}},
     "questions": [
       {"id": "E1", "type": "scale", "min": 1, "max": 7, "required": false,
        "text": {"zh-CN": "…", "en": "…"}, "anchors": {"min": {…}, "max": {…}},
        "labels": {"1": {…}, …}, "matrix": "expectations"},
       {"id": "CI_VALENCE", "type": "choice", "options": [{"value": "good", "label": {…}}]},
       {"id": "TOPICS", "type": "multi", "options": […]},
       {"id": "COMMENT", "type": "text", "max_length": 2000,
        "show_if": {"question": "NPS", "at_most": 6}}]}

Question types: ``scale`` (an integer from ``min`` to ``max``: Likert items, 0–10, 1–5),
``choice`` (one option's value), ``multi`` (a list of distinct option values) and
``text``. Every text is given in zh-CN and en. ``show_if`` shows a question only when an
*earlier* question's answer ``equals`` a value, is ``in`` a list, is ``at_least`` or
``at_most`` a number, or when a fact of the invitation (``context``, e.g. the order's
type) ``equals`` a value; a reference to a later, unknown or the same question is refused
when the definition is saved, so display logic can never loop. Consecutive questions with
the same ``matrix`` key are shown as one grid headed by ``matrices[key]``.

The question order is the order of the export's columns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeGuard

from touchpoint.domain.errors import DomainError

__all__ = [
    "LANGUAGES",
    "Condition",
    "DefinitionError",
    "Option",
    "Question",
    "QuestionType",
    "SurveyDefinition",
    "Text",
    "is_integer",
    "parse_definition",
]

#: The languages every text of a definition is written in.
LANGUAGES = ("zh-CN", "en")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
_MAX_QUESTIONS = 500
_MAX_TEXT_ANSWER = 10_000
_CONDITION_TESTS = ("equals", "in", "at_least", "at_most")

Text = Mapping[str, str]


class DefinitionError(DomainError):
    """A survey definition breaks a rule; the message names the question and field."""


class QuestionType(StrEnum):
    """What kind of answer a question takes."""

    SCALE = "scale"
    CHOICE = "choice"
    MULTI = "multi"
    TEXT = "text"

    @property
    def numeric(self) -> bool:
        """Scale answers are integers (and export as numbers)."""
        return self is QuestionType.SCALE


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a choice question: the stored value and its wording."""

    value: str
    label: Text


@dataclass(frozen=True, slots=True)
class Condition:
    """Display logic: show a question when an earlier answer (``question``) or a fact of
    the invitation (``context``) passes ``test`` (equals, in, at_least, at_most)."""

    question: str | None
    context: str | None
    test: str
    value: Any

    def holds(self, answers: Mapping[str, Any], context: Mapping[str, str]) -> bool:
        """Whether the question is shown, given the answers so far and the context."""
        if self.context is not None:
            return bool(context.get(self.context) == self.value)
        answer = answers.get(self.question or "")
        if answer is None:
            return False
        if isinstance(answer, list):
            return any(self._passes(a) for a in answer)
        return self._passes(answer)

    def _passes(self, answer: Any) -> bool:
        if self.test == "equals":
            return bool(answer == self.value)
        if self.test == "in":
            return bool(answer in self.value)
        if not isinstance(answer, int | float):
            return False
        return bool(answer >= self.value if self.test == "at_least" else answer <= self.value)

    def as_json(self) -> dict[str, Any]:
        """The condition as written in a definition."""
        source = {"context": self.context} if self.context else {"question": self.question}
        return {**source, self.test: self.value}


@dataclass(frozen=True, slots=True)
class Question:
    """One answerable item of a survey."""

    id: str
    type: QuestionType
    text: Text
    required: bool = False
    low: int | None = None
    high: int | None = None
    options: tuple[Option, ...] = ()
    show_if: Condition | None = None
    matrix: str | None = None
    anchors: Mapping[str, Text] | None = None
    labels: Mapping[str, Text] | None = None
    max_length: int = 2000

    def shown(self, answers: Mapping[str, Any], context: Mapping[str, str]) -> bool:
        """Whether the respondent sees this question (its display logic holds)."""
        return self.show_if is None or self.show_if.holds(answers, context)

    def as_json(self) -> dict[str, Any]:
        """The question as written in a definition (and as the API lists it)."""
        out: dict[str, Any] = {"id": self.id, "type": self.type.value, "required": self.required}
        out["text"] = dict(self.text)
        if self.type is QuestionType.SCALE:
            out["min"], out["max"] = self.low, self.high
        if self.options:
            out["options"] = [{"value": o.value, "label": dict(o.label)} for o in self.options]
        if self.type is QuestionType.TEXT:
            out["max_length"] = self.max_length
        if self.show_if is not None:
            out["show_if"] = self.show_if.as_json()
        if self.matrix is not None:
            out["matrix"] = self.matrix
        if self.anchors is not None:
            out["anchors"] = {k: dict(v) for k, v in self.anchors.items()}
        if self.labels is not None:
            out["labels"] = {k: dict(v) for k, v in self.labels.items()}
        return out


@dataclass(frozen=True, slots=True)
class SurveyDefinition:
    """A parsed, checked definition: title, intro, questions in export order."""

    title: Text
    questions: tuple[Question, ...]
    intro: Text | None = None
    anonymous: bool = False
    matrices: Mapping[str, Text] | None = None

    @property
    def question_ids(self) -> list[str]:
        """The answerable items' ids, in the export's column order."""
        return [q.id for q in self.questions]

    def as_json(self) -> dict[str, Any]:
        """The definition as a JSON document (``parse_definition`` reads it back)."""
        out: dict[str, Any] = {"title": dict(self.title), "anonymous": self.anonymous}
        if self.intro is not None:
            out["intro"] = dict(self.intro)
        if self.matrices:
            out["matrices"] = {k: dict(v) for k, v in self.matrices.items()}
        out["questions"] = [q.as_json() for q in self.questions]
        return out


def parse_definition(raw: object) -> SurveyDefinition:
    """Check a definition document and build it; ``DefinitionError`` names the question
    and the field at fault (an unknown type, a bad scale, a missing wording, a duplicate
    id, display logic that refers to the question itself, a later or an unknown one)."""
    if not isinstance(raw, Mapping):
        raise DefinitionError("definition: must be a JSON object", code="definition_not_object")
    title = _text(raw.get("title"), "definition.title")
    intro = _text(raw["intro"], "definition.intro") if raw.get("intro") is not None else None
    matrices = _matrices(raw.get("matrices"))
    items = raw.get("questions")
    if not isinstance(items, list) or not items:
        raise DefinitionError(
            "definition.questions: must be a non-empty list", code="definition_no_questions"
        )
    if len(items) > _MAX_QUESTIONS:
        raise DefinitionError(
            f"definition.questions: at most {_MAX_QUESTIONS} questions",
            code="definition_too_many_questions",
            params={"limit": _MAX_QUESTIONS},
        )
    questions: list[Question] = []
    for index, item in enumerate(items):
        question = _question(item, index, matrices)
        if any(q.id == question.id for q in questions):
            raise DefinitionError(
                f"question {question.id}: the id is used twice",
                code="question_id_twice",
                params={"question": question.id},
            )
        questions.append(question)
    _check_logic(questions)
    anonymous = raw.get("anonymous", False)
    if not isinstance(anonymous, bool):
        raise DefinitionError(
            f"definition.anonymous: {anonymous!r} is not true or false",
            code="definition_anonymous",
            params={"value": repr(anonymous)},
        )
    return SurveyDefinition(
        title=title,
        questions=tuple(questions),
        intro=intro,
        anonymous=anonymous,
        matrices=matrices,
    )


def _text(raw: object, where: str) -> dict[str, str]:
    """A wording in every language, each non-empty."""
    if not isinstance(raw, Mapping):
        raise DefinitionError(
            f"{where}: must give the wording in {' and '.join(LANGUAGES)}",
            code="wording_missing",
            params={"where": where, "languages": ", ".join(LANGUAGES)},
        )
    out: dict[str, str] = {}
    for language in LANGUAGES:
        value = raw.get(language)
        if not isinstance(value, str) or not value.strip():
            raise DefinitionError(
                f"{where}: the {language} wording is missing or empty",
                code="wording_empty",
                params={"where": where, "language": language},
            )
        out[language] = value
    return out


def _matrices(raw: object) -> dict[str, dict[str, str]] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise DefinitionError(
            "definition.matrices: must be an object of headings", code="definition_matrices"
        )
    return {str(key): _text(value, f"definition.matrices.{key}") for key, value in raw.items()}


def _question(raw: object, index: int, matrices: Mapping[str, Text] | None) -> Question:
    if not isinstance(raw, Mapping):
        raise DefinitionError(
            f"definition.questions[{index}]: must be a JSON object",
            code="question_not_object",
            params={"index": index},
        )
    qid = raw.get("id")
    if not isinstance(qid, str) or not _ID.match(qid):
        raise DefinitionError(
            f"definition.questions[{index}].id: {qid!r} must be a letter then up to 39 "
            "letters, digits or underscores",
            code="question_id_invalid",
            params={"index": index, "value": repr(qid)},
        )
    try:
        qtype = QuestionType(str(raw.get("type")))
    except ValueError:
        kinds = ", ".join(t.value for t in QuestionType)
        raise DefinitionError(
            f"question {qid}: type {raw.get('type')!r} is not one of {kinds}",
            code="question_type",
            params={"question": qid, "value": repr(raw.get("type")), "allowed": kinds},
        ) from None
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise DefinitionError(
            f"question {qid}: required {required!r} is not true or false",
            code="question_required_flag",
            params={"question": qid, "value": repr(required)},
        )
    matrix = raw.get("matrix")
    if matrix is not None and (not isinstance(matrix, str) or (matrices or {}).get(matrix) is None):
        raise DefinitionError(
            f"question {qid}: matrix {matrix!r} has no heading in matrices",
            code="question_matrix",
            params={"question": qid, "value": repr(matrix)},
        )
    low, high = _scale(raw, qid) if qtype is QuestionType.SCALE else (None, None)
    return Question(
        id=qid,
        type=qtype,
        text=_text(raw.get("text"), f"question {qid}.text"),
        required=required,
        low=low,
        high=high,
        options=_options(raw.get("options"), qid) if qtype in _CHOICES else (),
        show_if=_condition(raw["show_if"], qid) if raw.get("show_if") is not None else None,
        matrix=matrix,
        anchors=_labels(raw.get("anchors"), qid, "anchors", ("min", "max")),
        labels=_labels(raw.get("labels"), qid, "labels", _scale_keys(low, high)),
        max_length=_max_length(raw.get("max_length", 2000), qid),
    )


_CHOICES = (QuestionType.CHOICE, QuestionType.MULTI)


def _scale(raw: Mapping[str, Any], qid: str) -> tuple[int, int]:
    low, high = raw.get("min"), raw.get("max")
    if not is_integer(low):
        raise _not_whole(qid, "min", low)
    if not is_integer(high):
        raise _not_whole(qid, "max", high)
    if not (-1000 <= low < high <= 1000):
        raise DefinitionError(
            f"question {qid}: scale {low}..{high} must rise within ±1000",
            code="question_scale_range",
            params={"question": qid, "low": low, "high": high},
        )
    return low, high


def _not_whole(qid: str, bound: str, value: object) -> DefinitionError:
    return DefinitionError(
        f"question {qid}: {bound} {value!r} must be an integer",
        code="question_scale_bound",
        params={"question": qid, "bound": bound, "value": repr(value)},
    )


def _scale_keys(low: int | None, high: int | None) -> tuple[str, ...]:
    if low is None or high is None:
        return ()
    return tuple(str(v) for v in range(low, high + 1))


def _options(raw: object, qid: str) -> tuple[Option, ...]:
    if not isinstance(raw, list) or not raw:
        raise DefinitionError(
            f"question {qid}: options must be a non-empty list",
            code="question_options",
            params={"question": qid},
        )
    options: list[Option] = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise DefinitionError(
                f"question {qid}: options[{index}] must be an object",
                code="question_option_object",
                params={"question": qid, "index": index},
            )
        value = item.get("value")
        if not isinstance(value, str) or not value:
            raise DefinitionError(
                f"question {qid}: options[{index}].value must be a string",
                code="question_option_value",
                params={"question": qid, "index": index},
            )
        if any(o.value == value for o in options):
            raise DefinitionError(
                f"question {qid}: option {value!r} is listed twice",
                code="question_option_twice",
                params={"question": qid, "value": repr(value)},
            )
        label = _text(item.get("label"), f"question {qid}.options[{index}].label")
        options.append(Option(value=value, label=label))
    return tuple(options)


def _labels(
    raw: object, qid: str, field: str, allowed: Sequence[str]
) -> dict[str, dict[str, str]] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise DefinitionError(
            f"question {qid}: {field} must be an object",
            code="question_labels_object",
            params={"question": qid, "part": field},
        )
    unknown = [key for key in raw if key not in allowed]
    if unknown:
        raise DefinitionError(
            f"question {qid}: {field} key {unknown[0]!r} is not allowed",
            code="question_labels_key",
            params={"question": qid, "part": field, "value": repr(unknown[0])},
        )
    return {str(k): _text(v, f"question {qid}.{field}.{k}") for k, v in raw.items()}


def is_integer(value: object) -> TypeGuard[int]:
    """A JSON integer (``true`` and ``false`` are not numbers here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _max_length(raw: object, qid: str) -> int:
    if not is_integer(raw) or not 1 <= raw <= _MAX_TEXT_ANSWER:
        raise DefinitionError(
            f"question {qid}: max_length {raw!r} must be 1..{_MAX_TEXT_ANSWER}",
            code="question_max_length",
            params={"question": qid, "value": repr(raw), "limit": _MAX_TEXT_ANSWER},
        )
    return raw


def _condition(raw: object, qid: str) -> Condition:
    if not isinstance(raw, Mapping):
        raise _show_if(qid, "show_if must be an object", code="show_if_object")
    tests = [t for t in _CONDITION_TESTS if t in raw]
    if len(tests) != 1:
        allowed = ", ".join(_CONDITION_TESTS)
        raise _show_if(
            qid, f"show_if needs exactly one of {allowed}", code="show_if_test", allowed=allowed
        )
    test = tests[0]
    value = raw[test]
    source_q, source_c = raw.get("question"), raw.get("context")
    if (source_q is None) == (source_c is None):
        raise _show_if(qid, "show_if names one question or one context", code="show_if_source")
    if source_c is not None and (test != "equals" or not isinstance(source_c, str)):
        raise _show_if(qid, "show_if on a context takes 'equals'", code="show_if_context")
    if test == "in" and not isinstance(value, list):
        raise _show_if(qid, "show_if 'in' takes a list", code="show_if_in")
    if test in ("at_least", "at_most") and (
        not isinstance(value, int | float) or isinstance(value, bool)
    ):
        raise _show_if(qid, f"show_if {test!r} takes a number", code="show_if_number", test=test)
    if source_q is not None and not isinstance(source_q, str):
        raise _show_if(
            qid,
            f"show_if question {source_q!r} is not an id",
            code="show_if_question_id",
            value=repr(source_q),
        )
    return Condition(question=source_q, context=source_c, test=test, value=value)


def _check_logic(questions: Sequence[Question]) -> None:
    """Display logic may refer only to an earlier question: that rules out loops."""
    seen: set[str] = set()
    ids = {q.id for q in questions}
    for question in questions:
        condition = question.show_if
        if condition is not None and condition.question is not None:
            target = condition.question
            if target == question.id:
                raise _show_if(question.id, "show_if refers to itself", code="show_if_itself")
            if target not in ids:
                raise _show_if(
                    question.id,
                    f"show_if refers to unknown question {target}",
                    code="show_if_unknown",
                    target=target,
                )
            if target not in seen:
                raise _show_if(
                    question.id,
                    f"show_if refers to later question {target}",
                    code="show_if_later",
                    target=target,
                )
        seen.add(question.id)


def _show_if(qid: str, problem: str, code: str, **params: object) -> DefinitionError:
    """Question ``qid``'s display logic refused: ``question Q: problem`` (English) and
    ``code`` with the question and ``params`` for a page's language."""
    return DefinitionError(
        f"question {qid}: {problem}", code=code, params={"question": qid, **params}
    )
