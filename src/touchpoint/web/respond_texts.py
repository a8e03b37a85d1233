"""What the respondent page says around a survey's own wording (zh-CN and en), and the
survey's questions arranged for it: consecutive items of one matrix become one grid. The
respondent page and the desk's preview draw a survey with the same values
(:func:`survey_form`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from touchpoint.domain.survey_definition import QuestionType, SurveyDefinition
from touchpoint.domain.survey_templates import COMPETITOR_PLACEHOLDER, ITEM_BATTERIES

__all__ = [
    "RESPONDENT_TEXTS",
    "Block",
    "PageQuestion",
    "question_blocks",
    "respondent_language",
    "survey_form",
]

_LANGS = {"en": ("en", "en"), "zh-CN": ("zh-CN", "zh_CN")}

RESPONDENT_TEXTS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "submit": "提交",
        "save": "保存，稍后继续",
        "required": "必答",
        "thanks": "感谢您的反馈！",
        "thanks_detail": "您的回答已收到。",
        "saved": "已保存。",
        "saved_detail": "稍后打开同一链接即可继续作答。",
        "not_found": "找不到该调查链接。",
        "opt_out_title": "不再接收调查",
        "opt_out_question": "确定以后不再接收我们的满意度调查吗？",
        "opt_out_button": "确定，不再接收",
        "opted_out": "已为您退订，今后不会再向您发送调查。",
        "competitor": "竞争对手",
        "language": "English",
        "other_lang": "en",
        "answer_error": "请检查以下回答：",
        "unanswered": "还有 {n} 道题没有作答，已用黄色标出。可以补答，也可以直接提交。",
        "submit_anyway": "直接提交",
        "answer_them": "去作答",
    },
    "en": {
        "submit": "Submit",
        "save": "Save and continue later",
        "required": "required",
        "thanks": "Thank you for your feedback!",
        "thanks_detail": "Your answers were received.",
        "saved": "Saved.",
        "saved_detail": "Open the same link later to go on.",
        "not_found": "This survey link was not found.",
        "opt_out_title": "No more surveys",
        "opt_out_question": "Stop receiving our satisfaction surveys?",
        "opt_out_button": "Yes, no more surveys",
        "opted_out": "Done: you will not be sent surveys again.",
        "competitor": "the competitor",
        "language": "中文",
        "other_lang": "zh-CN",
        "answer_error": "Please check this answer:",
        "unanswered": (
            "Questions not answered yet: {n} (marked in yellow). Answer them, or submit as it is."
        ),
        "submit_anyway": "Submit as it is",
        "answer_them": "Answer them",
    },
}


@dataclass(frozen=True, slots=True)
class PageQuestion:
    """One question as the page draws it, in the page's language."""

    id: str
    type: str
    text: str
    required: bool
    choices: list[tuple[str, str]]
    low_label: str = ""
    high_label: str = ""
    max_length: int = 2000


@dataclass(slots=True)
class Block:
    """Questions drawn together: a matrix (a heading and a grid of scale items sharing
    their points) or a single question."""

    heading: str
    questions: list[PageQuestion] = field(default_factory=list)
    matrix: bool = False


def _choices(question: Any, lang: str) -> list[tuple[str, str]]:
    if question.type is QuestionType.SCALE:
        labels = question.labels or {}
        return [
            (str(v), labels[str(v)][lang] if str(v) in labels else str(v))
            for v in range(question.low, question.high + 1)
        ]
    return [(o.value, o.label[lang]) for o in question.options]


def question_blocks(definition: SurveyDefinition, lang: str, competitor: str) -> list[Block]:
    """The definition's questions in order, grouped into blocks, the competitor's name put
    where the wording has ``{competitor}``."""
    other = competitor or RESPONDENT_TEXTS[lang]["competitor"]

    def say(text: str) -> str:
        return text.replace(COMPETITOR_PLACEHOLDER, other)

    blocks: list[Block] = []
    for question in definition.questions:
        anchors = question.anchors or {}
        item = PageQuestion(
            id=question.id,
            type=question.type.value,
            text=say(question.text[lang]),
            required=question.required,
            choices=[(v, say(label)) for v, label in _choices(question, lang)],
            low_label=say(anchors["min"][lang]) if "min" in anchors else "",
            high_label=say(anchors["max"][lang]) if "max" in anchors else "",
            max_length=question.max_length,
        )
        key = question.matrix
        heading = say((definition.matrices or {}).get(key, {}).get(lang, "")) if key else ""
        if key and blocks and blocks[-1].matrix and blocks[-1].heading == heading:
            blocks[-1].questions.append(item)
        else:
            blocks.append(Block(heading=heading, questions=[item], matrix=bool(key)))
    return blocks


def respondent_language(value: str | None) -> tuple[str, str]:
    """(definition language, catalogue locale) of a ``?lang=`` value: zh-CN unless ``en``."""
    return _LANGS.get(value or "", _LANGS["zh-CN"])


def survey_form(
    definition: SurveyDefinition, lang: str, competitor: str, template: str | None = None
) -> dict[str, Any]:
    """What ``respond.html`` draws of a survey in ``lang``: the page's texts, the title and
    intro, the question blocks, the display logic for ``respond.js`` (question id → its
    ``show_if``; the server checks it again), the language kept in the form's action, and
    whether "submit" asks first about items left blank (a ``template`` of
    ``ITEM_BATTERIES``)."""
    return {
        "check_unanswered": template in ITEM_BATTERIES,
        "lang": lang,
        "t": RESPONDENT_TEXTS[lang],
        "title": definition.title[lang],
        "intro": definition.intro[lang] if definition.intro else "",
        "blocks": question_blocks(definition, lang, competitor),
        "logic": {q.id: q.show_if.as_json() for q in definition.questions if q.show_if is not None},
        "query": "?lang=en" if lang == "en" else "",
    }
