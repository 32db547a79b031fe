"""What segment rules can test about loyalty (registered in LoyaltyConfig.ready):

- ``loyalty.tier``: the code of the customer's current tier (is, is not, is one of). A code
  that is not one of the programme's tiers is refused, so a typo does not select nobody.
"""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from kesheng.customers.segments import TEXT, Condition, SegmentField, register_segment_field
from kesheng.loyalty.models import Membership, Tier


class TierChoices:
    """The tier codes as segment choices, read when a rule is checked (tiers come from the
    programme file, not from code). Always true, so with no programme every code is refused."""

    def __iter__(self):
        return iter(
            Tier.objects.filter(is_active=True).order_by("position").values_list("code", "name_en")
        )

    def __bool__(self) -> bool:
        return True


def _tier_q(condition: Condition) -> Q:
    codes = condition.value if condition.op == "in" else [condition.value]
    members = Membership.objects.filter(customer_id=OuterRef("pk"), tier__code__in=codes)
    if condition.op == "ne":
        return ~Q(Exists(members))
    return Q(Exists(members))


def register_loyalty_fields() -> None:
    register_segment_field(
        SegmentField(
            key="loyalty.tier",
            label=_("loyalty tier"),
            kind=TEXT,
            ops=("eq", "ne", "in"),
            choices=TierChoices(),  # type: ignore[arg-type]
            to_q=_tier_q,
            group=_("Loyalty"),
            help_text=_("The tier's code from the programme file, e.g. gold."),
        )
    )
