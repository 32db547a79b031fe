"""Answering a survey: which pages and questions a respondent sees, where they go next, and
what the server accepts as an answer (docs/surveys.md, "Answer shapes and validation rules").

The server is the judge: whatever a browser or an API client sends goes through
``validate_page`` or ``validate_response``, which keep only the answers to questions the
respondent was actually shown, demand the required ones, and check each answer's shape and
rules. Reasons are ``logic.Message`` strings (English, translatable with ``.translate``).

Conditions read *effective* answers: the answers to questions that are visible on the path the
respondent took. An answer left behind after the respondent went back and changed their path
does not count.

Pure module: no Django imports.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeGuard

from kesheng.surveys.definition import (
    END,
    LONG_TEXT_LIMIT,
    MAX_NUMBER,
    MAX_REGEX_LENGTH,
    QUESTION_TYPES,
    choice_values,
    iter_pages,
    iter_questions,
    parse_date,
    row_values,
    scale_of,
)
from kesheng.surveys.logic import Message, evaluate_condition, gettext_noop

# The value a form sends for the "other" choice; its text comes in the field ``<name>.other``.
OTHER_FORM_VALUE = "__other__"
OTHER = "other"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_GROUPED_NUMBER = re.compile(r"-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
_WHOLE_NUMBER = re.compile(r"[-+]?[0-9]{1,18}")  # longer ones go through float, then are refused
_DECIMAL_NUMBER = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_SCALE_POINT = re.compile(r"[-+]?[0-9]{1,6}")
_PHONE = re.compile(r"\+?[0-9(][0-9 ()\-]{4,30}")

Answers = Mapping[str, Any]
Collect = Callable[[dict, dict], None]


# --- visibility and navigation -------------------------------------------------------------------


def is_answered(value: Any) -> bool:
    """An answer that counts: not None, not blank text, not an empty list or object."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple, dict)):
        return len(value) > 0
    return True


def page_is_visible(page: Mapping[str, Any], answers: Answers) -> bool:
    return evaluate_condition(page.get("visible_if"), answers)


def question_is_visible(question: Mapping[str, Any], answers: Answers) -> bool:
    return evaluate_condition(question.get("visible_if"), answers)


def _keep_visible_answers(answers: Answers) -> Collect:
    """A collector that copies the answers of a page's visible questions, in order."""

    def collect(page: dict, effective: dict) -> None:
        for question in _questions_of(page):
            name = str(question.get("name"))
            if question_is_visible(question, effective) and is_answered(answers.get(name)):
                effective[name] = answers[name]

    return collect


def _questions_of(page: Mapping[str, Any]) -> list[dict]:
    questions = page.get("questions")
    if not isinstance(questions, list):
        return []
    return [question for question in questions if isinstance(question, dict)]


def _next_visible_index(pages: list[dict], start: int, effective: Answers) -> int | None:
    for index in range(start, len(pages)):
        if page_is_visible(pages[index], effective):
            return index
    return None


def _successor_index(pages: list[dict], index: int, effective: Answers) -> int | None:
    """The page after ``pages[index]`` once it is answered: skip rules first, then the next
    visible page. None is the end."""
    skip = pages[index].get("skip")
    for rule in skip if isinstance(skip, list) else []:
        if not isinstance(rule, Mapping) or not evaluate_condition(rule.get("if"), effective):
            continue
        target = rule.get("to")
        if target == END:
            return None
        for target_index in range(index + 1, len(pages)):
            if pages[target_index].get("name") == target:
                return _next_visible_index(pages, target_index, effective)
        # A rule pointing backwards or nowhere is refused by validate_definition; ignore it.
    return _next_visible_index(pages, index + 1, effective)


def _walk(definition: Any, collect: Collect) -> Iterator[tuple[int, dict, dict]]:
    """``(index, page, effective answers so far)`` for each page on the respondent's path.

    ``collect(page, effective)`` adds the page's answers to ``effective`` before the page is
    yielded, so the skip rules after it read them. ``effective`` is one dict, updated in place.
    """
    pages = iter_pages(definition)
    effective: dict = {}
    index = _next_visible_index(pages, 0, effective)
    visited: set[int] = set()
    while index is not None and index not in visited:
        visited.add(index)
        page = pages[index]
        collect(page, effective)
        yield index, page, effective
        index = _successor_index(pages, index, effective)


def _page_index(pages: list[dict], page_name: str) -> int:
    for index, page in enumerate(pages):
        if page.get("name") == page_name:
            return index
    raise ValueError(f"{page_name!r} is not a page of this survey")


