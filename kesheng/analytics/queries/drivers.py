"""Key drivers and importance-performance of a survey's items, read from the database.

Items are either the rows of a matrix question (the X-VOC surveys' ``satisfaction`` matrix, one
row per sub-process) or a list of single-value rating questions. Each item's answers are
fetched as two arrays (response id, value) — one query per item, never one per answer — and
aligned on the response id with NumPy before the pure functions of
``kesheng.analytics.drivers`` and ``ipa`` do the maths.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from django.db.models import Avg, Count, Q
from django.utils.translation import get_language

from kesheng.analytics.drivers import DriverAnalysis, analyse_drivers
from kesheng.analytics.ipa import IpaResult, analyse_importance_performance
from kesheng.analytics.queries.metrics import MetricFilters, response_condition
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.surveys.exports import iter_definition_questions, localized_text
from kesheng.surveys.models import ResponseValue, Survey
from kesheng.surveys.queries.responses import get_survey

# Single-value questions whose number can be an outcome or an item.
SCORED_TYPES = {"nps", "csat", "ces", "rating", "likert", "numeric"}


class DriverQuestionError(InvalidInput):
    """A question named for a driver analysis does not exist or is of the wrong type."""


@dataclass(frozen=True)
class Item:
    key: str  # "question" or "question.row"
    question: str
    row: str  # the matrix row's value, "" for a single-value question
    label: str


@dataclass(frozen=True)
class DriverCandidates:
    """What a survey offers for a driver analysis: outcomes (single scored questions) and item
    sets (matrix questions, and the list of single scored questions)."""

    outcomes: list[tuple[str, str]]
    matrices: list[tuple[str, str]]


def _questions(survey: Survey) -> dict[str, dict]:
    definition = survey.current_version.definition if survey.current_version else {}
    return {str(q["name"]): q for q in iter_definition_questions(definition or {})}


def _text(survey: Survey, text) -> str:
    definition = survey.current_version.definition if survey.current_version else {}
    default = (definition or {}).get("default_language", "zh-hans")
    return localized_text(text, (get_language() or default).lower(), default)


def list_driver_candidates(survey_id: int) -> DriverCandidates:
    survey = get_survey(survey_id)
    outcomes, matrices = [], []
    for name, question in _questions(survey).items():
        label = _text(survey, question.get("title")) or name
        if question.get("type") in SCORED_TYPES:
            outcomes.append((name, label))
        elif question.get("type") == "matrix":
            matrices.append((name, label))
    return DriverCandidates(outcomes=outcomes, matrices=matrices)


def _refuse(field: str, reason: str) -> DriverQuestionError:
    return DriverQuestionError([FieldError(field, reason)])


def _items(survey: Survey, items: str | Sequence[str], field: str) -> list[Item]:
    """The items a spec names: a matrix question's rows, or single scored questions."""
    questions = _questions(survey)
    names = [items] if isinstance(items, str) else list(items)
    if not names:
        raise _refuse(field, "name a matrix question or at least one rating question")
    if len(names) == 1 and questions.get(names[0], {}).get("type") == "matrix":
        matrix = questions[names[0]]
        return [
            Item(
                key=f"{names[0]}.{row['value']}",
                question=names[0],
                row=str(row["value"]),
                label=_text(survey, row.get("text")) or str(row["value"]),
            )
            for row in matrix.get("rows") or []
        ]
    found = []
    for name in names:
        question = questions.get(name)
        if question is None or question.get("type") not in SCORED_TYPES:
            raise _refuse(field, f"{name!r} is not a rating, scale or numeric question")
        found.append(Item(name, name, "", _text(survey, question.get("title")) or name))
    return found


def _item_answers(survey: Survey, item: Item, condition: Q) -> tuple[np.ndarray, np.ndarray]:
    rows = (
        ResponseValue.objects.filter(
            condition, survey=survey, question=item.question, item=item.row, number__isnull=False
        )
        .order_by()
        .values_list("response_id", "number")
    )
    pairs = np.array(list(rows), dtype=float).reshape(-1, 2)
    return pairs[:, 0].astype(np.int64), pairs[:, 1]


def _aligned(columns: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """A table (one row per response that answered anything, one column per item; NaN where
    unanswered) from each item's (response ids, values)."""
    responses = np.unique(np.concatenate([ids for ids, _values in columns]))
    table = np.full((responses.size, len(columns)), np.nan)
    for column, (ids, values) in enumerate(columns):
        table[np.searchsorted(responses, ids), column] = values
    return table


def compute_drivers(
    *,
    survey_id: int,
    outcome: str,
    items: str | Sequence[str],
    filters: MetricFilters | None = None,
    store_ids: Iterable[int] | None = None,
    method: str = "auto",
) -> tuple[DriverAnalysis, Mapping[str, str]]:
    """Relative importance of each item for the outcome question over the responses the
    filters select; with each item key's label. Raises DriverQuestionError for a question of
    the wrong kind and DriverAnalysisError when the data cannot support a fit."""
    survey = get_survey(survey_id)
    questions = _questions(survey)
    if questions.get(outcome, {}).get("type") not in SCORED_TYPES:
        raise _refuse("outcome", f"{outcome!r} is not a rating, scale or numeric question")
    chosen = _items(survey, items, "items")
    condition = response_condition(filters or MetricFilters(), store_ids)
    outcome_item = Item(outcome, outcome, "", outcome)
    table = _aligned([_item_answers(survey, item, condition) for item in [outcome_item, *chosen]])
    analysis = analyse_drivers(
        table[:, 0], table[:, 1:], [item.key for item in chosen], method=method
    )
    return analysis, {item.key: item.label for item in chosen}


@dataclass(frozen=True)
class IpaReport:
    result: IpaResult
    labels: Mapping[str, str]
    counts: Mapping[str, int]  # answers behind each item's performance mean


def compute_importance_performance(
    *,
    survey_id: int,
    importance: str = "importance",
    performance: str = "satisfaction",
    filters: MetricFilters | None = None,
    store_ids: Iterable[int] | None = None,
) -> IpaReport:
    """Each item's stated importance (mean of the ``importance`` matrix row) and performance
    (mean of the ``performance`` matrix row), placed in the quadrants; one GROUP BY. Items
    nobody rated on both are left out."""
    survey = get_survey(survey_id)
    importance_items = _items(survey, importance, "importance")
    performance_items = _items(survey, performance, "performance")
    if {item.row for item in importance_items} != {item.row for item in performance_items}:
        raise _refuse("performance", "the two matrices must have the same rows")
    condition = response_condition(filters or MetricFilters(), store_ids)
    rows = (
        ResponseValue.objects.filter(
            condition,
            survey=survey,
            question__in=[importance, performance],
            number__isnull=False,
        )
        .order_by()
        .values("question", "item")
        .annotate(mean=Avg("number"), count=Count("id"))
    )
    means = {(row["question"], row["item"]): (row["mean"], row["count"]) for row in rows}
    keys, importances, performances, counts = [], [], [], {}
    labels = {}
    for item in performance_items:
        stated = means.get((importance, item.row))
        rated = means.get((performance, item.row))
        if stated is None or rated is None:
            continue
        keys.append(item.row)
        importances.append(stated[0])
        performances.append(rated[0])
        counts[item.row] = rated[1]
        labels[item.row] = item.label
    if not keys:
        raise _refuse("performance", "no response rated both importance and satisfaction")
    return IpaReport(
        result=analyse_importance_performance(keys, importances, performances),
        labels=labels,
        counts=counts,
    )
