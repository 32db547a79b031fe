"""The respondent page as the templates draw it, and the page's HTML form read back into
answers in the JSON shapes of docs/surveys.md.

Form fields are named ``q.<question>`` (plus ``q.<question>.<row>`` for a matrix row,
``q.<question>.<choice>`` for a ranking place and ``q.<question>.other`` for "other, please
specify"), so a question name can never clash with the form's own fields.
"""

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import get_template
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kesheng.surveys import definition as definitions
from kesheng.surveys import flow, piping

FIELD_PREFIX = "q."
SCALE_TYPES = ("rating", "nps", "csat", "ces", "likert")
CHOICE_TYPES = ("single_choice", "multiple_choice", "dropdown")


@dataclass
class Option:
    value: str
    label: str
    checked: bool = False


@dataclass
class MatrixRow:
    value: str
    label: str
    field: str
    options: list[Option]


@dataclass
class ShownQuestion:
    """One question as drawn: texts piped and in the respondent's language, options in the
    response's stable order, the respondent's current answer checked, and its error."""

    name: str
    type: str
    field: str
    title: str
    description: str
    required: bool
    widget: str
    error: str = ""
    options: list[Option] = field(default_factory=list)
    rows: list[MatrixRow] = field(default_factory=list)
    text: str = ""
    has_other: bool = False
    other_field: str = ""
    other_text: str = ""
    other_checked: bool = False
    min_label: str = ""
    max_label: str = ""
    input_type: str = "text"
    # Its texts pipe in answers ("{question}"): drawn afresh each time, never memoised.
    piped: bool = False


QUESTION_TEMPLATE = "surveys/public/question.html"
# Drawn questions kept per process; a page of ten questions is a few kilobytes.
QUESTION_HTML_CACHE_SIZE = 2048
_question_html: dict[tuple[str, str], str] = {}
_question_html_lock = threading.Lock()


def question_html(question: ShownQuestion) -> str:
    """The question drawn by ``QUESTION_TEMPLATE`` in the active language.

    The template is the most expensive part of a respondent page (a scale is a dozen inputs),
    and the same question is drawn the same way for most respondents (same language, nothing
    checked yet, or the same choice checked), so the HTML is memoised per process on
    everything the template reads: the language and the whole drawn question. A question with
    text the respondent typed is drawn afresh and never kept (no answers held in memory).
    """
    if question.text or question.other_text or question.piped:
        return get_template(QUESTION_TEMPLATE).render({"question": question})
    key = (translation.get_language() or "", repr(question))
    html = _question_html.get(key)
    if html is None:
        html = get_template(QUESTION_TEMPLATE).render({"question": question})
        with _question_html_lock:
            if len(_question_html) >= QUESTION_HTML_CACHE_SIZE:
                # Oldest first out: dicts keep insertion order.
                del _question_html[next(iter(_question_html))]
            _question_html[key] = html
    return html


@dataclass
class ShownPage:
    name: str
    title: str
    description: str
    questions: list[ShownQuestion]
    progress_percent: int
    is_first: bool
    show_progress: bool

    @property
    def questions_html(self) -> list[str]:
        return [question_html(question) for question in self.questions]


def _likert_labels(points: int) -> list[str]:
    if points == 7:
        return [
            _("Strongly disagree"),
            _("Disagree"),
            _("Somewhat disagree"),
            _("Neither agree nor disagree"),
            _("Somewhat agree"),
            _("Agree"),
            _("Strongly agree"),
        ]
    return [
        _("Strongly disagree"),
        _("Disagree"),
        _("Neither agree nor disagree"),
        _("Agree"),
        _("Strongly agree"),
    ]


def _end_labels(question_type: str) -> tuple[str, str]:
    if question_type == "nps":
        return _("Not at all likely"), _("Extremely likely")
    if question_type == "csat":
        return _("Very dissatisfied"), _("Very satisfied")
    if question_type == "ces":
        return _("Very difficult"), _("Very easy")
    return "", ""


def _mentions_piping(value: Any) -> bool:
    """Whether any text of a question definition has a ``{...}`` placeholder."""
    if isinstance(value, str):
        return "{" in value
    if isinstance(value, dict):
        return any(_mentions_piping(item) for item in value.values())
    if isinstance(value, list):
        return any(_mentions_piping(item) for item in value)
    return False