def effective_answers(definition: Any, answers: Answers) -> dict:
    """The answers that count: those to visible questions on visible pages of the path."""
    effective: dict = {}
    for _, _, walked in _walk(definition, _keep_visible_answers(answers)):
        effective = walked
    return dict(effective)


def _answers_before(definition: Any, page_name: str, answers: Answers) -> dict:
    """Effective answers from the pages before ``page_name`` on the path to it.

    When the page is not on the path those answers lead to (the respondent went back and
    changed something), the visible answers of every earlier page count instead.
    """
    collect = _keep_visible_answers(answers)
    before: dict = {}
    for _, page, effective in _walk(definition, lambda page, effective: None):
        if page.get("name") == page_name:
            return before
        collect(page, effective)
        before = dict(effective)
    pages = iter_pages(definition)
    index = _page_index(pages, page_name)
    fallback: dict = {}
    for page in pages[:index]:
        if page_is_visible(page, fallback):
            collect(page, fallback)
    return fallback


def first_page(definition: Any, answers: Answers | None = None) -> str | None:
    """The name of the first visible page, or None when no page is visible."""
    pages = iter_pages(definition)
    index = _next_visible_index(pages, 0, {})
    return pages[index].get("name") if index is not None else None


def next_page(definition: Any, current_page: str, answers: Answers) -> str:
    """The page after ``current_page`` (answered): skip rules, then the next visible page;
    ``"end"`` when the survey is done. Raises ValueError for a page the survey does not have."""
    pages = iter_pages(definition)
    index = _page_index(pages, current_page)
    effective = _answers_before(definition, current_page, answers)
    if not page_is_visible(pages[index], effective):
        following = _next_visible_index(pages, index + 1, effective)
        return pages[following]["name"] if following is not None else END
    _keep_visible_answers(answers)(pages[index], effective)
    following = _successor_index(pages, index, effective)
    return pages[following]["name"] if following is not None else END


def previous_page(definition: Any, current_page: str, answers: Answers) -> str | None:
    """The page before ``current_page`` on the respondent's path (for a "back" button)."""
    previous = None
    for _, page, _ in _walk(definition, _keep_visible_answers(answers)):
        if page.get("name") == current_page:
            return previous
        previous = page.get("name")
    return None


def visible_questions(definition: Any, page_name: str, answers: Answers) -> list[dict]:
    """The questions of the page the respondent sees, in order; none if the page is hidden.

    A question may depend on an earlier question of the same page: its visibility is read with
    that question's answer in ``answers`` (the stored one, or the one just submitted).
    """
    pages = iter_pages(definition)
    index = _page_index(pages, page_name)
    effective = _answers_before(definition, page_name, answers)
    if not page_is_visible(pages[index], effective):
        return []
    shown = []
    for question in _questions_of(pages[index]):
        if question_is_visible(question, effective):
            shown.append(question)
            name = str(question.get("name"))
            if is_answered(answers.get(name)):
                effective[name] = answers[name]
    return shown


def progress(definition: Any, page_name: str, answers: Answers) -> float:
    """How far along ``page_name`` is, from 0 (the first page) towards 1 (``"end"``): the share
    of the pages visible with these answers that come before it."""
    if page_name == END:
        return 1.0
    pages = iter_pages(definition)
    try:
        index = _page_index(pages, page_name)
    except ValueError:
        return 0.0
    effective = effective_answers(definition, answers)
    visible = [i for i, page in enumerate(pages) if page_is_visible(page, effective) or i == index]
    return visible.index(index) / len(visible)


def choice_order(question: Mapping[str, Any], seed: str) -> list[str]:
    """The choice values in the order to show them: shuffled when ``randomize`` is set, the
    same way every time for one seed (e.g. the response's resume key), else as defined."""
    values = choice_values(question)
    if question.get("randomize"):
        random.Random(f"{seed}:{question.get('name')}").shuffle(values)
    return values


# --- answers from HTML forms ---------------------------------------------------------------------


