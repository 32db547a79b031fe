"""Reads of stores, products and orders."""

from decimal import Decimal

from django.db.models import Count, Max, Min, Sum

from kesheng.accounts.models import Role
from kesheng.commerce.models import Order, StoreAccess
from kesheng.core.parsing import CENT
from kesheng.core.templatetags.kesheng_format import format_money
from kesheng.customers.contributions import TimelineCursor, TimelineEntry, cursor_filter


def get_order_summary(customer_pk: int) -> dict:
    """Order count, total spend per currency, first and last order of one customer."""
    orders = Order.objects.filter(customer_id=customer_pk)
    summary = orders.aggregate(
        count=Count("pk"), first_at=Min("ordered_at"), last_at=Max("ordered_at")
    )
    totals = {
        # SQLite sums decimals in floating point: round back to cents.
        currency: str(Decimal(total or 0).quantize(CENT))
        for currency, total in orders.values("currency")
        .annotate(total=Sum("amount"))
        .values_list("currency", "total")
        .order_by("currency")
    }
    return {
        "count": summary["count"],
        "totals": totals,
        "first_at": summary["first_at"],
        "last_at": summary["last_at"],
    }


def list_customer_orders(customer_pk: int, *, limit: int = 100) -> list[Order]:
    return list(
        Order.objects.filter(customer_id=customer_pk)
        .select_related("store", "channel")
        .prefetch_related("lines")
        .order_by("-ordered_at", "-pk")[:limit]
    )


def list_order_timeline(
    customer_pk: int, cursor: TimelineCursor | None, limit: int
) -> list[TimelineEntry]:
    orders = (
        Order.objects.filter(customer_id=customer_pk)
        .filter(cursor_filter(cursor, kind="order", time_field="ordered_at"))
        .select_related("store", "channel")
        .order_by("-ordered_at", "-pk")[:limit]
    )
    return [
        TimelineEntry(
            kind="order",
            id=order.pk,
            occurred_at=order.ordered_at,
            title=order.order_id,
            channel=order.channel.code,
            touchpoint=None,
            data={
                "order_id": order.order_id,
                "amount": str(order.amount),
                "currency": order.currency,
                "status": order.status,
                "store": order.store.code if order.store else None,
                "store_name": order.store.name if order.store else None,
                "channel_name": order.channel.name,
            },
        )
        for order in orders
    ]


def get_order_columns(customer_pks: list[int]) -> dict[int, dict]:
    """Order count and spend for a page of customers in one grouped query (the customer list).

    Spend is summed per currency; a customer who paid in several currencies shows each total.
    """
    rows = (
        Order.objects.filter(customer_id__in=customer_pks)
        .values("customer_id", "currency")
        .annotate(count=Count("pk"), total=Sum("amount"))
        .order_by("customer_id", "currency")
    )
    counts: dict[int, int] = {}
    totals: dict[int, list[str]] = {}
    for row in rows:
        counts[row["customer_id"]] = counts.get(row["customer_id"], 0) + row["count"]
        total = Decimal(row["total"] or 0).quantize(Decimal("0.01"))
        totals.setdefault(row["customer_id"], []).append(format_money(total, row["currency"]))
    return {
        pk: {"order_count": counts.get(pk, 0), "order_total": " · ".join(totals.get(pk, []))}
        for pk in customer_pks
    }


def get_order_panel(customer_pk: int, *, recent: int = 10) -> dict:
    """The orders panel of the customer-360 page: the summary and the latest orders with lines."""
    return {
        "summary": get_order_summary(customer_pk),
        "orders": list_customer_orders(customer_pk, limit=recent),
    }


def visible_store_ids(user) -> frozenset[int] | None:
    """The stores whose numbers ``user`` may see: None for every store (superusers and anyone
    with a role other than store manager), else the stores assigned to them (none assigned:
    an empty set, so a store manager sees nothing until an administrator assigns stores)."""
    if user is None or user.is_superuser:
        return None
    roles = set(user.groups.values_list("name", flat=True))
    if Role.STORE_MANAGER not in roles or roles - {Role.STORE_MANAGER}:
        return None
    return frozenset(StoreAccess.objects.filter(user=user).values_list("store_id", flat=True))