class PageRenderer:
    """Draws the pages of one response (or of a visitor who has not answered yet)."""

    def __init__(
        self,
        definition: dict,
        *,
        language: str,
        answers: Mapping[str, Any],
        seed: str,
        context: dict[str, str],
    ):
        self.definition = definition
        self.language = language
        self.answers = answers
        self.seed = seed
        self.context = {**context, "language": language}
        self.default_language = definition.get("default_language") or "zh-hans"

    def text(self, text_object: Any, *, pipe: bool = True) -> str:
        if not text_object:
            return ""
        text = definitions.localized(text_object, self.language, self.default_language)
        if pipe and "{" in text:
            return piping.pipe_text(text, dict(self.answers), self.definition, self.context)
        return text

    def page(
        self,
        page_name: str,
        *,
        errors: Mapping[str, str] | None = None,
        shown_answers: Mapping[str, Any] | None = None,
        is_first: bool,
    ) -> ShownPage:
        """``shown_answers``: the answers to draw checked (the submitted ones after an error)."""
        errors = errors or {}
        values = self.answers if shown_answers is None else shown_answers
        page = next(p for p in definitions.iter_pages(self.definition) if p["name"] == page_name)
        questions = [
            self.question(question, values.get(question["name"]), errors.get(question["name"]))
            for question in flow.visible_questions(self.definition, page_name, self.answers)
        ]
        return ShownPage(
            name=page_name,
            title=self.text(page.get("title")),
            description=self.text(page.get("description")),
            questions=questions,
            progress_percent=round(100 * flow.progress(self.definition, page_name, self.answers)),
            is_first=is_first,
            show_progress=self.definition.get("show_progress", True) is not False,
        )

    def _choices(self, question: dict) -> list[dict]:
        choices = {str(choice.get("value")): choice for choice in question.get("choices") or []}
        if question.get("randomize"):
            return [choices[value] for value in flow.choice_order(question, self.seed)]
        return list(choices.values())

    def question(self, question: dict, value: Any, error: str | None) -> ShownQuestion:
        name = question["name"]
        kind = question.get("type", "")
        shown = ShownQuestion(
            name=name,
            type=kind,
            field=FIELD_PREFIX + name,
            title=self.text(question.get("title")) or name,
            description=self.text(question.get("description")),
            required=bool(question.get("required")),
            widget=kind,
            error=translated(error) if error else "",
            piped=_mentions_piping(question),
        )
        if kind in CHOICE_TYPES:
            self._fill_choices(shown, question, value)
        elif kind == "yes_no":
            shown.widget = "radio"
            shown.options = [
                Option("true", pgettext("answer", "Yes"), value is True),
                Option("false", pgettext("answer", "No"), value is False),
            ]
        elif kind in SCALE_TYPES:
            self._fill_scale(shown, question, value)
        elif kind == "matrix":
            self._fill_matrix(shown, question, value)
        elif kind == "ranking":
            self._fill_ranking(shown, question, value)
        else:
            shown.widget = "textarea" if kind == "long_text" else "input"
            shown.input_type = {
                "numeric": "number",
                "date": "date",
                "email": "email",
                "phone": "tel",
            }.get(kind, "text")
            shown.text = "" if value is None else str(value)
        return shown

    def _fill_choices(self, shown: ShownQuestion, question: dict, value: Any) -> None:
        chosen = value if isinstance(value, list) else [value]
        chosen_values = {item for item in chosen if isinstance(item, str)}
        other = next((item for item in chosen if isinstance(item, dict)), None)
        shown.widget = {"single_choice": "radio", "multiple_choice": "checkbox"}.get(
            question["type"], "select"
        )
        shown.options = [
            Option(
                str(choice["value"]),
                self.text(choice.get("text")) or str(choice["value"]),
                str(choice["value"]) in chosen_values,
            )
            for choice in self._choices(question)
        ]
        if question.get("has_other"):
            shown.has_other = True
            shown.other_field = f"{shown.field}.other"
            shown.other_checked = other is not None
            shown.other_text = str((other or {}).get("other", ""))

    def _fill_scale(self, shown: ShownQuestion, question: dict, value: Any) -> None:
        low, high = definitions.scale_of(question) or (1, 5)
        scale = question.get("scale") or {}
        shown.widget = "nps" if question["type"] == "nps" else "scale"
        min_label, max_label = _end_labels(question["type"])
        shown.min_label = self.text(scale.get("min_label")) or min_label
        shown.max_label = self.text(scale.get("max_label")) or max_label
        labels: list[str] = []
        if question["type"] == "likert":
            if question.get("choices"):
                labels = [self.text(choice.get("text")) for choice in question["choices"]]
            else:
                labels = _likert_labels(high - low + 1)
            shown.widget = "likert"
        stars = scale.get("style") == "stars"
        shown.options = [
            Option(
                str(point),
                labels[point - low]
                if point - low < len(labels)
                else ("★" * point if stars else str(point)),
                value == point,
            )
            for point in range(low, high + 1)
        ]

    def _fill_matrix(self, shown: ShownQuestion, question: dict, value: Any) -> None:
        shown.widget = "matrix"
        answers = value if isinstance(value, dict) else {}
        columns = question.get("columns")
        if columns:
            column_options = [
                (str(column["value"]), self.text(column.get("text"))) for column in columns
            ]
        else:
            points = int((question.get("scale") or {}).get("points") or 5)
            column_options = [
                (str(index + 1), label) for index, label in enumerate(_likert_labels(points))
            ]
        shown.options = [Option(column, label) for column, label in column_options]
        for row in question.get("rows") or []:
            row_value = str(row["value"])
            current = answers.get(row_value)
            shown.rows.append(
                MatrixRow(
                    value=row_value,
                    label=self.text(row.get("text")) or row_value,
                    field=f"{shown.field}.{row_value}",
                    options=[
                        Option(column, label, current is not None and str(current) == column)
                        for column, label in column_options
                    ],
                )
            )

    def _fill_ranking(self, shown: ShownQuestion, question: dict, value: Any) -> None:
        shown.widget = "ranking"
        ranks = (
            {item: index + 1 for index, item in enumerate(value or [])}
            if isinstance(value, list)
            else {}
        )
        choices = self._choices(question)
        shown.rows = [
            MatrixRow(
                value=str(choice["value"]),
                label=self.text(choice.get("text")) or str(choice["value"]),
                field=f"{shown.field}.{choice['value']}",
                options=[
                    Option(str(rank), str(rank), ranks.get(str(choice["value"])) == rank)
                    for rank in range(1, len(choices) + 1)
                ],
            )
            for choice in choices
        ]


