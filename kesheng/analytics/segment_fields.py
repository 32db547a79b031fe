"""What segment rules can test about the analytics (registered in AnalyticsConfig.ready):

- ``analytics.persona``: the customer's persona number from the last run (is, is not, is one
  of), so a survey distribution or a campaign can target a persona. A number that is not one
  of the stored personas is refused, so a typo does not select nobody. Persona 1 is always the
  group with the highest mean spend (the numbering follows value, run after run).
"""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from kesheng.analytics.models import CustomerScore, Persona
from kesheng.customers.segments import TEXT, Condition, SegmentField, register_segment_field


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


def _persona_q(condition: Condition) -> Q:
    values = condition.value if condition.op == "in" else [condition.value]
    numbers = [int(value) for value in values]
    members = CustomerScore.objects.filter(customer_id=OuterRef("pk"), persona__in=numbers)
    if condition.op == "ne":
        return ~Q(Exists(members))
    return Q(Exists(members))


def register_analytics_fields() -> None:
    register_segment_field(
        SegmentField(
            key="analytics.persona",
            label=_("persona"),
            kind=TEXT,
            ops=("eq", "ne", "in"),
            choices=PersonaChoices(),  # type: ignore[arg-type]
            to_q=_persona_q,
            group=_("Customer analytics"),
            help_text=_(
                "The persona number from the last scoring run (1 = highest mean spend); "
                "see Analytics → Journeys and personas."
            ),
        )
    )
