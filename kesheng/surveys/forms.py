"""Forms of the staff survey pages: they turn what the editor typed into definition parts and
put the problems ``validate_definition`` finds back on the fields they concern."""

import csv
import io
import json
import re
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kesheng.commerce.models import StaffMember, Store
from kesheng.customers.models import Segment
from kesheng.surveys import editing
from kesheng.surveys.definition import QUESTION_TYPES
from kesheng.surveys.importers.common import MAX_FILE_BYTES as MAX_IMPORT_BYTES
from kesheng.surveys.models import Distribution, DistributionKind, ResponseStatus, Survey
from kesheng.surveys.queries.results import ResponseFilters
from kesheng.tracking.models import Touchpoint

QUESTION_TYPE_LABELS = {
    "single_choice": _("Single choice"),
    "multiple_choice": _("Multiple choice"),
    "dropdown": _("Dropdown"),
    "yes_no": _("Yes / no"),
    "rating": _("Rating"),
    "nps": _("NPS (0–10)"),
    "csat": _("CSAT (1–5)"),
    "ces": _("CES (1–7)"),
    "likert": _("Likert"),
    "matrix": _("Matrix"),
    "ranking": _("Ranking"),
    "numeric": _("Number"),
    "date": _("Date"),
    "short_text": _("Short text"),
    "long_text": _("Long text"),
    "email": _("Email"),
    "phone": _("Phone"),
}

ITEMS_HELP = _("One per line: value|中文|English, for example: store|门店|Store")


def translate_reason(reason: Any) -> str:
    """A reason from the survey core in the user's language (its Messages carry their template)."""
    if isinstance(reason, str):  # str has a ``translate`` method of its own
        return reason
    translate = getattr(reason, "translate", None)
    return translate(gettext) if callable(translate) else str(reason)


def _texts(zh: str, en: str) -> dict | None:
    text = {key: value for key, value in (("zh-hans", zh.strip()), ("en", en.strip())) if value}
    return text or None


def _text_of(obj: Any, language: str) -> str:
    if isinstance(obj, dict):
        return obj.get(language) or ""
    return obj if isinstance(obj, str) and language == "zh-hans" else ""


