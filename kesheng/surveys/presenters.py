"""How survey responses read on a customer's timeline (the 360 page), in the active language."""

from django.utils.translation import gettext as _

from kesheng.customers.contributions import TimelineDisplay, TimelineEntry

_SCORE_LABELS = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}


def present_response_entry(entry: TimelineEntry) -> TimelineDisplay:
    data = entry.data
    details = tuple(
        f"{_SCORE_LABELS.get(score.get('type'), name)} {score.get('value')}"
        for name, score in (data.get("scores") or {}).items()
    )
    return TimelineDisplay(
        title=_("Survey response: %(title)s") % {"title": data.get("survey_title") or entry.title},
        channel=data.get("channel_name") or entry.channel,
        touchpoint=data.get("touchpoint_name") or data.get("store_name") or entry.touchpoint,
        details=details,
    )
