from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "kesheng.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from kesheng.customers.contributions import (
            register_timeline_presenter,
            register_timeline_source,
        )
        from kesheng.surveys.presenters import present_response_entry
        from kesheng.surveys.queries.responses import list_response_timeline

        # Completed responses on the customer's timeline and 360 page.
        register_timeline_source("response", list_response_timeline)
        register_timeline_presenter("response", present_response_entry)

        # Distribution: invite after an order, follow sent messages, thank with a coupon.
        from kesheng.core.events import subscribe
        from kesheng.surveys.actions import distribution

        subscribe("order.placed", distribution.invite_after_order)
        subscribe("response.completed", distribution.send_incentive)
        for message_event in ("message.sent", "message.delivered", "message.failed"):
            subscribe(message_event, distribution.record_message_outcome)

        # Segment rules on NPS answers and responses; a scheduled send keeps its segment.
        from kesheng.surveys.segment_fields import register_survey_fields

        register_survey_fields()
