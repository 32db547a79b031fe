"""What segment rules can test about a customer's scores (registered in AnalyticsConfig.ready),
from the last scoring run (``CustomerScore``; a customer never scored matches none of these,
except "is not"):

- ``analytics.rfm_segment``: the RFM segment (champions, loyal, at_risk…: is, is not, is one of);
- ``analytics.rfm_r``, ``analytics.rfm_f``, ``analytics.rfm_m``: the R, F and M scores, 1 to 5;
- ``analytics.churn_risk``: the churn risk, 0 to 1.

With ``orders.*`` (recency, frequency, spend) and ``loyalty.tier`` they let a campaign target,
say, gold members at risk of leaving.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kesheng.analytics.models import RfmSegment
from kesheng.customers.segments import (
    NUMBER,
    TEXT,
    Condition,
    SegmentField,
    number_q,
    register_segment_field,
    text_q,
)


def _score_number(column: str):
    def to_q(condition: Condition) -> Q:
        return number_q(f"score__{column}", condition)

    return to_q


def register_score_fields() -> None:
    group = _("Scores")
    register_segment_field(
        SegmentField(
            key="analytics.rfm_segment",
            label=_("RFM segment"),
            kind=TEXT,
            ops=("eq", "ne", "in"),
            choices=tuple(RfmSegment.choices),
            to_q=lambda condition: text_q("score__segment", condition),
            group=group,
            help_text=_("From the last scoring run, e.g. champions, at_risk, hibernating."),
        )
    )
    for key, column, label in (
        ("analytics.rfm_r", "r", _("RFM recency score")),
        ("analytics.rfm_f", "f", _("RFM frequency score")),
        ("analytics.rfm_m", "m", _("RFM monetary score")),
    ):
        register_segment_field(
            SegmentField(
                key=key,
                label=label,
                kind=NUMBER,
                minimum=1,
                maximum=5,
                to_q=_score_number(column),
                group=group,
                help_text=_("1 (lowest) to 5 (highest), from the last scoring run."),
            )
        )
    register_segment_field(
        SegmentField(
            key="analytics.churn_risk",
            label=_("churn risk"),
            kind=NUMBER,
            minimum=0,
            maximum=1,
            to_q=_score_number("churn_risk"),
            group=group,
            help_text=_("0 to 1, from the last scoring run."),
        )
    )
