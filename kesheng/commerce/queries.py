"""Reads of stores, products and orders."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
from django.db import connection
from django.db.models import Count, Max, Min, Q, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from kesheng.accounts.models import Role
from kesheng.commerce.models import Order, OrderLine, OrderStatus, Product, Store, StoreAccess
from kesheng.core.parsing import CENT
from kesheng.core.templatetags.kesheng_format import format_money
from kesheng.customers.contributions import TimelineCursor, TimelineEntry, cursor_filter
from kesheng.customers.models import Customer


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


KEPT_STATUSES = (OrderStatus.PLACED, OrderStatus.COMPLETED)


def sum_kept_orders_by_customer(
    *,
    start: datetime,
    end: datetime,
    currency: str,
    customer_pks: list[int] | None = None,
    every_customer: bool = False,
) -> list[tuple[int, Decimal, int]]:
    """(customer pk, spend, order count) of the orders kept (placed or completed, not cancelled
    or refunded) between ``start`` and ``end``, in one grouped query. Spend sums the orders in
    ``currency`` only; the count takes every kept order. Without ``every_customer`` only
    customers with such orders come back; with it every customer does (zeros included).
    """
    if every_customer:
        kept = Q(
            orders__status__in=KEPT_STATUSES,
            orders__ordered_at__gte=start,
            orders__ordered_at__lte=end,
        )
        rows = (
            Customer.objects.order_by()
            .annotate(
                spend=Sum("orders__amount", filter=kept & Q(orders__currency=currency)),
                count=Count("orders", filter=kept),
            )
            .values_list("pk", "spend", "count")
        )
        if customer_pks is not None:
            rows = rows.filter(pk__in=customer_pks)
    else:
        orders = Order.objects.filter(
            status__in=KEPT_STATUSES, ordered_at__gte=start, ordered_at__lte=end
        )
        if customer_pks is not None:
            orders = orders.filter(customer_id__in=customer_pks)
        rows = (
            orders.order_by()
            .values("customer_id")
            .annotate(spend=Sum("amount", filter=Q(currency=currency)), count=Count("pk"))
            .values_list("customer_id", "spend", "count")
        )
    # SQLite sums decimals in floating point: round back to cents.
    return [
        (pk, Decimal(spend or 0).quantize(CENT), count)
        for pk, spend, count in rows.iterator(chunk_size=10_000)
    ]


def kept_order_subqueries(
    customer_pk_ref, *, start: datetime, end: datetime, currency: str
) -> tuple[Subquery, Subquery]:
    """Two correlated subqueries over a customer's kept orders ordered in [``start``,
    ``end``) in ``currency``: their count and their amount (None when there is none), for
    another app's per-customer aggregates (``customer_pk_ref`` is an ``OuterRef`` to the
    customer's primary key), so the sums stay in the database."""
    orders = (
        Order.objects.filter(
            customer_id=customer_pk_ref,
            status__in=KEPT_STATUSES,
            ordered_at__gte=start,
            ordered_at__lt=end,
            currency=currency,
        )
        .order_by()
        .values("customer_id")
    )
    count = Subquery(orders.annotate(count=Count("pk")).values("count")[:1])
    amount = Subquery(orders.annotate(amount=Sum("amount")).values("amount")[:1])
    return count, amount


@dataclass(frozen=True)
class OrderForPoints:
    """What the loyalty ledger needs of one order (``get_order_for_points``)."""

    order_id: str
    customer_pk: int
    customer_id: str
    amount: Decimal
    currency: str
    status: str
    channel: str
    ordered_at: datetime
    category_amounts: dict[str, Decimal]

    @property
    def is_kept(self) -> bool:
        return self.status in KEPT_STATUSES


