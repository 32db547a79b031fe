from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kesheng.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from kesheng.core.importing import register_importer
        from kesheng.customers.importing import CustomerImporter

        register_importer("customers", CustomerImporter())

        from kesheng.customers.segment_fields import register_customer_fields

        register_customer_fields()