def form_field_values(question: Mapping[str, Any], form: Any) -> tuple[list[str], str]:
    """The raw strings of one question from a submitted form, and the "other" text.

    Field names: ``<name>`` holds the value(s) (``__other__`` for the "other" choice) and
    ``<name>.other`` the other text; a matrix sends ``<name>.<row>`` per row, returned here as
    ``"<row>=<point>"``; a ranking either sends ``<name>`` in order or ``<name>.<choice>`` = rank.
    ``form`` is a Django QueryDict or any mapping of field to string or list of strings.
    """

    def get_list(key: str) -> list[str]:
        if hasattr(form, "getlist"):
            return [str(value) for value in form.getlist(key)]
        value = form.get(key) if isinstance(form, Mapping) else None
        if value is None:
            return []
        if isinstance(value, (list, tuple)):
            return [str(item) for item in value]
        return [str(value)]

    name = str(question.get("name"))
    kind = question.get("type")
    other_text = next(iter(get_list(f"{name}.other")), "")
    if kind == "matrix":
        raw = []
        for row in row_values(question):
            points = [value for value in get_list(f"{name}.{row}") if value.strip()]
            if points:
                raw.append(f"{row}={points[0]}")
        return raw, other_text
    raw = get_list(name)
    if kind == "ranking" and not [value for value in raw if value.strip()]:
        ranks = []
        for value in choice_values(question):
            rank = next(iter(get_list(f"{name}.{value}")), "").strip()
            if rank:
                ranks.append((rank, value))
        if ranks:
            try:
                ranks.sort(key=lambda pair: (int(pair[0]), pair[1]))
            except ValueError:
                raise ValueError(
                    Message(gettext_noop("each rank must be a whole number"))
                ) from None
            raw = [value for _, value in ranks]
    return raw, other_text


def coerce_form_value(
    question: Mapping[str, Any], raw_values: list[str], other_text: str = ""
) -> Any:
    """The JSON answer shape from a form's strings (see ``form_field_values``); None when
    nothing was given. Raises ValueError(reason) when the strings cannot be that shape; the
    rules (range, choices offered, ...) are checked afterwards by ``validate_answer``."""
    kind = question.get("type")
    values = [value.strip() for value in raw_values if value is not None and value.strip()]
    if not values:
        return None
    if kind in ("single_choice", "dropdown"):
        if values[0] == OTHER_FORM_VALUE:
            return {OTHER: other_text.strip()}
        return values[0]
    if kind == "multiple_choice":
        return [
            {OTHER: other_text.strip()} if value == OTHER_FORM_VALUE else value for value in values
        ]
    if kind == "ranking":
        return values
    if kind == "yes_no":
        lowered = values[0].lower()
        if lowered in ("yes", "true", "1", "on"):
            return True
        if lowered in ("no", "false", "0", "off"):
            return False
        raise ValueError(Message(gettext_noop("must be yes or no")))
    if kind == "matrix":
        answer: dict[str, int] = {}
        for value in values:
            row, separator, point = value.rpartition("=")
            if not separator:
                raise ValueError(Message(gettext_noop("each row needs one point of the scale")))
            answer[row] = _form_integer(point)
        return answer
    if kind == "numeric":
        text = values[0]
        if _GROUPED_NUMBER.fullmatch(text):  # "1,234.5" as people type it
            text = text.replace(",", "")
        if _WHOLE_NUMBER.fullmatch(text):
            return int(text)
        if not _DECIMAL_NUMBER.fullmatch(text):
            raise ValueError(Message(gettext_noop("must be a number")))
        return float(text)
    question_type = QUESTION_TYPES.get(kind)  # type: ignore[arg-type]
    if question_type is not None and question_type.is_scale:
        return _form_integer(values[0])
    # Texts keep inner spacing and line breaks, only the ends are trimmed.
    return next(value for value in raw_values if value and value.strip()).strip()


def _form_integer(text: str) -> int:
    if not _SCALE_POINT.fullmatch(text.strip()):
        raise ValueError(Message(gettext_noop("must be a whole number")))
    return int(text)


def read_page_form(definition: Any, page_name: str, form: Any) -> tuple[dict, dict]:
    """The submitted answers of a page's questions from a form, and the form errors.

    Pass the result to ``validate_page``; its errors and these belong to the same questions.
    """
    pages = iter_pages(definition)
    page = pages[_page_index(pages, page_name)]
    submitted: dict = {}
    errors: dict[str, str] = {}
    for question in _questions_of(page):
        name = str(question.get("name"))
        try:
            raw, other_text = form_field_values(question, form)
            submitted[name] = coerce_form_value(question, raw, other_text)
        except ValueError as error:
            errors[name] = _reason(error)
    return submitted, errors


def _reason(error: ValueError) -> str:
    return error.args[0] if error.args and isinstance(error.args[0], str) else str(error)


# --- checking answers ----------------------------------------------------------------------------