def get_order_for_points(order_id: str) -> OrderForPoints | None:
    """One order with its lines' amounts by product category (two queries), or None."""
    order = (
        Order.objects.filter(order_id=order_id)
        .select_related("channel", "customer")
        .only(
            "order_id",
            "customer__customer_id",
            "amount",
            "currency",
            "status",
            "channel__code",
            "ordered_at",
        )
        .first()
    )
    if order is None:
        return None
    by_category = (
        order.lines.exclude(product__isnull=True)
        .exclude(product__category="")
        .order_by()
        .values("product__category")
        .annotate(total=Sum("amount"))
        .values_list("product__category", "total")
    )
    return OrderForPoints(
        order_id=order.order_id,
        customer_pk=order.customer_id,
        customer_id=order.customer.customer_id,
        amount=order.amount,
        currency=order.currency,
        status=order.status,
        channel=order.channel.code,
        ordered_at=order.ordered_at,
        # SQLite sums decimals in floating point: round back to cents.
        category_amounts={
            category: Decimal(total or 0).quantize(CENT) for category, total in by_category
        },
    )


def list_orders_for_points(*, currency: str) -> list[OrderForPoints]:
    """Every kept (placed or completed) order in ``currency``, oldest first, with its lines'
    amounts by product category: two queries, for loading points history in bulk."""
    orders = (
        Order.objects.filter(status__in=KEPT_STATUSES, currency=currency)
        .order_by("ordered_at", "pk")
        .values_list(
            "pk",
            "order_id",
            "customer_id",
            "customer__customer_id",
            "amount",
            "status",
            "channel__code",
            "ordered_at",
        )
    )
    by_category: dict[int, dict[str, Decimal]] = {}
    rows = (
        OrderLine.objects.filter(order__status__in=KEPT_STATUSES)
        .exclude(product__isnull=True)
        .exclude(product__category="")
        .order_by()
        .values("order_id", "product__category")
        .annotate(total=Sum("amount"))
        .values_list("order_id", "product__category", "total")
    )
    for order_pk, category, total in rows:
        by_category.setdefault(order_pk, {})[category] = Decimal(total or 0).quantize(CENT)
    return [
        OrderForPoints(
            order_id=order_id,
            customer_pk=customer_pk,
            customer_id=customer_id,
            amount=amount,
            currency=currency,
            status=status,
            channel=channel,
            ordered_at=ordered_at,
            category_amounts=by_category.get(pk, {}),
        )
        for pk, order_id, customer_pk, customer_id, amount, status, channel, ordered_at in orders
    ]


@dataclass(frozen=True)
class OrderArrays:
    """Kept orders as parallel arrays, one element per order (``list_kept_order_arrays``)."""

    customer_pks: np.ndarray
    order_dates: np.ndarray  # datetime64[D], the day in the business time zone
    amounts: np.ndarray  # float64


def list_kept_order_arrays(*, currency: str, end: datetime | None = None) -> OrderArrays:
    """Every kept order (placed or completed) in ``currency`` up to ``end`` as arrays of
    customer pk, order day in the business time zone and amount, in one query streamed in
    chunks: the input of the customer models (RFM, CLV), which work on whole arrays."""
    if connection.vendor == "postgresql":
        return _packed_kept_order_arrays(currency=currency, end=end)
    orders = Order.objects.filter(status__in=KEPT_STATUSES, currency=currency)
    if end is not None:
        orders = orders.filter(ordered_at__lte=end)
    rows = (
        orders.order_by()
        .annotate(day=TruncDate("ordered_at", tzinfo=timezone.get_default_timezone()))
        .values_list("customer_id", "day", "amount")
    )
    customer_pks: list[int] = []
    days: list = []
    amounts: list[float] = []
    for customer_pk, day, amount in rows.iterator(chunk_size=10_000):
        customer_pks.append(customer_pk)
        days.append(day)
        amounts.append(float(amount))
    return OrderArrays(
        customer_pks=np.array(customer_pks, dtype=np.int64),
        order_dates=np.array(days, dtype="datetime64[D]"),
        amounts=np.array(amounts, dtype=np.float64),
    )