class _PrefixedForm:
    """A submitted form seen without the ``q.`` prefix, as ``flow.form_field_values`` reads it."""

    def __init__(self, form: Any):
        self.form = form

    def getlist(self, key: str) -> list[str]:
        return self.form.getlist(FIELD_PREFIX + key)


def translated(reason: Any) -> str:
    """A reason from ``flow`` (a ``logic.Message``) in the active language."""
    translate = getattr(reason, "translate", None)
    return translate(_) if translate is not None else str(reason)


def read_page_form(
    definition: dict, page_name: str, answers: Mapping[str, Any], form: Any
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """The visible questions' answers from a submitted page's form.

    Returns ``(submitted, errors, shown)``: answers in the JSON shapes (unanswered questions
    left out, so ``flow.validate_page`` can demand the required ones), the reason for each
    value that could not be read at all (a letter in a number field), and what to draw back
    into the form when the page is shown again with errors. ``form`` is a QueryDict. Fields of
    questions the respondent does not see are not read at all.
    """
    submitted: dict[str, Any] = {}
    errors: dict[str, str] = {}
    shown: dict[str, Any] = {}
    prefixed = _PrefixedForm(form)
    for question in flow.visible_questions(definition, page_name, answers):
        name = question["name"]
        try:
            raw, other_text = flow.form_field_values(question, prefixed)
            value = flow.coerce_form_value(question, raw, other_text)
        except ValueError as error:
            errors[name] = error.args[0] if error.args else str(error)
            continue
        if value is not None:
            submitted[name] = value
            shown[name] = value
    return submitted, errors, shown
