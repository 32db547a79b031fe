from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    name = "kesheng.tracking"
    label = "tracking"
    verbose_name = _("Tracking")

    def ready(self) -> None:
        from kesheng.customers.contributions import (
            register_profile_section,
            register_timeline_source,
        )
        from kesheng.tracking.queries import get_event_summary, list_event_timeline

        register_timeline_source("event", list_event_timeline)
        register_profile_section("events", get_event_summary)
