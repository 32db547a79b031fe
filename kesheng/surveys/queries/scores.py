"""Reads of customers' satisfaction answers for the customer models (churn early warning)."""

from datetime import date, datetime

from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from kesheng.surveys.exports import iter_definition_questions
from kesheng.surveys.models import ResponseStatus, ResponseValue, SurveyVersion


def list_customer_metric_answers(
    metric: str, *, end: datetime | None = None
) -> tuple[list[int], list[date], list[float]]:
    """Every answer of known customers to a question of type ``metric`` ("nps", "csat", "ces")
    in completed responses up to ``end``, as parallel lists of customer pk, day of completion
    in the business time zone and value, in completion order. A question counts with the type
    it had in the version the response answered; one query over the answers."""
    names_by_version: dict[int, list[str]] = {}
    for version_id, definition in SurveyVersion.objects.values_list("pk", "definition"):
        for question in iter_definition_questions(definition or {}):
            if question.get("type") == metric:
                names_by_version.setdefault(version_id, []).append(str(question["name"]))
    if not names_by_version:
        return [], [], []
    asked = Q()
    for version_id, names in sorted(names_by_version.items()):
        asked |= Q(response__version_id=version_id, question__in=names)
    answers = ResponseValue.objects.filter(
        asked,
        item="",
        number__isnull=False,
        response__customer__isnull=False,
        response__status=ResponseStatus.COMPLETED,
        response__completed_at__isnull=False,
    )
    if end is not None:
        answers = answers.filter(response__completed_at__lte=end)
    rows = (
        answers.annotate(
            day=TruncDate("response__completed_at", tzinfo=timezone.get_default_timezone())
        )
        .order_by("response__completed_at", "response_id")
        .values_list("response__customer_id", "day", "number")
    )
    pks: list[int] = []
    days: list[date] = []
    values: list[float] = []
    for customer_pk, day, number in rows.iterator(chunk_size=10_000):
        pks.append(customer_pk)
        days.append(day)
        values.append(float(number))
    return pks, days, values
