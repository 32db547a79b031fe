"""What segment rules can test about customer analytics (registered in AnalyticsConfig.ready):

- ``analytics.winback_list``: the customer is in the **treated** group of a win-back list
  (``{"field": "analytics.winback_list", "op": "eq", "value": "7"}``, the list's number as
  text). The control group is never selected, so a survey or an offer sent to the segment
  leaves the control alone. A number that is not a win-back list is refused.
"""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from kesheng.analytics.models import WinBackList, WinBackMember
from kesheng.customers.segments import TEXT, Condition, SegmentField, register_segment_field

WINBACK_FIELD = "analytics.winback_list"


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


def winback_rules(list_pk: int) -> dict:
    """The rules of the segment of a win-back list's treated members."""
    return {"all": [{"field": WINBACK_FIELD, "op": "eq", "value": str(list_pk)}]}


def _treated_q(condition: Condition) -> Q:
    members = WinBackMember.objects.filter(
        win_back_list_id=int(condition.value), customer_id=OuterRef("pk"), is_control=False
    )
    return Q(Exists(members))


def register_analytics_fields() -> None:
    register_segment_field(
        SegmentField(
            key=WINBACK_FIELD,
            label=_("in the treated group of win-back list"),
            kind=TEXT,
            ops=("eq",),
            choices=WinBackListChoices(),  # type: ignore[arg-type]
            to_q=_treated_q,
            group=_("Analytics"),
            help_text=_("The win-back list's number; its control group is never included."),
        )
    )
