"""How events read on a customer's timeline (the 360 page), in the active language."""

from django.utils.translation import gettext as _

from kesheng.customers.contributions import TimelineDisplay, TimelineEntry
from kesheng.tracking.models import JourneyStage

# A handful of properties is enough to recognise an event; the admin shows the rest.
MAX_PROPERTIES_SHOWN = 4


def present_event_entry(entry: TimelineEntry) -> TimelineDisplay:
    data = entry.data
    stage = data.get("journey_stage")
    properties = data.get("properties") or {}
    if isinstance(properties, dict):
        shown = list(properties.items())[:MAX_PROPERTIES_SHOWN]
        details = tuple(f"{key}: {value}" for key, value in shown)
    else:
        details = (_("properties not shown"),)
    return TimelineDisplay(
        title=data.get("type") or entry.title,
        channel=data.get("channel_name") or entry.channel,
        touchpoint=data.get("touchpoint_name") or entry.touchpoint,
        journey_stage=str(JourneyStage(stage).label) if stage in JourneyStage.values else None,
        details=details,
    )
