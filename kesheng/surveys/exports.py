"""Export a survey's completed responses to CSV, XLSX (with a codebook) and SPSS ``.sav``.

One row per completed response. The columns ("variables") are the response's facts, then one
or more per question, built from the questions of every version (newest wording first), so a
question dropped in a later version still exports its earlier answers:

- single choice, dropdown: the choice value (numeric when every value is a whole number);
- multiple choice: one 0/1 column per option, ``<name>_<value>``;
- matrix: one column per row, ``<name>_<row>``, holding the column value;
- ranking: one column per choice, ``<name>_<choice>``, holding its rank (1 = first);
- yes/no: 1 or 0; scales and numbers: the number; dates and texts: the text;
- "other, please specify": the question's column holds ``other`` and the text goes to
  ``<name>_other``.

Variable names are valid SPSS names (docs/surveys.md, "Results and exports"): at most 64 bytes,
starting with a letter, letters, digits and ``_`` only, not a reserved word, unique ignoring
case. The same names are used in every format; the codebook maps each to its question.
"""

import csv
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, override

from kesheng.surveys.definition import iter_questions, localized, scale_of
from kesheng.surveys.models import Response, ResponseStatus, Survey, SurveyVersion

FORMATS = ("csv", "xlsx", "sav")
OTHER_VALUE = "other"
MAX_NAME_BYTES = 64
SPSS_RESERVED = {
    "ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH",
}  # fmt: skip

CHOICE_TYPES = {"single_choice", "dropdown"}
SCALE_TYPES = {"rating", "nps", "csat", "ces", "likert"}
TEXT_TYPES = {"short_text", "long_text", "email", "phone", "date"}


def likert_wording(points: int) -> list[str]:
    """The built-in agree/disagree wording of Likert and matrix points (the respondent pages
    show the same words), in the active language."""
    if points == 7:
        return [
            gettext("Strongly disagree"),
            gettext("Disagree"),
            gettext("Somewhat disagree"),
            gettext("Neither agree nor disagree"),
            gettext("Somewhat agree"),
            gettext("Agree"),
            gettext("Strongly agree"),
        ]
    return [
        gettext("Strongly disagree"),
        gettext("Disagree"),
        gettext("Neither agree nor disagree"),
        gettext("Agree"),
        gettext("Strongly agree"),
    ]


def default_end_labels(question_type: str) -> tuple[str, str]:
    """The end labels NPS, CSAT and CES questions show when the definition gives none."""
    if question_type == "nps":
        return gettext("Not at all likely"), gettext("Extremely likely")
    if question_type == "csat":
        return gettext("Very dissatisfied"), gettext("Very satisfied")
    if question_type == "ces":
        return gettext("Very difficult"), gettext("Very easy")
    return "", ""


class ExportError(ValueError):
    """The export cannot be made (an unknown format)."""


# --- reading the definition -------------------------------------------------------------------


def localized_text(text: Any, language: str, default_language: str = "zh-hans") -> str:
    return localized(text, language, default_language)


def iter_definition_questions(definition: Mapping) -> Iterator[dict]:
    for _page, question in iter_questions(definition):
        yield question


def scale_range(question: Mapping) -> tuple[int, int] | None:
    """The (min, max) points of a scale question or matrix, None for other types."""
    return scale_of(question)


def scale_labels(question: Mapping, language: str, default_language: str) -> dict[int, str]:
    """The labelled points of a scale in the active language: a matrix's columns or a Likert's
    choices (one per point, in order), else the agree/disagree wording; a rating's, NPS's, CSAT's
    or CES's end labels."""
    question_type = question.get("type")
    scale = question.get("scale") if isinstance(question.get("scale"), Mapping) else {}
    bounds = scale_of(question)
    if bounds is None:
        return {}
    if question_type in {"likert", "matrix"}:
        labelled = question.get("columns") if question_type == "matrix" else None
        labelled = labelled or (question.get("choices") if question_type == "likert" else None)
        if labelled:
            return {
                number: localized(item.get("text"), language, default_language) or str(number)
                for number, item in enumerate(labelled, start=bounds[0])
            }
        return dict(enumerate(likert_wording(bounds[1]), start=1))
    low_label, high_label = default_end_labels(question_type)
    if scale.get("min_label"):
        low_label = localized(scale["min_label"], language, default_language)
    if scale.get("max_label"):
        high_label = localized(scale["max_label"], language, default_language)
    labels = {}
    if low_label:
        labels[bounds[0]] = low_label
    if high_label:
        labels[bounds[1]] = high_label
    return labels