# One order as PostgreSQL's binary send functions write it: customer int8, day int4, amount
# float8, big-endian and packed.
_ORDER_RECORD = np.dtype([("customer", ">i8"), ("day", ">i4"), ("amount", ">f8")])
_ORDERS_PER_BLOCK = 250_000  # orders (by id range) packed into one bytea value


def _packed_kept_order_arrays(*, currency: str, end: datetime | None) -> OrderArrays:
    """``list_kept_order_arrays`` on PostgreSQL: the server packs the orders into a few large
    bytea values of fixed-width records, which NumPy decodes whole; no Python object per
    order (10M orders: seconds rather than the better part of a minute; COPY TO STDOUT was
    no faster, as libpq hands its rows over one at a time)."""
    table = connection.ops.quote_name(Order._meta.db_table)
    statuses = ", ".join(["%s"] * len(KEPT_STATUSES))
    conditions = [f"status IN ({statuses})", "currency = %s"]
    params: list = [timezone.get_default_timezone_name(), *KEPT_STATUSES, currency]
    if end is not None:
        conditions.append("ordered_at <= %s")
        params.append(end)
    statement = (
        "SELECT string_agg(int8send(customer_id) "
        "|| int4send(((ordered_at AT TIME ZONE %s)::date - DATE '1970-01-01')::int4) "
        "|| float8send(amount::float8), ''::bytea) "
        f"FROM {table} WHERE {' AND '.join(conditions)} GROUP BY id / {_ORDERS_PER_BLOCK}"
    )
    blocks = []
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        for (block,) in cursor.fetchall():
            blocks.append(np.frombuffer(block, dtype=_ORDER_RECORD))
    rows = np.concatenate(blocks) if blocks else np.zeros(0, dtype=_ORDER_RECORD)
    return OrderArrays(
        customer_pks=rows["customer"].astype(np.int64),
        order_dates=rows["day"].astype(np.int64).astype("datetime64[D]"),
        amounts=rows["amount"].astype(np.float64),
    )


@dataclass(frozen=True)
class OrderReference:
    """Who bought an order and where, for something that names it (a complaint)."""

    order_pk: int
    customer_id: str
    store_code: str | None


def find_order_reference(order_id: str) -> OrderReference | None:
    """The order with this id (exactly as the business numbers it), or None; one query."""
    row = (
        Order.objects.filter(order_id=order_id)
        .values_list("pk", "customer__customer_id", "store__code")
        .first()
    )
    if row is None:
        return None
    return OrderReference(order_pk=row[0], customer_id=row[1], store_code=row[2])


def list_active_stores():
    """The stores a public page may offer, by code."""
    return Store.objects.filter(is_active=True).order_by("code")


def kept_orders_of(customer, *, after: datetime | None = None, until: datetime | None = None):
    """The kept orders (placed or completed) of ``customer`` — a pk, or an ``OuterRef`` to
    use the result as an ``Exists`` subquery — ordered after ``after`` (excluded) and up to
    ``until`` (included), in any currency and at any store."""
    orders = Order.objects.filter(status__in=KEPT_STATUSES, customer_id=customer)
    if after is not None:
        orders = orders.filter(ordered_at__gt=after)
    if until is not None:
        orders = orders.filter(ordered_at__lte=until)
    return orders.order_by()


def customers_of_stores(store_ids: frozenset[int]):
    """The pks of the customers who have ordered at one of ``store_ids`` (any status): the
    customers a store manager may see in customer analytics. A subquery, not a list."""
    return (
        Order.objects.filter(store_id__in=sorted(store_ids))
        .order_by()
        .values("customer_id")
        .distinct()
    )


def list_kept_order_moments(*, start: datetime, end: datetime) -> tuple[list[int], list[datetime]]:
    """When each kept order in [start, end) was placed, any currency: parallel lists of
    customer pks and moments (the purchases of the journey paths)."""
    rows = (
        Order.objects.filter(status__in=KEPT_STATUSES, ordered_at__gte=start, ordered_at__lt=end)
        .order_by()
        .values_list("customer_id", "ordered_at")
    )
    pks: list[int] = []
    moments: list[datetime] = []
    for customer_pk, ordered_at in rows.iterator(chunk_size=10_000):
        pks.append(customer_pk)
        moments.append(ordered_at)
    return pks, moments


