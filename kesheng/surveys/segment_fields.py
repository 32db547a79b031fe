"""What segment rules can test about survey answers (registered in SurveysConfig.ready), and
the check that stops a segment from being deleted while a scheduled distribution sends to it.

- ``surveys.nps_group``: the group of the customer's latest NPS answer (promoter 9-10, passive
  7-8, detractor 0-6), among answers completed in the last ``days`` when given;
- ``surveys.responded``: completed a response to the survey with this link name.
"""

from django.db.models import Exists, F, OuterRef, Q, Window
from django.db.models.functions import FirstValue, RowNumber
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kesheng.customers.segments import (
    TEXT,
    Condition,
    SegmentField,
    register_segment_field,
    register_segment_usage_check,
    since,
)
from kesheng.surveys.models import Distribution, Response, ResponseStatus, ResponseValue

NPS_GROUPS = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}


def _nps_questions() -> Q:
    """Response values of NPS questions: (survey, question name) pairs from every version's
    definition (one query over the versions, however many customers there are)."""
    from kesheng.surveys.definition import iter_questions
    from kesheng.surveys.models import SurveyVersion

    pairs = set()
    for survey_id, definition in SurveyVersion.objects.values_list("survey_id", "definition"):
        for _page, question in iter_questions(definition):
            if question.get("type") == "nps" and isinstance(question.get("name"), str):
                pairs.add((survey_id, question["name"]))
    combined = Q(pk__in=[])
    for survey_id, name in sorted(pairs):
        combined |= Q(survey_id=survey_id, question=name)
    return combined


def _nps_group_q(condition: Condition) -> Q:
    """Customers whose latest NPS answer (in the window) is in the groups: one pass over the
    NPS answers numbering each customer's newest first, not one lookup per customer."""
    values = ResponseValue.objects.filter(
        _nps_questions(),
        response__customer_id__isnull=False,
        response__status=ResponseStatus.COMPLETED,
        number__isnull=False,
    )
    start = since(condition)
    if start is not None:
        values = values.filter(
            response__completed_at__gte=start, response__completed_at__lte=condition.now
        )
    # Both numbered over all the customer's answers first; the group is tested afterwards
    # (a filter on a window's result runs after the window, a plain filter before it).
    by_customer = {
        "partition_by": [F("response__customer_id")],
        "order_by": [F("response__completed_at").desc(), F("response_id").desc()],
    }
    newest_first = values.annotate(
        position=Window(RowNumber(), **by_customer),
        latest=Window(FirstValue("number"), **by_customer),
    )
    groups = [condition.value] if condition.op in ("eq", "ne") else condition.value
    in_groups = Q(latest__range=NPS_GROUPS[groups[0]])
    for group in groups[1:]:
        in_groups |= Q(latest__range=NPS_GROUPS[group])
    latest = newest_first.filter(in_groups, position=1).values("response__customer_id")
    selected = Q(pk__in=latest)
    # "ne" includes customers never asked (they are in no group).
    return ~selected if condition.op == "ne" else selected


def _responded_q(condition: Condition) -> Q:
    responses = Response.objects.filter(customer_id=OuterRef("pk"), status=ResponseStatus.COMPLETED)
    start = since(condition)
    if start is not None:
        responses = responses.filter(completed_at__gte=start, completed_at__lte=condition.now)
    slugs = [condition.value] if condition.op == "eq" else condition.value
    return Q(Exists(responses.filter(survey__slug__in=slugs)))


def scheduled_distributions_using(segment_id: int) -> list[str]:
    """Distributions whose schedule sends to the segment, as "survey title: distribution"."""
    return [
        gettext("the scheduled distribution “%(name)s” of the survey “%(survey)s”")
        % {"name": name, "survey": title}
        for name, title in Distribution.objects.filter(options__schedule__segment=segment_id)
        .order_by("pk")
        .values_list("name", "survey__title")
    ]


def register_survey_fields() -> None:
    group = _("Surveys")
    register_segment_field(
        SegmentField(
            key="surveys.nps_group",
            label=_("latest NPS answer"),
            kind=TEXT,
            ops=("eq", "ne", "in"),
            choices=(
                ("promoter", _("promoter (9-10)")),
                ("passive", _("passive (7-8)")),
                ("detractor", _("detractor (0-6)")),
            ),
            takes_days=True,
            to_q=_nps_group_q,
            group=group,
        )
    )
    register_segment_field(
        SegmentField(
            key="surveys.responded",
            label=_("responded to survey (link name)"),
            kind=TEXT,
            ops=("eq", "in"),
            takes_days=True,
            to_q=_responded_q,
            group=group,
        )
    )
    register_segment_usage_check("surveys.scheduled_distributions", scheduled_distributions_using)
