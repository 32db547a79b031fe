from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "kesheng.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from kesheng.analytics import actions
        from kesheng.core.events import subscribe

        subscribe("response.completed", actions.count_completed_response)
        subscribe("responses.imported", actions.count_imported_responses)

        from kesheng.analytics.queries.scores import get_score_panel
        from kesheng.customers.contributions import (
            ProfilePanel,
            register_merge_handler,
            register_profile_panel,
        )

        register_merge_handler("analytics.CustomerScore", actions.merge_customer_scores)
        register_profile_panel(
            "scores",
            ProfilePanel(
                title=_("Scores"),
                template_name="analytics/customer_scores_panel.html",
                context=get_score_panel,
                order=30,
            ),
        )

        from kesheng.analytics.segment_fields import register_score_fields

        register_score_fields()
