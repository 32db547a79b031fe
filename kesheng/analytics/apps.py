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