def sum_kept_spend_by_customer_and_category(
    *, currency: str, end: datetime | None = None
) -> tuple[list[int], list[str], list[float]]:
    """Spend of kept orders in ``currency`` per customer and product category (lines without
    a product or category under ""), grouped in the database: parallel lists of customer pks,
    categories and amounts (for the personas' category mix)."""
    lines = OrderLine.objects.filter(order__status__in=KEPT_STATUSES, order__currency=currency)
    if end is not None:
        lines = lines.filter(order__ordered_at__lte=end)
    rows = (
        lines.order_by()
        .values_list("order__customer_id", "product__category")
        .annotate(total=Sum("amount"))
    )
    pks: list[int] = []
    categories: list[str] = []
    totals: list[float] = []
    for customer_pk, category, total in rows.iterator(chunk_size=10_000):
        pks.append(customer_pk)
        categories.append(category or "")
        totals.append(float(total or 0))
    return pks, categories, totals


# ------------------------------------------------------------------------------------------
# Baskets for cross-selling: a basket is one kept order, holding the products of its lines.


def _kept_lines():
    return OrderLine.objects.filter(order__status__in=KEPT_STATUSES, product__isnull=False)


def list_kept_basket_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Every (order pk, product pk) of the kept orders' lines with a product, as two arrays."""
    rows = _kept_lines().order_by().values_list("order_id", "product_id")
    orders: list[int] = []
    products: list[int] = []
    for order_pk, product_pk in rows.iterator(chunk_size=10_000):
        orders.append(order_pk)
        products.append(product_pk)
    return np.array(orders, dtype=np.int64), np.array(products, dtype=np.int64)


def count_kept_baskets() -> int:
    """Kept orders with at least one line naming a product."""
    return _kept_lines().order_by().values("order_id").distinct().count()


def list_customer_product_pks(customer_pk: int) -> list[int]:
    """The products the customer has bought in kept orders, by pk ascending."""
    return list(
        _kept_lines()
        .filter(order__customer_id=customer_pk)
        .order_by("product_id")
        .values_list("product_id", flat=True)
        .distinct()
    )


def count_product_pairs(product_pks: list[int]) -> tuple[list[int], list[int], list[int]]:
    """For each product of ``product_pks`` and every other product: in how many kept orders
    both were bought, grouped in the database (a self-join of the order lines; the pair of a
    product with itself gives its own order count). Parallel lists (product, other product,
    orders)."""
    rows = (
        _kept_lines()
        .filter(product_id__in=product_pks, order__lines__product__isnull=False)
        .order_by()
        .values_list("product_id", "order__lines__product_id")
        .annotate(orders=Count("order_id", distinct=True))
    )
    firsts: list[int] = []
    seconds: list[int] = []
    counts: list[int] = []
    for first, second, count in rows.iterator(chunk_size=10_000):
        firsts.append(first)
        seconds.append(second)
        counts.append(count)
    return firsts, seconds, counts


def count_baskets_by_product(product_pks: list[int]) -> tuple[list[int], list[int]]:
    """In how many kept orders each of ``product_pks`` was bought: parallel lists."""
    rows = (
        _kept_lines()
        .filter(product_id__in=product_pks)
        .order_by()
        .values_list("product_id")
        .annotate(orders=Count("order_id", distinct=True))
    )
    pks: list[int] = []
    counts: list[int] = []
    for product_pk, count in rows:
        pks.append(product_pk)
        counts.append(count)
    return pks, counts


def list_products_by_pk(product_pks: list[int]) -> dict[int, Product]:
    return {product.pk: product for product in Product.objects.filter(pk__in=product_pks)}
