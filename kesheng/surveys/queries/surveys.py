"""Reads of surveys as a whole: the list a CX manager (or the ``kesheng survey list`` command)
sees."""

from django.db.models import Count, Q, QuerySet

from kesheng.surveys.models import ResponseStatus, Survey


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