def _whole_number(text: str) -> int | None:
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else None


# --- variables ---------------------------------------------------------------------------------


@dataclass
class Variable:
    """One export column: its name, label, whether it is numeric, its value labels, the question
    (and item) it comes from, and how to read it from a response's answers."""

    name: str
    label: str
    is_numeric: bool
    read: Callable[[Mapping], Any]
    source: str = ""
    value_labels: dict = field(default_factory=dict)
    measure: str = "nominal"


def _spss_name(wanted: str, taken: set[str]) -> str:
    """A valid SPSS variable name close to ``wanted``, unique (ignoring case) among ``taken``."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", wanted)
    if not name or not name[0].isalpha():
        name = "v" + name
    if name.upper() in SPSS_RESERVED:
        name = "v_" + name
    name = name[:MAX_NAME_BYTES]
    candidate, number = name, 1
    while candidate.upper() in taken:
        number += 1
        suffix = f"_{number}"
        candidate = name[: MAX_NAME_BYTES - len(suffix)] + suffix
    taken.add(candidate.upper())
    return candidate


def _answer(name: str) -> Callable[[Mapping], Any]:
    return lambda answers: answers.get(name)


def _choice_reader(name: str, numeric: bool) -> Callable[[Mapping], Any]:
    def read(answers: Mapping) -> Any:
        value = answers.get(name)
        if isinstance(value, Mapping) and "other" in value:
            return OTHER_VALUE
        if value is None or value == "":
            return None
        return int(value) if numeric else str(value)

    return read


def _other_reader(name: str) -> Callable[[Mapping], Any]:
    def read(answers: Mapping) -> Any:
        value = answers.get(name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, Mapping) and "other" in item:
                return str(item["other"])
        return None

    return read


def _chosen_reader(name: str, choice: str) -> Callable[[Mapping], Any]:
    def read(answers: Mapping) -> Any:
        value = answers.get(name)
        if not isinstance(value, list):
            return None
        return 1 if choice in value else 0

    return read


def _item_reader(name: str, item: str) -> Callable[[Mapping], Any]:
    def read(answers: Mapping) -> Any:
        value = answers.get(name)
        if isinstance(value, Mapping):
            return value.get(item)
        return None

    return read


def _rank_reader(name: str, choice: str) -> Callable[[Mapping], Any]:
    def read(answers: Mapping) -> Any:
        value = answers.get(name)
        if isinstance(value, list) and choice in value:
            return value.index(choice) + 1
        return None

    return read


def _yes_no_reader(name: str) -> Callable[[Mapping], Any]:
    def read(answers: Mapping) -> Any:
        value = answers.get(name)
        return None if value is None else int(bool(value))

    return read


# How many variables _fact_variables makes: they come first, read from the response's facts
# rather than its answers.
FACT_COUNT = 10


def _fact_variables(taken: set[str]) -> list[Variable]:
    facts = [
        ("response_id", gettext("Response id"), True),
        ("completed_at", gettext("Completed at"), False),
        ("customer_id", gettext("Customer id"), False),
        ("channel", gettext("Channel"), False),
        ("touchpoint", gettext("Touchpoint"), False),
        ("store", gettext("Store"), False),
        ("staff", gettext("Staff member"), False),
        ("language", gettext("Language"), False),
        ("device", gettext("Device"), False),
        ("version", gettext("Survey version"), True),
    ]
    variables = []
    for name, label, is_numeric in facts:
        taken.add(name.upper())
        variables.append(
            Variable(
                name=name,
                label=label,
                is_numeric=is_numeric,
                read=(lambda key: lambda facts: facts.get(key))(name),
                measure="scale" if is_numeric else "nominal",
            )
        )
    return variables


def _question_variables(
    question: Mapping, language: str, taken: set[str]
) -> Iterator[tuple[Variable, bool]]:
    """The variables of one question; the flag says whether it reads the answers."""
    name = question["name"]
    question_type = question.get("type")
    title = localized_text(question.get("title"), language, language) or name

    def text_of(item: Mapping) -> str:
        return localized_text(item.get("text"), language, language) or str(item["value"])

    def variable(wanted: str, **fields) -> Variable:
        return Variable(name=_spss_name(wanted, taken), **fields)

    choices = question.get("choices") or []
    if question_type in CHOICE_TYPES:
        numeric = bool(choices) and all(_whole_number(str(c["value"])) is not None for c in choices)
        labels = {(int(c["value"]) if numeric else str(c["value"])): text_of(c) for c in choices}
        if question.get("has_other") and not numeric:
            labels.setdefault(OTHER_VALUE, gettext("Other"))
        yield variable(
            name,
            label=title,
            is_numeric=numeric,
            read=_choice_reader(name, numeric),
            source=name,
            value_labels=labels,
        )
    elif question_type == "multiple_choice":
        for choice in choices:
            value = str(choice["value"])
            yield variable(
                f"{name}_{value}",
                label=f"{title}: {text_of(choice)}",
                is_numeric=True,
                read=_chosen_reader(name, value),
                source=f"{name} = {value}",
                value_labels={1: text_of(choice)},
            )
    elif question_type == "matrix":
        labels = scale_labels(question, language, language)
        for row in question.get("rows") or []:
            value = str(row["value"])
            yield variable(
                f"{name}_{value}",
                label=f"{title}: {text_of(row)}",
                is_numeric=True,
                read=_item_reader(name, value),
                source=f"{name}.{value}",
                value_labels=labels,
                measure="ordinal",
            )
    elif question_type == "ranking":
        for choice in choices:
            value = str(choice["value"])
            yield variable(
                f"{name}_{value}",
                label=f"{title}: {text_of(choice)}",
                is_numeric=True,
                read=_rank_reader(name, value),
                source=f"{name} rank of {value}",
                measure="ordinal",
            )
    elif question_type == "yes_no":
        yield variable(
            name,
            label=title,
            is_numeric=True,
            read=_yes_no_reader(name),
            source=name,
            value_labels={1: gettext("Yes"), 0: gettext("No")},
        )
    elif question_type in SCALE_TYPES:
        yield variable(
            name,
            label=title,
            is_numeric=True,
            read=_answer(name),
            source=name,
            value_labels=scale_labels(question, language, language),
            measure="ordinal" if question_type == "likert" else "scale",
        )
    elif question_type == "numeric":
        yield variable(
            name, label=title, is_numeric=True, read=_answer(name), source=name, measure="scale"
        )
    else:
        yield variable(name, label=title, is_numeric=False, read=_answer(name), source=name)
    if question.get("has_other"):
        yield variable(
            f"{name}_other",
            label=f"{title}: {gettext('other, please specify')}",
            is_numeric=False,
            read=_other_reader(name),
            source=f"{name} other",
        )


def plan_variables(definitions: list[Mapping]) -> list[Variable]:
    """The export's columns for a survey's definitions, newest first (see the module doc)."""
    newest = definitions[0] if definitions else {}
    language = newest.get("default_language") or "zh-hans"
    taken: set[str] = set()
    seen: set[str] = set()
    with override(language):
        variables = _fact_variables(taken)
        for definition in definitions:
            for question in iter_definition_questions(definition):
                if question.get("name") in seen:
                    continue
                seen.add(question["name"])
                variables.extend(_question_variables(question, language, taken))
    return variables


def _definitions(survey: Survey) -> list[Mapping]:
    return list(
        SurveyVersion.objects.filter(survey=survey)
        .order_by("-number")
        .values_list("definition", flat=True)
    )


def export_rows(survey: Survey, variables: list[Variable]) -> Iterator[list[Any]]:
    """One list of values per completed response, oldest first (one query, streamed)."""
    zone = timezone.get_default_timezone()
    rows = (
        Response.objects.filter(survey=survey, status=ResponseStatus.COMPLETED)
        .order_by("completed_at", "id")
        .values_list(
            "id",
            "completed_at",
            "customer__customer_id",
            "channel__code",
            "touchpoint__code",
            "store__code",
            "staff__code",
            "language",
            "device_type",
            "version__number",
            "answers",
        )
    )
    fact_names = {v.name for v in variables[:FACT_COUNT]}
    for (
        response_id,
        completed_at,
        customer_id,
        channel,
        touchpoint,
        store,
        staff,
        language,
        device,
        version,
        answers,
    ) in rows.iterator(chunk_size=2000):
        facts = {
            "response_id": response_id,
            "completed_at": timezone.localtime(completed_at, zone).strftime("%Y-%m-%d %H:%M:%S")
            if completed_at
            else None,
            "customer_id": None if survey.is_anonymous else customer_id,
            "channel": channel,
            "touchpoint": touchpoint,
            "store": store,
            "staff": staff,
            "language": language or None,
            "device": device or None,
            "version": version,
        }
        answers = answers or {}
        yield [
            variable.read(facts) if variable.name in fact_names else variable.read(answers)
            for variable in variables
        ]


def describe_values(variable: Variable) -> str:
    return "; ".join(f"{value} = {label}" for value, label in variable.value_labels.items())


def export_responses(*, survey: Survey, format: str, path: str | Path) -> int:
    """Write the survey's completed responses to ``path`` as ``csv``, ``xlsx`` or ``sav``;
    returns the number of responses written. Raises ExportError for an unknown format."""
    if format not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    variables = plan_variables(_definitions(survey))
    rows = export_rows(survey, variables)
    writer = {"csv": _write_csv, "xlsx": _write_xlsx, "sav": _write_sav}[format]
    return writer(survey, variables, rows, Path(path))


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (list, dict)):
        return str(value)
    return value


def _write_csv(survey, variables, rows, path: Path) -> int:
    count = 0
    # UTF-8 with a byte-order mark: Excel then reads Chinese text correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([variable.name for variable in variables])
        for row in rows:
            writer.writerow(["" if value is None else _cell(value) for value in row])
            count += 1
    return count


def _write_xlsx(survey, variables, rows, path: Path) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    responses = workbook.create_sheet("Responses")
    responses.append([variable.name for variable in variables])
    count = 0
    for row in rows:
        responses.append([_cell(value) for value in row])
        count += 1
    codebook = workbook.create_sheet("Codebook")
    codebook.append(["variable", "label", "type", "values", "question"])
    for variable in variables:
        codebook.append(
            [
                variable.name,
                variable.label,
                "numeric" if variable.is_numeric else "string",
                describe_values(variable),
                variable.source,
            ]
        )
    workbook.save(path)
    return count


def _write_sav(survey, variables, rows, path: Path) -> int:
    import pandas
    import pyreadstat

    columns: dict[str, list] = {variable.name: [] for variable in variables}
    count = 0
    for row in rows:
        for variable, value in zip(variables, row, strict=True):
            if variable.is_numeric:
                columns[variable.name].append(float("nan") if value is None else float(value))
            else:
                columns[variable.name].append("" if value is None else str(_cell(value)))
        count += 1
    frame = pandas.DataFrame(
        {
            variable.name: pandas.Series(
                columns[variable.name], dtype="float64" if variable.is_numeric else "object"
            )
            for variable in variables
        }
    )
    value_labels = {
        variable.name: (
            {float(value): label for value, label in variable.value_labels.items()}
            if variable.is_numeric
            else dict(variable.value_labels)
        )
        for variable in variables
        if variable.value_labels
    }
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label=survey.title[:64],
        column_labels=[variable.label for variable in variables],
        variable_value_labels=value_labels,
        variable_measure={variable.name: variable.measure for variable in variables},
    )
    return count
