"""What segment rules can test about customer analytics (registered in AnalyticsConfig.ready):

- ``analytics.rfm_segment``: the RFM segment (champions, loyal, at_risk…: is, is not, is one
  of); ``analytics.rfm_r``, ``analytics.rfm_f``, ``analytics.rfm_m``: the R, F and M scores, 1
  to 5; ``analytics.churn_risk``: the churn risk, 0 to 1 — all from the last scoring run
  (``CustomerScore``; a customer never scored matches none of these, except "is not"). With
  ``orders.*`` and ``loyalty.tier`` they let a campaign target, say, gold members at risk.
- ``analytics.winback_list``: the customer is in the **treated** group of a win-back list
  (``{"field": "analytics.winback_list", "op": "eq", "value": "7"}``, the list's number as
  text). The control group is never selected, so a survey or an offer sent to the segment
  leaves the control alone. A number that is not a win-back list is refused.
- ``analytics.persona``: the customer's persona number from the last run (is, is not, is one
  of), so a survey distribution or a campaign can target a persona. A number that is not one
  of the stored personas is refused, so a typo does not select nobody. Persona 1 is always the
  group with the highest mean spend (the numbering follows value, run after run).
"""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from kesheng.analytics.models import (
    CustomerScore,
    Persona,
    RfmSegment,
    WinBackList,
    WinBackMember,
)
from kesheng.customers.segments import (
    NUMBER,
    TEXT,
    Condition,
    SegmentField,
    number_q,
    register_segment_field,
    text_q,
)

WINBACK_FIELD = "analytics.winback_list"
GROUP = _("Customer analytics")


class WinBackListChoices:
    """The win-back lists as segment choices, read when a rule is checked. Always true, so
    with no list every value is refused."""

    def __iter__(self):
        return iter(
            (str(pk), name)
            for pk, name in WinBackList.objects.order_by("pk").values_list("pk", "name")
        )

    def __bool__(self) -> bool:
        return True


class PersonaChoices:
    """The stored personas as segment choices, read when a rule is checked (they change with
    every run). Always true, so with no personas every number is refused."""

    def __iter__(self):
        from kesheng.analytics.queries.personas import persona_name

        return iter(
            (str(persona.number), f"{persona.number}: {persona_name(persona)}")
            for persona in Persona.objects.all()
        )

    def __bool__(self) -> bool:
        return True


def winback_rules(list_pk: int) -> dict:
    """The rules of the segment of a win-back list's treated members."""
    return {"all": [{"field": WINBACK_FIELD, "op": "eq", "value": str(list_pk)}]}


def _treated_q(condition: Condition) -> Q:
    members = WinBackMember.objects.filter(
        win_back_list_id=int(condition.value), customer_id=OuterRef("pk"), is_control=False
    )
    return Q(Exists(members))


def _persona_q(condition: Condition) -> Q:
    values = condition.value if condition.op == "in" else [condition.value]
    numbers = [int(value) for value in values]
    members = CustomerScore.objects.filter(customer_id=OuterRef("pk"), persona__in=numbers)
    if condition.op == "ne":
        return ~Q(Exists(members))
    return Q(Exists(members))


def _score_number(column: str):
    def to_q(condition: Condition) -> Q:
        return number_q(f"score__{column}", condition)

    return to_q


def register_analytics_fields() -> None:
    register_segment_field(
        SegmentField(
            key="analytics.rfm_segment",
            label=_("RFM segment"),
            kind=TEXT,
            ops=("eq", "ne", "in"),
            choices=tuple(RfmSegment.choices),
            to_q=lambda condition: text_q("score__segment", condition),
            group=GROUP,
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
                group=GROUP,
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
            group=GROUP,
            help_text=_("0 to 1, from the last scoring run."),
        )
    )
    register_segment_field(
        SegmentField(
            key=WINBACK_FIELD,
            label=_("in the treated group of win-back list"),
            kind=TEXT,
            ops=("eq",),
            choices=WinBackListChoices(),  # type: ignore[arg-type]
            to_q=_treated_q,
            group=GROUP,
            help_text=_("The win-back list's number; its control group is never included."),
        )
    )
    register_segment_field(
        SegmentField(
            key="analytics.persona",
            label=_("persona"),
            kind=TEXT,
            ops=("eq", "ne", "in"),
            choices=PersonaChoices(),  # type: ignore[arg-type]
            to_q=_persona_q,
            group=GROUP,
            help_text=_(
                "The persona number from the last scoring run (1 = highest mean spend); "
                "see Analytics → Journeys and personas."
            ),
        )
    )