class NoColonMixin:
    """Labels as the rest of the staff UI writes them: without a trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class NewSurveyForm(NoColonMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    template = forms.ChoiceField(label=_("Start from"), required=False)

    def __init__(self, *args, templates: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", _("A blank survey")), *templates]


class SurveySettingsForm(NoColonMixin, forms.ModelForm):
    class Meta:
        model = Survey
        fields = [
            "title",
            "slug",
            "is_anonymous",
            "allow_resume",
            "one_response_per_browser",
            "closes_at",
            "response_cap",
        ]
        widgets = {
            "closes_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }


class QuestionForm(NoColonMixin, forms.Form):
    """One question. Only the keys its type takes go into the definition."""

    name = forms.RegexField(
        label=_("Name (variable)"),
        regex=r"^[A-Za-z][A-Za-z0-9_]{0,63}$",
        error_messages={
            "invalid": _("Letters, digits and _, starting with a letter, at most 64 characters.")
        },
        help_text=_("The key in the API and the variable name in exports, e.g. nps or q3."),
    )
    type = forms.ChoiceField(label=_("Type"), choices=list(QUESTION_TYPE_LABELS.items()))
    page = forms.ChoiceField(label=_("Page"))
    title_zh = forms.CharField(label=_("Question (中文)"), max_length=1000)
    title_en = forms.CharField(label=_("Question (English)"), max_length=1000, required=False)
    description_zh = forms.CharField(
        label=_("Description (中文)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    description_en = forms.CharField(
        label=_("Description (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=ITEMS_HELP,
    )
    has_other = forms.BooleanField(label=_("Offer “Other, please specify”"), required=False)
    randomize = forms.BooleanField(label=_("Shuffle the choices"), required=False)
    rows = forms.CharField(
        label=_("Matrix rows"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=ITEMS_HELP,
    )
    columns = forms.CharField(
        label=_("Matrix columns"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Instead of 5 or 7 points: one column per line, first to last, as "
            "value|中文|English (at least two). The answer is the column's position; the value "
            "is its code in exports. Leave empty to use points."
        ),
    )
    scale_min = forms.IntegerField(label=_("Scale from"), required=False)
    scale_max = forms.IntegerField(label=_("Scale to"), required=False)
    scale_points = forms.TypedChoiceField(
        label=_("Points (Likert, matrix)"),
        choices=[("", "—"), ("5", "5"), ("7", "7")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    scale_style = forms.ChoiceField(
        label=_("Show a rating as"),
        choices=[("", "—"), ("numbers", _("numbers")), ("stars", _("stars"))],
        required=False,
    )
    min_label_zh = forms.CharField(label=_("Low end label (中文)"), required=False)
    min_label_en = forms.CharField(label=_("Low end label (English)"), required=False)
    max_label_zh = forms.CharField(label=_("High end label (中文)"), required=False)
    max_label_en = forms.CharField(label=_("High end label (English)"), required=False)
    validation_min = forms.CharField(
        label=_("Minimum"), required=False, help_text=_("A number, or a date as YYYY-MM-DD.")
    )
    validation_max = forms.CharField(label=_("Maximum"), required=False)
    validation_integer = forms.BooleanField(label=_("Whole numbers only"), required=False)
    validation_min_choices = forms.IntegerField(
        label=_("At least this many choices"), required=False
    )
    validation_max_choices = forms.IntegerField(
        label=_("At most this many choices"), required=False
    )
    validation_min_length = forms.IntegerField(
        label=_("At least this many characters"), required=False
    )
    validation_max_length = forms.IntegerField(
        label=_("At most this many characters"), required=False
    )
    validation_regex = forms.CharField(label=_("Pattern (regular expression)"), required=False)
    visible_if = forms.CharField(
        label=_("Show only if"),
        required=False,
        help_text=_("A condition, e.g. {nps} <= 6 (docs/surveys.md, the condition language)."),
    )

    def __init__(self, *args, page_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["page"].choices = [(name, name) for name in page_names]

    @classmethod
    def initial_from(cls, question: dict, page_name: str) -> dict:
        scale = question.get("scale") or {}
        validation = question.get("validation") or {}
        initial = {
            "name": question.get("name", ""),
            "type": question.get("type", ""),
            "page": page_name,
            "title_zh": _text_of(question.get("title"), "zh-hans"),
            "title_en": _text_of(question.get("title"), "en"),
            "description_zh": _text_of(question.get("description"), "zh-hans"),
            "description_en": _text_of(question.get("description"), "en"),
            "required": bool(question.get("required")),
            "choices": editing.format_items(question.get("choices")),
            "has_other": bool(question.get("has_other")),
            "randomize": bool(question.get("randomize")),
            "rows": editing.format_items(question.get("rows")),
            "columns": editing.format_items(question.get("columns")),
            "scale_min": scale.get("min"),
            "scale_max": scale.get("max"),
            "scale_points": scale.get("points"),
            "scale_style": scale.get("style", ""),
            "min_label_zh": _text_of(scale.get("min_label"), "zh-hans"),
            "min_label_en": _text_of(scale.get("min_label"), "en"),
            "max_label_zh": _text_of(scale.get("max_label"), "zh-hans"),
            "max_label_en": _text_of(scale.get("max_label"), "en"),
            "visible_if": question.get("visible_if") or "",
        }
        for key, value in validation.items():
            initial[f"validation_{key}"] = value
        return initial

    def clean(self):
        cleaned = super().clean()
        self.item_lines: dict[str, list[int]] = {}
        for field in ("choices", "rows", "columns"):
            text = cleaned.get(field) or ""
            items, problems = editing.parse_items(text)
            for problem in problems:
                self.add_error(field, translate_reason(problem))
            cleaned[f"{field}_items"] = items
            self.item_lines[field] = [
                number for number, line in enumerate(text.splitlines(), start=1) if line.strip()
            ]
        return cleaned

    def problem_text(self, rest: str, reason: Any) -> str:
        """The reason shown on a field, naming the line of the choice, row or column it is
        about (``columns[2].value`` -> "line 3: 'x' appears twice")."""
        reason_text = translate_reason(reason)
        match = re.match(r"\.?(choices|rows|columns)\[(\d+)\]", rest)
        lines = getattr(self, "item_lines", {}).get(match.group(1), []) if match else []
        if match and int(match.group(2)) < len(lines):
            return gettext("line %(number)s: %(reason)s") % {
                "number": lines[int(match.group(2))],
                "reason": reason_text,
            }
        return reason_text

    def question(self) -> dict:
        """The question as the definition holds it (call after is_valid)."""
        data = self.cleaned_data
        question_type = QUESTION_TYPES[data["type"]]
        question: dict[str, Any] = {
            "name": data["name"],
            "type": data["type"],
            "title": _texts(data["title_zh"], data["title_en"]),
        }
        description = _texts(data["description_zh"], data["description_en"])
        if description:
            question["description"] = description
        if data["required"]:
            question["required"] = True
        if data["visible_if"].strip():
            question["visible_if"] = data["visible_if"].strip()
        keys = question_type.keys
        if "choices" in keys and data["choices_items"]:
            question["choices"] = data["choices_items"]
        if "rows" in keys:
            question["rows"] = data["rows_items"]
        if "columns" in keys and data["columns_items"]:
            question["columns"] = data["columns_items"]
        if "has_other" in keys and data["has_other"]:
            question["has_other"] = True
        if "randomize" in keys and data["randomize"]:
            question["randomize"] = True
        if "scale" in keys:
            scale = self._scale(data)
            if scale:
                question["scale"] = scale
        validation = self._validation(data, question_type.validation_keys)
        if validation:
            question["validation"] = validation
        return question

    @staticmethod
    def _scale(data: dict) -> dict:
        scale: dict[str, Any] = {}
        if data["type"] == "rating":
            for key in ("min", "max"):
                if data[f"scale_{key}"] is not None:
                    scale[key] = data[f"scale_{key}"]
            if data["scale_style"]:
                scale["style"] = data["scale_style"]
        elif data["scale_points"]:
            scale["points"] = data["scale_points"]
        for end in ("min_label", "max_label"):
            text = _texts(data[f"{end}_zh"], data[f"{end}_en"])
            if text:
                scale[end] = text
        return scale

    @staticmethod
    def _validation(data: dict, allowed: frozenset[str]) -> dict:
        validation: dict[str, Any] = {}
        for key in allowed:
            value = data.get(f"validation_{key}")
            if value in (None, "", False):
                continue
            if key in ("min", "max") and data["type"] == "numeric":
                try:
                    number = float(value)
                except ValueError:
                    validation[key] = value  # the definition check names the problem
                else:
                    validation[key] = int(number) if number.is_integer() else number
            else:
                validation[key] = value
        return validation


# Where a problem of the question at ``pages[i].questions[j]`` is shown in QuestionForm.
QUESTION_PROBLEM_FIELDS = {
    "name": "name",
    "type": "type",
    "title": "title_zh",
    "description": "description_zh",
    "required": "required",
    "visible_if": "visible_if",
    "choices": "choices",
    "rows": "rows",
    "columns": "columns",
    "has_other": "has_other",
    "randomize": "randomize",
    "scale.min": "scale_min",
    "scale.max": "scale_max",
    "scale.points": "scale_points",
    "scale.style": "scale_style",
    "scale.min_label": "min_label_zh",
    "scale.max_label": "max_label_zh",
    "scale": "scale_points",
}


def question_problem_field(rest: str, question_type: str) -> str | None:
    """The form field for a problem at ``<question path>.<rest>``, or None (the whole form)."""
    rest = rest.lstrip(".")
    if rest.startswith("validation."):
        key = re.split(r"[.\[]", rest[len("validation.") :])[0]
        return f"validation_{key}" if f"validation_{key}" in QuestionForm.base_fields else None
    if rest == "scale" and question_type == "rating":
        return "scale_min"
    for prefix, field in QUESTION_PROBLEM_FIELDS.items():
        if rest == prefix or rest.startswith(prefix + ".") or rest.startswith(prefix + "["):
            return field
    return None


class PageForm(NoColonMixin, forms.Form):
    name = forms.RegexField(
        label=_("Name"),
        regex=r"^[A-Za-z][A-Za-z0-9_]{0,63}$",
        error_messages={
            "invalid": _("Letters, digits and _, starting with a letter, at most 64 characters.")
        },
    )
    title_zh = forms.CharField(label=_("Page title (中文)"), required=False)
    title_en = forms.CharField(label=_("Page title (English)"), required=False)
    visible_if = forms.CharField(label=_("Show only if"), required=False)
    skip = forms.CharField(
        label=_("Skip rules"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line: condition | page to go to (or end), e.g. {nps} >= 9 | p3. Read in "
            "order after the page is answered; the first that holds jumps forward."
        ),
    )

    @classmethod
    def initial_from(cls, page: dict) -> dict:
        return {
            "name": page.get("name", ""),
            "title_zh": _text_of(page.get("title"), "zh-hans"),
            "title_en": _text_of(page.get("title"), "en"),
            "visible_if": page.get("visible_if") or "",
            "skip": editing.format_skip_rules(page.get("skip")),
        }

    def clean(self):
        cleaned = super().clean()
        rules, problems = editing.parse_skip_rules(cleaned.get("skip") or "")
        for problem in problems:
            self.add_error("skip", translate_reason(problem))
        cleaned["skip_rules"] = rules
        return cleaned

    def page_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "title": _texts(data["title_zh"], data["title_en"]),
            "visible_if": data["visible_if"].strip() or None,
            "skip": data["skip_rules"],
        }


PAGE_PROBLEM_FIELDS = {
    "name": "name",
    "title": "title_zh",
    "visible_if": "visible_if",
    "skip": "skip",
}


class DefinitionJsonForm(NoColonMixin, forms.Form):
    definition = forms.CharField(
        label=_("Definition (JSON)"),
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false"}),
    )

    def clean_definition(self):
        text = self.cleaned_data["definition"]
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("Not valid JSON: line %(line)s, column %(column)s: %(reason)s"),
                params={"line": error.lineno, "column": error.colno, "reason": error.msg},
            ) from error
        if not isinstance(value, dict):
            raise forms.ValidationError(_("A definition is a JSON object ({...})."))
        return value


class ResultsFilterForm(NoColonMixin, forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    distribution = forms.ModelChoiceField(
        label=_("Distribution"),
        queryset=Distribution.objects.none(),
        required=False,
        empty_label=_("All distributions"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *ResponseStatus.choices],
    )

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["distribution"].queryset = Distribution.objects.filter(survey=survey)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", gettext("must be on or after the start date"))
        return cleaned

    def filters(self) -> ResponseFilters:
        """The filters asked for; a bad filter is left out (the form shows why)."""
        if not self.is_bound:
            return ResponseFilters()
        self.is_valid()
        data = self.cleaned_data
        distribution = data.get("distribution")
        return ResponseFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            distribution_id=distribution.pk if distribution else None,
            status=data.get("status") or "",
        )


# --- importing and distributing ------------------------------------------------------------------


class SurveyImportForm(NoColonMixin, forms.Form):
    """A SurveyJS JSON or LimeSurvey .lss file; its size is checked before it is read."""

    file = forms.FileField(
        label=_("Survey file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.lss,.xml"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set here, not on the field, so the text is translated in the language of the request.
        self.fields["file"].help_text = gettext(
            "A SurveyJS survey (.json) or a LimeSurvey survey structure file (.lss, LimeSurvey "
            "3 to 6), at most %(megabytes)s MB."
        ) % {"megabytes": MAX_IMPORT_BYTES // (1024 * 1024)}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(megabytes)s MB; a survey file is far smaller."),
                params={"megabytes": MAX_IMPORT_BYTES // (1024 * 1024)},
            )
        return upload


class SimpleDistributionForm(NoColonMixin, forms.Form):
    """An anonymous link or a website widget: only a name to tell it apart."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (DistributionKind.LINK, _("Anonymous link")),
            (DistributionKind.WIDGET, _("Website widget")),
        ],
        widget=forms.HiddenInput,
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("For you, e.g. “WeChat article, May”. Optional."),
    )


