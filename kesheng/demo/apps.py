from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data for a fictional retail chain (``kesheng demo-data``); no models of its own."""

    name = "kesheng.demo"
    label = "demo"
    verbose_name = _("Demo data")
