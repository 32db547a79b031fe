from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "kesheng.commerce"
    label = "commerce"
    verbose_name = _("Commerce")

    def ready(self) -> None:
        from kesheng.commerce.queries import get_order_summary, list_order_timeline
        from kesheng.customers.contributions import (
            register_profile_section,
            register_timeline_source,
        )

        register_timeline_source("order", list_order_timeline)
        register_profile_section("orders", get_order_summary)
