"""Reads of surveys as a whole: the list a CX manager (or the ``kesheng survey list`` command)
sees."""

from django.db.models import Count, Q, QuerySet

from kesheng.surveys.models import Response, ResponseStatus, Survey


def list_surveys() -> QuerySet[Survey]:
    """Every survey, newest first, with ``completed_count`` (completed responses) and its
    current version loaded: one query."""
    # An aggregate query ignores Meta.ordering, hence the explicit order.
    return (
        Survey.objects.select_related("current_version")
        .annotate(
            completed_count=Count("responses", filter=Q(responses__status=ResponseStatus.COMPLETED))
        )
        .order_by("-created_at", "-id")
    )


def count_responses_answering(survey: Survey, names: list[str]) -> dict[str, int]:
    """name -> how many responses of the survey (any version, completed or in progress) hold
    an answer to the question of that name: one query per name."""
    return {
        name: Response.objects.filter(survey=survey, answers__has_key=name).count()
        for name in names
    }