class QrCodesForm(NoColonMixin, forms.Form):
    stores = forms.ModelMultipleChoiceField(
        label=_("Stores"),
        queryset=Store.objects.filter(is_active=True).order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One QR code per store; each response through it carries the store."),
    )
    staff = forms.ModelMultipleChoiceField(
        label=_("Staff members"),
        queryset=StaffMember.objects.filter(is_active=True)
        .select_related("store")
        .order_by("store__code", "code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "One QR code per staff member, e.g. at their till; each response through it "
            "carries the staff member and their store."
        ),
    )
    touchpoint = forms.ModelChoiceField(
        label=_("Touchpoint"),
        queryset=Touchpoint.objects.order_by("sort_order", "code"),
        required=False,
        empty_label=_("None"),
        help_text=_("Optional: responses through the codes carry this touchpoint too."),
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("stores") and not cleaned.get("staff") and not cleaned.get("touchpoint"):
            raise forms.ValidationError(
                _("Choose at least one store, staff member or a touchpoint.")
            )
        return cleaned


class AudienceForm(NoColonMixin, forms.Form):
    """Which customers to invite: a segment, or the filters of the customer list."""

    kind = forms.ChoiceField(
        label=_("Send by"),
        choices=[(DistributionKind.EMAIL, _("Email")), (DistributionKind.SMS, _("SMS"))],
        initial=DistributionKind.EMAIL,
    )
    segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.order_by("name"),
        required=False,
        empty_label=_("None: use the city and tag below"),
        help_text=_("Its members at the moment of sending (customers → segments)."),
    )
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    tag = forms.CharField(label=_("Tag"), max_length=100, required=False)

    def clean(self):
        cleaned = super().clean()
        for name in ("city", "tag"):
            if "\x00" in cleaned.get(name, ""):
                self.add_error(name, _("Contains a character that is not allowed."))
        if cleaned.get("segment") is not None or self.has_other_audience(cleaned):
            return cleaned
        if not (cleaned.get("city") or "").strip() and not (cleaned.get("tag") or "").strip():
            raise forms.ValidationError(self.missing_audience_message)
        return cleaned

    # What a form that can name its customers in another way (a list) says and checks.
    missing_audience_message = _("Choose a segment, or give a city, a tag or both.")

    def has_other_audience(self, cleaned: dict) -> bool:
        return False

    def segment_id(self) -> int | None:
        segment = self.cleaned_data.get("segment")
        return None if segment is None else segment.pk


