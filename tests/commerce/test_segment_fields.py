"""Segment fields on orders: count and spend (lifetime or last N days), last order, category,
store. Cancelled and refunded orders do not count."""

from datetime import UTC, datetime

import pytest

from kesheng.commerce.actions import record_orders
from kesheng.customers.models import Customer
from kesheng.customers.segments import compile_rules, validate_rules

NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)


def order(order_id, customer_id, ordered_at, amount, *, store="sh-1", status="completed", **extra):
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "ordered_at": ordered_at,
        "amount": amount,
        "store": store,
        "status": status,
        **extra,
    }


@pytest.fixture
def buyers(make_customer):
    for customer_id in ("A", "B", "C", "D"):
        make_customer(customer_id)
    result = record_orders(
        items=[
            # A: two recent orders, 1,500 in all, one with tea
            order(
                "A1",
                "A",
                "2026-06-01T10:00:00+08:00",
                "1000.00",
                lines=[{"sku": "TEA-1", "unit_price": "1000.00", "category": "茶叶"}],
            ),
            order("A2", "A", "2026-05-20T10:00:00+08:00", "500.00", store="bj-1"),
            # B: one old order (lapsed) of 3,000, and a recent refunded one
            order(
                "B1",
                "B",
                "2025-10-01T10:00:00+08:00",
                "3000.00",
                lines=[{"sku": "CUP-1", "unit_price": "3000.00", "category": "茶具"}],
            ),
            order("B2", "B", "2026-06-10T10:00:00+08:00", "80.00", status="refunded"),
            # C: one recent order in another currency
            order("C1", "C", "2026-06-14T10:00:00+08:00", "90.00", currency="USD"),
        ]
    )
    assert result.accepted == 5
    # D never ordered


def members(field, op, value, **extra) -> set[str]:
    rules = validate_rules({"all": [{"field": field, "op": op, "value": value, **extra}]})
    return set(
        Customer.objects.filter(compile_rules(rules, now=NOW)).values_list("customer_id", flat=True)
    )


def test_order_count_lifetime_and_window(buyers):
    assert members("orders.count", "gte", 2) == {"A"}
    assert members("orders.count", "eq", 1) == {"B", "C"}
    assert members("orders.count", "eq", 0) == {"D"}
    assert members("orders.count", "eq", 0, days=90) == {"B", "D"}
    assert members("orders.count", "between", [1, 1], days=90) == {"C"}
    assert members("orders.count", "lt", 1) == {"D"}


def test_total_spent_in_default_currency_without_refunds(buyers):
    assert members("orders.total_spent", "gte", 1500) == {"A", "B"}
    assert members("orders.total_spent", "gt", 1500) == {"B"}
    assert members("orders.total_spent", "gte", 1000, days=90) == {"A"}
    assert members("orders.total_spent", "lte", 0) == {"C", "D"}
    assert members("orders.total_spent", "between", [1499.99, 1500.01]) == {"A"}
    assert members("orders.total_spent", "eq", 3000) == {"B"}


def test_last_order_date_operators(buyers):
    assert members("orders.last_ordered_at", "within_last_days", 30) == {"A", "C"}
    # Lapsed: ordered before, nothing kept in the last 180 days; D never ordered.
    assert members("orders.last_ordered_at", "not_within_last_days", 180) == {"B"}
    assert members("orders.last_ordered_at", "before", "2026-01-01") == {"B"}
    assert members("orders.last_ordered_at", "after", "2026-06-01") == {"C"}


def test_bought_in_category_and_ordered_at_store(buyers):
    assert members("orders.category", "eq", "茶叶") == {"A"}
    assert members("orders.category", "in", ["茶叶", "茶具"]) == {"A", "B"}
    assert members("orders.category", "contains", "茶", days=90) == {"A"}
    assert members("orders.store", "eq", "bj-1") == {"A"}
    assert members("orders.store", "in", ["sh-1"], days=90) == {"A", "C"}


def test_negated_order_conditions_include_customers_without_orders(buyers):
    rules = validate_rules({"not": {"field": "orders.total_spent", "op": "gte", "value": 1000}})
    selected = Customer.objects.filter(compile_rules(rules, now=NOW))
    assert set(selected.values_list("customer_id", flat=True)) == {"C", "D"}
