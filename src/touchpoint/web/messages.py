"""Refused writes in the page's language: message codes to catalogue entries.

Services and domain rules raise errors with an English message (what the API answers,
word for word) and, for the messages a page user meets, a machine ``code`` with
``params``. Here each code has an English msgid with ``%(name)s`` placeholders; the
zh-CN catalogue translates it and the en catalogue falls back to the msgid, as for
every other label. Parameters that name a field, a record, a status, a tier, an order
type or an identity kind are labels themselves and are translated too, so no
developer word (``work_order``, ``team_id``, ``'in_progress'``) reaches the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

from touchpoint.web import labels
from touchpoint.web.i18n import translations

__all__ = ["LABEL_PARAMS", "MESSAGES", "Coded", "lead_and_detail", "say", "translate"]

#: Message code → English msgid (``%``-style placeholders named after the params).
MESSAGES: dict[str, str] = {
    # Versions and the database (services.base, storage).
    "stale_version": (
        "%(entity)s %(id)s: you edited version %(expected)s; it is now at version %(current)s."
    ),
    "changed_meanwhile": "The record was changed by someone else while it was being saved.",
    "database_busy": "Another write held the database for too long.",
    "request_timeout": "The request ran past the server's time limit; nothing was written.",
    "not_found": "%(entity)s %(id)s",  # after a "Not found" lead or heading
    # Surveys (services.survey_*, domain.survey_answers): what a respondent is told.
    "answer_invalid": "Question %(question)s: this answer is not accepted.",
    "wave_closed": "This survey wave is closed.",
    "survey_closed": "This survey is closed.",
    "survey_answered": "This survey link was already answered. Thank you!",
    "survey_cancelled": "This survey invitation was cancelled.",
    "survey_expired": "This survey link has expired.",
    "kiosk_no_progress": "A survey at a counter is answered in one go.",
    "kiosk_rate_limited": "Too many answers from this device. Try again in %(minutes)s min.",
    "quota_full": "This survey has all the answers it needs from your group. Thank you!",
    # The survey builder and the wave page (web.pages_surveys, web.pages_waves).
    "definition_question": "Question %(question)s is not accepted: %(detail)s",
    "definition_refused": "The definition is not accepted: %(detail)s",
    "definition_not_json": "The definition is not valid JSON (line %(line)s, column %(column)s).",
    "feature_line": "Feature line %(line)s “%(text)s” is not written as key | 中文 | English.",
    "wave_refused": "The wave was not opened: %(detail)s",
    "wave_expiry": "Links expire after 1 to 365 days, not %(value)s.",
    "wave_reminder": (
        "The reminder goes out 1 day or more after the invitation and before the links expire"
        " (after %(expires)s days), not after %(value)s days."
    ),
    "quota_too_many": "A wave has at most %(limit)s quotas.",
    "quota_segment": "Quota %(number)s: “%(value)s” is not a segment; one of %(allowed)s.",
    "quota_value": "Quota %(number)s: give the segment's value.",
    "quota_limit": "Quota %(number)s: the limit is a whole number of at least 1, not %(value)s.",
    "quota_twice": "Quota %(number)s: %(segment)s “%(value)s” has a quota already.",
    # Survey definitions (domain.survey_definition): the builder's JSON, field by field.
    "definition_not_object": "The definition must be a JSON object.",
    "definition_no_questions": "The definition needs a non-empty list of questions.",
    "definition_too_many_questions": "A survey has at most %(limit)s questions.",
    "definition_anonymous": "“anonymous” is true or false, not %(value)s.",
    "definition_matrices": "“matrices” must be an object of headings.",
    "wording_missing": "%(where)s: give the wording in %(languages)s.",
    "wording_empty": "%(where)s: the %(language)s wording is missing or empty.",
    "question_not_object": "Question %(index)s of the list must be a JSON object.",
    "question_id_invalid": (
        "Question id %(value)s must be a letter then up to 39 letters, digits or underscores."
    ),
    "question_id_twice": "Question %(question)s: the id is used twice.",
    "question_type": "Question %(question)s: the type %(value)s is not one of %(allowed)s.",
    "question_required_flag": "Question %(question)s: “required” is true or false, not %(value)s.",
    "question_matrix": "Question %(question)s: the matrix %(value)s has no heading in “matrices”.",
    "question_scale_bound": "Question %(question)s: %(bound)s %(value)s must be a whole number.",
    "question_scale_range": (
        "Question %(question)s: the scale %(low)s..%(high)s must rise and stay within ±1000."
    ),
    "question_options": "Question %(question)s: “options” must be a non-empty list.",
    "question_option_object": "Question %(question)s: options[%(index)s] must be an object.",
    "question_option_value": "Question %(question)s: options[%(index)s].value must be a text.",
    "question_option_twice": "Question %(question)s: the option %(value)s is listed twice.",
    "question_labels_object": "Question %(question)s: “%(part)s” must be an object.",
    "question_labels_key": "Question %(question)s: “%(part)s” may not have the key %(value)s.",
    "question_max_length": "Question %(question)s: max_length %(value)s must be 1..%(limit)s.",
    "show_if_object": "Question %(question)s: show_if must be an object.",
    "show_if_test": "Question %(question)s: show_if needs exactly one of %(allowed)s.",
    "show_if_source": "Question %(question)s: show_if names one question or one context.",
    "show_if_context": "Question %(question)s: show_if on a context takes “equals”.",
    "show_if_in": "Question %(question)s: show_if “in” takes a list.",
    "show_if_number": "Question %(question)s: show_if “%(test)s” takes a number.",
    "show_if_question_id": (
        "Question %(question)s: show_if question %(value)s is not a question id."
    ),
    "show_if_itself": "Question %(question)s: show_if refers to the question itself.",
    "show_if_unknown": (
        "Question %(question)s: show_if refers to %(target)s, which is not a question of "
        "this survey."
    ),
    "show_if_later": (
        "Question %(question)s: show_if refers to %(target)s, a later question; it may "
        "refer only to an earlier one."
    ),
    "quota_line": "Quota line %(line)s “%(text)s” is not written as segment | value | limit.",
    "not_customer_number": "“%(value)s” is not a customer number.",
    "no_customer_numbers": "Give at least one customer number.",
    # Login throttling (services.login).
    "login_user_locked": (
        "Too many failed logins for this user. Try again in %(minutes)s min, "
        "or ask an administrator to unlock it."
    ),
    "login_address_throttled": (
        "Too many failed logins from this computer. Try again in %(minutes)s min."
    ),
    # Users (services.auth, web.pages_admin).
    "password_length": "A password has %(low)s to %(high)s characters.",
    "username_taken": "The user name “%(username)s” is taken.",
    "username_length": "A user name has 1 to 64 characters.",
    "team_name_taken": "A team named “%(name)s” exists.",
    "webhook_url": "“%(value)s” is not an http(s) address.",
    "webhook_no_events": "Choose at least one event, or * for every event.",
    # SLA calendars and policies (services.sla_admin, web.pages_sla).
    "return_visit_survey_fixed": (
        "The desk's return-visit survey keeps its questions: the closed loop reads its "
        "answers by them."
    ),
    "sla_calendar_invalid": "The calendar is not accepted: %(detail)s",
    # The calendar's JSON (domain.calendar), field by field.
    "calendar_object": "A calendar is a JSON object, not %(value)s.",
    "calendar_field": (
        "“%(where)s” is not a calendar field: a calendar has timezone, hours, holidays and "
        "special_days."
    ),
    "calendar_no_timezone": "The calendar needs a timezone, such as Asia/Shanghai.",
    "calendar_timezone": "%(value)s is not a known time zone; write one such as Asia/Shanghai.",
    "calendar_hours": "“hours” is an object of weekdays (mon … sun), not %(value)s.",
    "calendar_weekday": "“%(where)s”: the weekdays are mon, tue, wed, thu, fri, sat and sun.",
    "calendar_holidays": "“holidays” is a list of dates YYYY-MM-DD, not %(value)s.",
    "calendar_special_days": "“special_days” is an object of dates YYYY-MM-DD, not %(value)s.",
    "calendar_ranges": "%(where)s: %(value)s is not a list of [start, end] ranges.",
    "calendar_range": "%(where)s: %(value)s is not a range [start, end].",
    "calendar_range_backwards": "%(where)s: the range %(value)s starts at or after its end.",
    "calendar_ranges_order": (
        "%(where)s: the range %(value)s comes before the range above it; list ranges from "
        "morning to night."
    ),
    "calendar_ranges_overlap": (
        "%(where)s: the range %(value)s overlaps the range before it (%(before)s)."
    ),
    "calendar_clock": "%(where)s: %(value)s is not a time of day HH:MM.",
    "calendar_clock_end": "%(where)s: 24:00 only ends a range.",
    "calendar_date": "%(where)s: %(value)s is not a date YYYY-MM-DD.",
    "calendar_date_impossible": "%(where)s: %(value)s is not a date that exists.",
    "calendar_day_twice": "“special_days” lists %(value)s twice.",
    "sla_policy_invalid": "The policy's targets are not accepted: %(detail)s",
    "sla_target": (
        "%(sla_field)s: give whole business minutes, 0 or more, or leave it blank (not %(value)s)."
    ),
    "name_taken": "The name “%(name)s” is taken.",
    "calendar_not_json": "The calendar is not valid JSON (line %(line)s, column %(column)s).",
    # Fields (services, domain rules, page forms).
    "field_empty": "%(field)s must not be empty.",
    "field_required": "%(field)s is required.",
    "unknown_reference": "%(entity)s %(id)s does not exist.",
    "unknown_user": "%(field)s: user %(id)s does not exist or is inactive.",
    "name_length": "%(field)s must be 1 to %(max)s characters long.",
    "not_whole_number": "%(field)s: “%(value)s” is not a whole number.",
    "not_a_choice": "%(field)s: “%(value)s” is not one of the choices.",
    "not_an_amount": "%(field)s: “%(value)s” is not an amount.",
    "negative_amount": "%(field)s must not be negative.",
    "invalid_date": "“%(value)s” is not a date (YYYY-MM-DD).",
    "end_before_start": "The end date must not be before the start date.",
    # Customers, identities and guest history (domain.customers, services.customers).
    "invalid_phone": "“%(value)s” is not a phone number.",
    "phone_in_use": (
        "%(value)s already belongs to %(customers)s: open that customer, or tick "
        "“Another person with this number” to create a new one."
    ),
    "invalid_email": "“%(value)s” is not an e-mail address.",
    "invalid_identity_kind": "“%(value)s” is not a kind of identity.",
    "identity_empty": "%(kind)s must not be empty.",
    "identity_exists": "“%(value)s” is already an identity of customer %(id)s.",
    "customer_merged": "Customer %(id)s was merged into customer %(into)s.",
    "preference_name_length": "Guest history: the name “%(name)s” must be 1 to 64 characters long.",
    "preference_too_long": "Guest history: “%(name)s” is longer than 500 characters.",
    "preference_line": "Guest history: line %(line)s “%(text)s” is not written as name: value.",
    # Customer merge (客户合并): refusals and the reasons two customers look alike.
    "merge_into_itself": "Customer %(id)s cannot be merged into itself.",
    "already_merged": "Customer %(id)s was already merged into another customer.",
    "merge_already_undone": "Merge %(id)s was already undone.",
    "survivor_merged_since": (
        "Customer %(id)s has since been merged into customer %(into)s; undo that merge first."
    ),
    "same_phone": "Same phone (%(value)s)",
    "same_email": "Same e-mail (%(value)s)",
    "same_account": "Same account number (%(value)s)",
    "same_social": "Same social / app id (%(value)s)",
    "similar_names": "Similar names (%(score).0f)",
    "different_phone": "Different phones",
    "different_email": "Different e-mail addresses",
    "different_account": "Different account numbers",
    "different_social": "Different social / app ids",
    # Work orders (domain.work_orders) and service recovery (domain.recovery).
    "already_in_status": "The order is already “%(status)s”.",
    "invalid_transition": "An order cannot move from “%(from_status)s” to “%(to_status)s”.",
    "close_needs_return_visit": "A %(type)s order cannot close without a return visit.",
    "closed_not_reassignable": "A closed order cannot be reassigned; reopen it first.",
    "tier_down": (
        "The order is at “%(from_tier)s” and cannot move down to “%(to_tier)s”; "
        "a transfer keeps the tier or moves it up."
    ),
    "top_tier": "“%(tier)s” is the top tier.",
    "return_visit_before_resolution": (
        "A return visit follows resolution; the order is “%(status)s”."
    ),
    "choose_assignee": "Choose who takes the order.",
    "justice_required": "%(field)s is required for a complaint.",
    "justice_score": "%(field)s must be a whole number from 1 to 5.",
    "amount_without_compensation": "Without compensation the amount must be 0.",
    "complaint_visit_needs_justice": (
        "A complaint's return visit records outcome, process and treatment justice."
    ),
    "recovery_needs_complaint": (
        "Service recovery applies to complaints; order %(id)s is a %(type)s order."
    ),
    # Incidents (services.incidents and page forms).
    "incident_resolved": "Incident %(id)s is resolved; it takes no new links or resolution.",
    "not_order_number": "“%(value)s” is not an order number.",
    # Analyses of waves (services.wave_analysis, segment_comparison, response_trends).
    "option_scale": "%(field)s: give the scale as MIN-MAX, e.g. 1-5 (not “%(value)s”).",
    "option_columns": "%(field)s: name at least one column, e.g. A,B,C.",
    "option_required": "%(field)s: this analysis needs it.",
    "option_weights": "%(field)s: “%(value)s” are not weights this analysis takes.",
    "option_named_twice": "%(field)s: “%(value)s” names a question twice.",
    "option_no_shared_scale": "The items do not share one scale: give the scale as MIN-MAX.",
    "not_a_segment": "“%(value)s” is not a segment of this wave; one of %(allowed)s.",
    "not_a_scale_question": "“%(value)s” is not a scale question of this wave.",
    "not_a_question": "“%(value)s” is not a question of this survey's answers.",
    "not_a_wave_number": "“%(value)s” is not a wave number.",
    "missing_columns": "The answers have no column %(columns)s, which this analysis reads.",
    "drivers_too_few_rows": (
        "Driver analysis needs more than %(needed)s answers with the outcome and every item "
        "answered; there are %(n)s."
    ),
    "drivers_constant_column": "%(columns)s has the same answer in every complete row.",
    "cell_outside_scale": (
        "Row %(row)s, column %(column)s: value %(value)s is outside the scale %(low)s–%(high)s."
    ),
    "cell_not_whole": "Row %(row)s, column %(column)s: value %(value)s is not a whole number.",
    "cell_not_number": "Row %(row)s, column %(column)s: text “%(value)s” in a numeric cell.",
    "option_outcome_item": "%(field)s: the outcome “%(value)s” cannot also be an item.",
    "kano_no_features": "The answers have no Kano feature columns (pairs NAME_f and NAME_d).",
    "no_order_numbers": "Give at least one order number.",
    "invite_too_many": "At most %(limit)s customers are invited at a time; %(n)s were given.",
    "text_too_long": "%(field)s: %(n)s characters; at most %(limit)s.",
    "cause_retired": "The complaint cause %(id)s is retired; choose one of the current causes.",
    "period_dates": "Give both dates of the period as YYYY-MM-DD.",
    # Imports of customers, transactions and survey answers (services.imports,
    # services.survey_imports): the file, then each bad cell (row and column shown beside).
    "import_rejected": (
        "Nothing was imported: the file has %(n)s problems, listed below. Correct them "
        "and send the file again."
    ),
    "import_file_type": "“%(value)s” is not a CSV or XLSX file.",
    "import_file_unreadable": "“%(value)s” cannot be read as a CSV or XLSX file.",
    "import_file_encoding": (
        "Line %(line)s is not %(encoding)s text (byte %(byte)s of the line): choose the "
        "file's encoding (GBK for Excel's CSV on a Chinese Windows) or save it as CSV UTF-8."
    ),
    "import_file_too_large": "The file is larger than %(megabytes)s MB.",
    "import_no_rows": "The file has no data rows.",
    "import_unknown_column": "Unknown column; the columns are: %(allowed)s.",
    "import_empty": "Must not be empty.",
    "import_not_choice": "Must be one of: %(allowed)s.",
    "import_cell": "Cannot be read.",
    "import_no_customer": "No such customer.",
    "import_unnamed": "Give customer_id, account or phone.",
    "import_unknown_identity": "No customer has this identity.",
    "import_not_number": "Not a number.",
    "import_amount_decimals": "More than two decimal places.",
    "import_amount_too_large": "Too large.",
    "import_not_instant": "Not a date and time in ISO 8601, such as 2026-03-01T09:30:00+08:00.",
    "import_instant_no_offset": "Needs a time-zone offset, such as +08:00, or Z.",
    "import_currency": "Not a three-letter currency code.",
    "import_not_whole": "Not a whole number.",
    "import_not_channel": "Not a channel.",
    "import_anonymous": "The survey is anonymous: leave customer_id blank.",
    "import_no_record": "Does not exist.",
}

#: Parameters whose values are labels: looked up in these tables and translated.
LABEL_PARAMS: dict[str, dict[str, str]] = {
    "field": labels.FIELD,
    "entity": labels.ENTITY,
    "kind": labels.IDENTITY,
    "status": labels.STATUS,
    "from_status": labels.STATUS,
    "to_status": labels.STATUS,
    "type": labels.ORDER_TYPE,
    "tier": labels.TIER,
    "from_tier": labels.TIER,
    "to_tier": labels.TIER,
    "sla_field": labels.SLA_FIELD,
}


class _Params(Mapping[str, object]):
    """The params as a message shows them, labels translated on demand.

    ``%`` formatting reads only the keys its msgid names, so a label param the
    message does not show never needs a label; a shown one without a label raises
    ``KeyError`` and the caller falls back to the English text.
    """

    def __init__(self, params: Mapping[str, object], gettext: Callable[[str], str]) -> None:
        self._params = params
        self._gettext = gettext

    def __getitem__(self, key: str) -> object:
        value = self._params[key]
        table = LABEL_PARAMS.get(key)
        if table is None:
            return value
        return self._gettext(table[str(value)])  # KeyError: no label, no translation

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)


def translate(code: str | None, params: Mapping[str, object], lang: str) -> str | None:
    """The message ``code`` with ``params`` in ``lang`` (``zh_CN`` or ``en``), or None
    when the code is unknown or a param it shows has no label."""
    if code is None or code not in MESSAGES:
        return None
    gettext = translations(lang).gettext
    try:
        return gettext(MESSAGES[code]) % _Params(params, gettext)
    except (KeyError, TypeError, ValueError):
        return None


class Coded(Protocol):
    """Anything with a message code and params whose ``str()`` is its English text: a
    refused write's error (``CodedError``), a merge reason."""

    @property
    def code(self) -> str | None: ...

    @property
    def params(self) -> Mapping[str, object]: ...


def say(coded: Coded, lang: str) -> str:
    """``coded`` in ``lang`` from its code, or its English text when the code has no
    message there (:func:`translate`)."""
    return translate(coded.code, coded.params, lang) or str(coded)


def lead_and_detail(lead: str, detail: str, lang: str) -> str:
    """``lead (detail)``, with full-width brackets in Chinese."""
    _ = translations(lang).gettext
    return _("%(lead)s (%(detail)s)") % {"lead": lead, "detail": detail}