class InvitationForm(AudienceForm):
    """The audience plus how the invitations behave (docs/surveys.md, Options)."""

    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    expires_days = forms.IntegerField(
        label=_("Links expire after (days)"), min_value=1, max_value=365, initial=30
    )
    reminder_after_days = forms.IntegerField(
        label=_("Remind non-respondents after (days)"), min_value=1, max_value=90, initial=3
    )
    max_reminders = forms.IntegerField(
        label=_("At most this many reminders"),
        min_value=0,
        max_value=10,
        initial=0,
        help_text=_("0: no reminders."),
    )

    def options(self) -> dict:
        data = self.cleaned_data
        options = {"expires_days": data["expires_days"]}
        if data["max_reminders"]:
            options["max_reminders"] = data["max_reminders"]
            options["reminder_after_days"] = data["reminder_after_days"]
        return options


MAX_CUSTOMER_LIST_BYTES = 5 * 1024 * 1024


def read_customer_id_list(text: str, *, is_file: bool) -> list[tuple[int, str]]:
    """(line number, customer id) for each id of a pasted or uploaded list: a CSV whose header
    has a ``customer_id`` column (its other columns ignored), or one id per line (pasted text
    may also separate them with commas). Blank lines are skipped. Raises ValidationError for a
    file with several columns and none named ``customer_id``, or a row without an id."""
    if "\x00" in text:
        raise forms.ValidationError(_("Contains a character that is not allowed."))
    text = text.removeprefix("\ufeff")
    lines = re.split(r"\r\n|\r|\n", text)  # as the csv module counts lines
    first = next((line for line in lines if line.strip()), "")
    header = [cell.strip().lower() for cell in next(csv.reader([first]), [])]
    if "customer_id" in header:
        column = header.index("customer_id")
        reader = csv.reader(io.StringIO(text))
        listed, seen_header = [], False
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if not seen_header:
                seen_header = True
                continue
            value = record[column].strip() if column < len(record) else ""
            if not value:
                raise forms.ValidationError(
                    _("Line %(line)s has no customer_id.") % {"line": reader.line_num}
                )
            listed.append((reader.line_num, value))
        return listed
    if is_file and len(header) > 1:
        raise forms.ValidationError(
            _("The file has several columns but none is named customer_id.")
        )
    # A pasted line may hold several ids separated by commas; a file's line is one id.
    return [
        (number, part.strip())
        for number, line in enumerate(lines, start=1)
        for part in (line.split(",") if not is_file else [line])
        if part.strip()
    ]


