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

        from kesheng.analytics.queries.crosssell import get_recommendation_panel
        from kesheng.analytics.segment_fields import register_analytics_fields
        from kesheng.analytics.winback_actions import merge_win_back_members

        register_merge_handler("analytics.WinBackMember", merge_win_back_members)
        register_analytics_fields()
        register_profile_panel(
            "recommendations",
            ProfilePanel(
                title=_("Bought together"),
                template_name="analytics/customer_recommendations_panel.html",
                context=get_recommendation_panel,
                order=35,
            ),
        )
        register_profile_panel(
            "scores",
            ProfilePanel(
                title=_("Scores"),
                template_name="analytics/customer_scores_panel.html",
                context=get_score_panel,
                order=30,
            ),
        )
