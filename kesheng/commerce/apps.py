from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "kesheng.commerce"
    label = "commerce"
    verbose_name = _("Commerce")

    def ready(self) -> None:
        from kesheng.commerce.presenters import present_order_entry
        from kesheng.commerce.queries import (
            get_order_columns,
            get_order_panel,
            get_order_summary,
            list_order_timeline,
        )
        from kesheng.customers.contributions import (
            ListColumn,
            ProfilePanel,
            register_list_columns,
            register_profile_panel,
            register_profile_section,
            register_timeline_presenter,
            register_timeline_source,
        )

        register_timeline_source("order", list_order_timeline)
        register_profile_section("orders", get_order_summary)
        register_timeline_presenter("order", present_order_entry)
        register_list_columns(
            "orders",
            columns=[
                ListColumn("order_count", _("orders"), is_numeric=True),
                ListColumn("order_total", _("spend"), is_numeric=True),
            ],
            values=get_order_columns,
        )
        register_profile_panel(
            "orders",
            ProfilePanel(
                title=_("Orders"),
                template_name="commerce/customer_orders_panel.html",
                context=get_order_panel,
                order=10,
            ),
        )

        from kesheng.commerce.importing import OrderImporter, StaffImporter
        from kesheng.core.importing import register_importer

        register_importer("orders", OrderImporter())
        register_importer("staff", StaffImporter())

        from kesheng.commerce.segment_fields import register_order_fields

        register_order_fields()