def _decode_upload(upload) -> str:
    if upload.size > MAX_CUSTOMER_LIST_BYTES:
        raise forms.ValidationError(
            _("The file is larger than %(size)s MB.") % {"size": MAX_CUSTOMER_LIST_BYTES // 2**20}
        )
    data = upload.read()
    for encoding in ("utf-8-sig", "gb18030"):  # what Excel saves on a Chinese Windows
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise forms.ValidationError(
        _("The file is not text in UTF-8 or GB18030; save it as CSV UTF-8.")
    )


class PersonalLinksForm(AudienceForm):
    """Personal links to hand out: the audience of the invitation form (a segment, or a city
    and tag) or a list of customer ids, pasted or uploaded, with the line of each id kept so a
    refusal can name it."""

    kind = None  # nothing is sent
    customer_ids = forms.CharField(
        label=_("Or customer ids"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line (or separated by commas)."),
    )
    customer_file = forms.FileField(
        label=_("Or a file of customer ids"),
        required=False,
        help_text=_("A CSV file with a customer_id column, or one id per line."),
    )
    skip_unknown = forms.BooleanField(
        label=_("Leave out ids that are not found instead of refusing the list"), required=False
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    expires_days = forms.IntegerField(
        label=_("Links expire after (days)"), min_value=1, max_value=365, initial=30
    )

    missing_audience_message = _("Choose a segment, give a city or a tag, or list customer ids.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        segment = self.fields["segment"]
        segment.empty_label = _("None: use the city and tag or the list below")
        segment.help_text = _("Its members when the links are made (customers → segments).")

    def clean_customer_ids(self) -> list[tuple[int, str]]:
        return read_customer_id_list(self.cleaned_data.get("customer_ids") or "", is_file=False)

    def clean_customer_file(self) -> list[tuple[int, str]]:
        upload = self.cleaned_data.get("customer_file")
        if not upload:
            return []
        listed = read_customer_id_list(_decode_upload(upload), is_file=True)
        if not listed:
            raise forms.ValidationError(_("The file holds no customer id."))
        return listed

    def has_other_audience(self, cleaned: dict) -> bool:
        # A list that was refused is still the audience meant: its own error says what is wrong.
        refused = "customer_ids" in self.errors or "customer_file" in self.errors
        return refused or bool(cleaned.get("customer_ids") or cleaned.get("customer_file"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("customer_ids") and cleaned.get("customer_file"):
            raise forms.ValidationError(_("Paste the ids or upload a file, not both."))
        has_filter = (cleaned.get("city") or "").strip() or (cleaned.get("tag") or "").strip()
        if self.has_other_audience(cleaned) and (cleaned.get("segment") or has_filter):
            raise forms.ValidationError(
                _("Give a segment, a city or tag, or a list of customer ids: only one of them.")
            )
        return cleaned

    def listed(self) -> list[tuple[int, str]] | None:
        """(line, customer id) of the pasted or uploaded list; None when there is none."""
        data = self.cleaned_data
        return data.get("customer_ids") or data.get("customer_file") or None

    def list_field(self) -> str:
        return "customer_file" if self.cleaned_data.get("customer_file") else "customer_ids"
