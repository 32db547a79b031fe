"""The order fields segment rules can test (registered in CommerceConfig.ready).

Cancelled and refunded orders do not count: a segment of "customers who spent 1,000 in the last
90 days" means money the business kept. Sums are in the default currency
(``KESHENG_DEFAULT_CURRENCY``); orders in another currency count for the order count and dates.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, Exists, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from kesheng.commerce.models import Order, OrderLine, OrderStatus
from kesheng.customers.segments import (
    DATE,
    NUMBER,
    TEXT,
    Condition,
    SegmentField,
    number_q,
    register_segment_field,
    since,
    start_of_day,
)

KEPT = Q(status__in=[OrderStatus.PLACED, OrderStatus.COMPLETED])


def _orders(condition: Condition):
    orders = Order.objects.filter(KEPT, customer_id=OuterRef("pk"))
    start = since(condition)
    if start is not None:
        orders = orders.filter(ordered_at__gte=start, ordered_at__lte=condition.now)
    return orders


def _order_count_q(condition: Condition) -> Q:
    count = Subquery(
        _orders(condition).order_by().values("customer_id").annotate(n=Count("pk")).values("n"),
        output_field=IntegerField(),
    )
    return number_q(Coalesce(count, 0), condition)


def _total_spent_q(condition: Condition) -> Q:
    total = Subquery(
        _orders(condition)
        .filter(currency=settings.KESHENG_DEFAULT_CURRENCY)
        .order_by()
        .values("customer_id")
        .annotate(total=Sum("amount"))
        .values("total"),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )
    value = condition.value
    value = (
        tuple(Decimal(str(part)) for part in value)
        if isinstance(value, tuple)
        else Decimal(str(value))
    )
    spent = Coalesce(
        total, Decimal("0"), output_field=DecimalField(max_digits=16, decimal_places=2)
    )
    return number_q(spent, Condition(**{**condition.__dict__, "value": value}))


def _last_order_q(condition: Condition) -> Q:
    """Tests the customer's newest kept order; a customer without orders matches none of the
    operators ("not within the last N days" means ordered before, but not in those days)."""
    ordered = Order.objects.filter(KEPT, customer_id=OuterRef("pk"))
    op, value = condition.op, condition.value
    if op == "after":
        return Q(Exists(ordered.filter(ordered_at__gte=start_of_day(value + timedelta(days=1)))))
    if op == "before":
        return Q(Exists(ordered)) & ~Q(Exists(ordered.filter(ordered_at__gte=start_of_day(value))))
    recent = Q(Exists(ordered.filter(ordered_at__gte=condition.now - timedelta(days=value))))
    if op == "within_last_days":
        return recent
    return Q(Exists(ordered)) & ~recent


def _bought_in_category_q(condition: Condition) -> Q:
    lines = OrderLine.objects.filter(
        Q(order__status__in=[OrderStatus.PLACED, OrderStatus.COMPLETED]),
        order__customer_id=OuterRef("pk"),
    )
    start = since(condition)
    if start is not None:
        lines = lines.filter(order__ordered_at__gte=start, order__ordered_at__lte=condition.now)
    op, value = condition.op, condition.value
    if op == "eq":
        lines = lines.filter(product__category=value)
    elif op == "in":
        lines = lines.filter(product__category__in=value)
    else:
        lines = lines.filter(product__category__icontains=value)
    return Q(Exists(lines))


def _ordered_at_store_q(condition: Condition) -> Q:
    orders = _orders(condition)
    if condition.op == "eq":
        orders = orders.filter(store__code=condition.value)
    else:
        orders = orders.filter(store__code__in=condition.value)
    return Q(Exists(orders))


def register_order_fields() -> None:
    group = _("Orders")
    register_segment_field(
        SegmentField(
            key="orders.count",
            label=_("number of orders"),
            kind=NUMBER,
            minimum=0,
            takes_days=True,
            to_q=_order_count_q,
            group=group,
        )
    )
    register_segment_field(
        SegmentField(
            key="orders.total_spent",
            label=_("total spent"),
            kind=NUMBER,
            minimum=0,
            takes_days=True,
            to_q=_total_spent_q,
            group=group,
            help_text=_("In the default currency; cancelled and refunded orders do not count."),
        )
    )
    register_segment_field(
        SegmentField(
            key="orders.last_ordered_at",
            label=_("last order"),
            kind=DATE,
            to_q=_last_order_q,
            group=group,
            help_text=_("“Not within the last N days”: ordered before, but not in those days."),
        )
    )
    register_segment_field(
        SegmentField(
            key="orders.category",
            label=_("bought in category"),
            kind=TEXT,
            ops=("eq", "in", "contains"),
            takes_days=True,
            to_q=_bought_in_category_q,
            group=group,
        )
    )
    register_segment_field(
        SegmentField(
            key="orders.store",
            label=_("ordered at store (code)"),
            kind=TEXT,
            ops=("eq", "in"),
            takes_days=True,
            to_q=_ordered_at_store_q,
            group=group,
        )
    )
