from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    name = "kesheng.tracking"
    label = "tracking"
    verbose_name = _("Tracking")

    def ready(self) -> None:
        from kesheng.customers.contributions import (
            ProfilePanel,
            register_profile_panel,
            register_profile_section,
            register_timeline_presenter,
            register_timeline_source,
        )
        from kesheng.tracking.presenters import present_event_entry
        from kesheng.tracking.queries import (
            get_event_panel,
            get_event_summary,
            list_event_timeline,
        )

        register_timeline_source("event", list_event_timeline)
        register_profile_section("events", get_event_summary)

        from kesheng.core.importing import register_importer
        from kesheng.tracking.importing import EventImporter

        register_importer("events", EventImporter())
        register_timeline_presenter("event", present_event_entry)
        register_profile_panel(
            "events",
            ProfilePanel(
                title=_("Touchpoint activity"),
                template_name="tracking/customer_events_panel.html",
                context=get_event_panel,
                order=20,
            ),
        )

        from kesheng.tracking.segment_fields import register_event_fields

        register_event_fields()
