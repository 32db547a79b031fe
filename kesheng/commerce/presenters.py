"""How orders read on a customer's timeline (the 360 page), in the active language."""

from django.utils.translation import gettext as _

from kesheng.commerce.models import OrderStatus
from kesheng.core.templatetags.kesheng_format import format_money
from kesheng.customers.contributions import TimelineDisplay, TimelineEntry
from kesheng.tracking.models import JourneyStage


def present_order_entry(entry: TimelineEntry) -> TimelineDisplay:
    data = entry.data
    status = data.get("status")
    details = [format_money(data.get("amount"), data.get("currency") or "CNY")]
    if status in OrderStatus.values:
        details.append(str(OrderStatus(status).label))
    return TimelineDisplay(
        title=_("Order %(order_id)s") % {"order_id": data.get("order_id", entry.title)},
        channel=data.get("channel_name") or entry.channel,
        touchpoint=data.get("store_name"),
        journey_stage=str(JourneyStage.PURCHASE.label),
        details=tuple(details),
    )