def validate_answer(question: Mapping[str, Any], value: Any) -> Any:
    """The clean answer to one question, or ValueError(reason). ``value`` is answered."""
    kind = question.get("type")
    validation = question.get("validation")
    rules: Mapping[str, Any] = validation if isinstance(validation, Mapping) else {}
    checker = _CHECKERS.get(kind)  # type: ignore[arg-type]
    if checker is None:
        raise ValueError(Message(gettext_noop("this question cannot be answered")))
    return checker(question, value, rules)


def _fail(template: str, **params: Any) -> ValueError:
    return ValueError(Message(template, **params))


def _check_choice(question: Mapping[str, Any], value: Any, offered: list[str]) -> Any:
    if isinstance(value, Mapping):
        if not question.get("has_other") or set(value) != {OTHER}:
            raise _fail(gettext_noop("is not one of the choices offered"))
        text = value[OTHER]
        if not isinstance(text, str) or not text.strip():
            raise _fail(gettext_noop('please say what "other" is'))
        if len(text) > 500:
            raise _fail(gettext_noop('the "other" text is at most %(limit)s characters'), limit=500)
        return {OTHER: text.strip()}
    if isinstance(value, str) and value in offered:
        return value
    if isinstance(value, str) and value == OTHER and question.get("has_other"):
        raise _fail(gettext_noop('please say what "other" is'))
    raise _fail(gettext_noop("is not one of the choices offered"))


def _single_choice(question: Mapping[str, Any], value: Any, rules: Mapping[str, Any]) -> Any:
    return _check_choice(question, value, choice_values(question))


def _multiple_choice(question: Mapping[str, Any], value: Any, rules: Mapping[str, Any]) -> Any:
    if not isinstance(value, list):
        raise _fail(gettext_noop("must be a list of choices"))
    offered = choice_values(question)
    clean: list[Any] = []
    seen: set[str] = set()
    for item in value:
        checked = _check_choice(question, item, offered)
        key = OTHER if isinstance(checked, Mapping) else checked
        if key in seen:
            raise _fail(gettext_noop("names a choice twice"))
        seen.add(key)
        clean.append(checked)
    low, high = rules.get("min_choices"), rules.get("max_choices")
    if isinstance(low, int) and len(clean) < low:
        raise _fail(gettext_noop("choose at least %(count)s"), count=low)
    if isinstance(high, int) and len(clean) > high:
        raise _fail(gettext_noop("choose at most %(count)s"), count=high)
    return clean


def _ranking(question: Mapping[str, Any], value: Any, rules: Mapping[str, Any]) -> Any:
    offered = choice_values(question)
    if (
        not isinstance(value, list)
        or not all(isinstance(item, str) for item in value)
        or sorted(value) != sorted(offered)
    ):
        raise _fail(gettext_noop("must list every choice once, most preferred first"))
    return list(value)


def _yes_no(question: Mapping[str, Any], value: Any, rules: Mapping[str, Any]) -> Any:
    if not isinstance(value, bool):
        raise _fail(gettext_noop("must be true or false"))
    return value


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _scale(question: Mapping[str, Any], value: Any, rules: Mapping[str, Any]) -> Any:
    low, high = scale_of(question) or (0, 0)
    point = _integer(value)
    if point is None:
        raise _fail(
            gettext_noop("must be a whole number from %(low)s to %(high)s"), low=low, high=high
        )
    if not low <= point <= high:
        raise _fail(gettext_noop("must be from %(low)s to %(high)s"), low=low, high=high)
    return point


def _matrix(question: Mapping[str, Any], value: Any, rules: Mapping[str, Any]) -> Any:
    if not isinstance(value, Mapping):
        raise _fail(gettext_noop("must be an object of row to point"))
    rows = row_values(question)
    low, high = scale_of(question) or (1, 5)
    clean: dict[str, int] = {}
    for row, point in value.items():
        if row not in rows:
            raise _fail(gettext_noop("'%(row)s' is not a row of this question"), row=str(row)[:64])
        if point is None:
            continue
        number = _integer(point)
        if number is None or not low <= number <= high:
            raise _fail(
                gettext_noop("row '%(row)s' must be a whole number from %(low)s to %(high)s"),
                row=row,
                low=low,
                high=high,
            )
        clean[row] = number
    if question.get("required") and clean:
        missing = [row for row in rows if row not in clean]
        if missing:
            raise _fail(
                gettext_noop("needs an answer in every row (missing: %(rows)s)"),
                rows=", ".join(missing),
            )
    # Keep the definition's row order, so stored answers read the same way every time.
    return {row: clean[row] for row in rows if row in clean}


def _numeric(question: Mapping[str, Any], value: Any, rules: Mapping[str, Any]) -> Any:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or abs(value) > MAX_NUMBER
    ):
        raise _fail(gettext_noop("must be a number"))
    if rules.get("integer") and _integer(value) is None:
        raise _fail(gettext_noop("must be a whole number"))
    if isinstance(value, float) and value.is_integer() and rules.get("integer"):
        value = int(value)
    low, high = rules.get("min"), rules.get("max")
    if _is_bound(low) and value < low:
        raise _fail(gettext_noop("must be at least %(min)s"), min=_show_number(low))
    if _is_bound(high) and value > high:
        raise _fail(gettext_noop("must be at most %(max)s"), max=_show_number(high))
    return value


def _is_bound(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _date(question: Mapping[str, Any], value: Any, rules: Mapping[str, Any]) -> Any:
    day = parse_date(value)
    if day is None:
        raise _fail(gettext_noop("must be a date, YYYY-MM-DD"))
    low, high = parse_date(rules.get("min")), parse_date(rules.get("max"))
    if low and day < low:
        raise _fail(gettext_noop("must be on or after %(min)s"), min=low.isoformat())
    if high and day > high:
        raise _fail(gettext_noop("must be on or before %(max)s"), max=high.isoformat())
    return value


def _text(question: Mapping[str, Any], value: Any, rules: Mapping[str, Any]) -> Any:
    if not isinstance(value, str):
        raise _fail(gettext_noop("must be a text"))
    text = value.strip()
    question_type = QUESTION_TYPES[question["type"]]
    limit = question_type.max_length or LONG_TEXT_LIMIT
    high = rules.get("max_length")
    if isinstance(high, int) and not isinstance(high, bool):
        limit = min(limit, high)
    if len(text) > limit:
        raise _fail(gettext_noop("must be at most %(limit)s characters"), limit=limit)
    low = rules.get("min_length")
    if isinstance(low, int) and not isinstance(low, bool) and len(text) < low:
        raise _fail(gettext_noop("must be at least %(limit)s characters"), limit=low)
    pattern = rules.get("regex")
    # Patterns were checked by validate_definition (length, no nested repetition); the length
    # check here guards a definition that skipped it.
    if isinstance(pattern, str) and pattern and len(pattern) <= MAX_REGEX_LENGTH:
        try:
            matches = re.fullmatch(pattern, text) is not None
        except re.error:
            matches = True
        if not matches:
            raise _fail(gettext_noop("is not in the expected format"))
    kind = question_type.name
    if kind == "email" and not _EMAIL.fullmatch(text):
        raise _fail(gettext_noop("is not an email address"))
    if kind == "phone":
        digits = sum(char.isdigit() for char in text)
        if not _PHONE.fullmatch(text) or not 5 <= digits <= 15:
            raise _fail(gettext_noop("is not a phone number"))
    return text


_CHECKERS: dict[str, Callable[[Mapping[str, Any], Any, Mapping[str, Any]], Any]] = {
    "single_choice": _single_choice,
    "dropdown": _single_choice,
    "multiple_choice": _multiple_choice,
    "ranking": _ranking,
    "yes_no": _yes_no,
    "rating": _scale,
    "nps": _scale,
    "csat": _scale,
    "ces": _scale,
    "likert": _scale,
    "matrix": _matrix,
    "numeric": _numeric,
    "date": _date,
    "short_text": _text,
    "long_text": _text,
    "email": _text,
    "phone": _text,
}


def _validate_page_questions(
    page: dict, submitted: Answers, effective: dict, clean: dict, errors: dict
) -> None:
    """Check a page's visible questions in order; good answers go into ``clean`` and into
    ``effective`` (so later questions' conditions read them), bad ones into ``errors``."""
    for question in _questions_of(page):
        name = question.get("name")
        if not isinstance(name, str) or not question_is_visible(question, effective):
            continue
        value = submitted.get(name)
        if not is_answered(value):
            if question.get("required"):
                errors[name] = Message(gettext_noop("is required"))
            continue
        try:
            answer = validate_answer(question, value)
        except ValueError as error:
            errors[name] = _reason(error)
            continue
        if not is_answered(answer):  # e.g. a matrix whose rows were all null
            if question.get("required"):
                errors[name] = Message(gettext_noop("is required"))
            continue
        clean[name] = answer
        effective[name] = answer


def validate_page(
    definition: Any, page_name: str, submitted: Answers, answers: Answers
) -> tuple[dict, dict[str, str]]:
    """Check one page's answers: ``(clean, errors)``.

    ``submitted`` holds the page's answers in their JSON shapes (from ``read_page_form`` or a
    client), ``answers`` the response's answers so far (the conditions read them). Only the
    page's visible questions are read; anything else in ``submitted`` is ignored, answers to
    hidden questions are dropped, a required visible question without an answer is "is
    required". Store the result with ``merge_page_answers``. Raises ValueError for a page the
    survey does not have.
    """
    pages = iter_pages(definition)
    index = _page_index(pages, page_name)
    effective = _answers_before(definition, page_name, answers)
    clean: dict = {}
    errors: dict[str, str] = {}
    if page_is_visible(pages[index], effective):
        _validate_page_questions(pages[index], submitted, effective, clean, errors)
    return clean, errors


def merge_page_answers(definition: Any, page_name: str, answers: Answers, clean: Answers) -> dict:
    """The response's answers with a page's answers replaced by ``clean`` (an answer the
    respondent cleared disappears)."""
    pages = iter_pages(definition)
    page = pages[_page_index(pages, page_name)]
    on_page = {question.get("name") for question in _questions_of(page)}
    merged = {name: value for name, value in answers.items() if name not in on_page}
    merged.update(clean)
    return merged


def validate_response(definition: Any, answers: Answers) -> tuple[dict, dict[str, str]]:
    """Check a whole response at once (the API, and the final check of the pages): walks the
    pages with their conditions and skip rules, keeps the answers of the questions shown,
    drops the rest, demands required visible ones, and refuses names the survey does not have.
    Returns ``(clean, errors)``."""
    errors: dict[str, str] = {}
    if not isinstance(answers, Mapping):
        return {}, {
            "answers": Message(gettext_noop("must be an object of question name to answer"))
        }
    known = {question.get("name") for _, question in iter_questions(definition)}
    for name in answers:
        if name not in known:
            errors[str(name)] = Message(gettext_noop("is not a question of this survey"))
    clean: dict = {}

    def collect(page: dict, effective: dict) -> None:
        _validate_page_questions(page, answers, effective, clean, errors)

    for _ in _walk(definition, collect):
        pass
    return clean, errors


# --- flattening ----------------------------------------------------------------------------------


def flatten_answers(definition: Any, answers: Answers) -> list[tuple[str, str, float | None, str]]:
    """The ``ResponseValue`` rows of clean answers: ``(question, item, number, text)``.

    One row per single answer (``item`` empty); per chosen value of a multiple choice (the
    value in ``text``); per answered matrix row (``item`` = row, ``number`` = point); per choice
    of a ranking (``item`` = choice, ``number`` = rank from 1). Numbers and scale points go to
    ``number``, yes/no as 1 or 0; choice values, dates and texts to ``text``; an "other" answer
    is a row with ``item`` = "other" and its text. Names not in the definition are left out.
    """
    rows: list[tuple[str, str, float | None, str]] = []
    for _, question in iter_questions(definition):
        name = question.get("name")
        if not isinstance(name, str) or not is_answered(answers.get(name)):
            continue
        value = answers[name]
        kind = question.get("type")
        if kind in ("single_choice", "dropdown", "multiple_choice"):
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, Mapping):
                    rows.append((name, OTHER, None, str(item.get(OTHER, ""))))
                else:
                    rows.append((name, "", None, str(item)))
        elif kind == "matrix" and isinstance(value, Mapping):
            for row, point in value.items():
                rows.append((name, str(row), _as_float(point), ""))
        elif kind == "ranking" and isinstance(value, list):
            for rank, choice in enumerate(value, start=1):
                rows.append((name, str(choice), float(rank), ""))
        elif kind == "yes_no":
            rows.append((name, "", 1.0 if value else 0.0, ""))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            rows.append((name, "", float(value), ""))
        else:
            rows.append((name, "", None, str(value)))
    return rows


def _as_float(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


__all__ = [
    "OTHER",
    "OTHER_FORM_VALUE",
    "choice_order",
    "coerce_form_value",
    "effective_answers",
    "first_page",
    "flatten_answers",
    "form_field_values",
    "is_answered",
    "merge_page_answers",
    "next_page",
    "page_is_visible",
    "previous_page",
    "progress",
    "question_is_visible",
    "read_page_form",
    "validate_answer",
    "validate_page",
    "validate_response",
    "visible_questions",
]
