from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kesheng.commerce.actions import prepare_orders, record_orders, write_orders
from kesheng.commerce.models import Order, OrderLine, Product, Store
from kesheng.core.models import DomainEvent


def order(**overrides):
    item = {
        "order_id": "O1",
        "customer_id": "C001",
        "ordered_at": "2025-03-01T14:30:00+08:00",
        "amount": "128.50",
        "currency": "CNY",
        "store": "SH01",
        "channel": "store",
    }
    item.update(overrides)
    return item


def test_records_an_order_with_decimal_money_and_creates_the_unknown_store(customer):
    result = record_orders(items=[order()])
    assert (result.accepted, result.duplicates, result.rejected) == (1, 0, [])
    assert result.created_references == {"stores": 1}
    stored = Order.objects.get()
    assert stored.amount == Decimal("128.50")
    assert stored.currency == "CNY"
    assert stored.ordered_at == datetime(2025, 3, 1, 6, 30, tzinfo=UTC)
    assert Store.objects.get().code == "SH01"
    assert DomainEvent.objects.filter(name="order.placed").count() == 1


def test_order_lines_are_stored_with_their_products(customer):
    record_orders(
        items=[
            order(
                lines=[
                    {"sku": "TEA-01", "quantity": 2, "unit_price": "39.90", "name": "龙井茶"},
                    {"sku": "CUP-01", "unit_price": "48.70"},
                ]
            )
        ]
    )
    lines = OrderLine.objects.order_by("sku")
    assert [(line.sku, line.quantity, line.amount) for line in lines] == [
        ("CUP-01", 1, Decimal("48.70")),
        ("TEA-01", 2, Decimal("79.80")),
    ]
    assert Product.objects.get(sku="TEA-01").name_zh == "龙井茶"


def test_same_order_twice_is_a_duplicate(customer):
    record_orders(items=[order()])
    again = record_orders(items=[order(amount="999")])
    assert (again.accepted, again.duplicates) == (0, 1)
    assert Order.objects.get().amount == Decimal("128.50")


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"amount": "-1"}, "amount", "-1 is negative"),
        ({"amount": "abc"}, "amount", "'abc' is not an amount"),
        ({"currency": "yuan"}, "currency", "'yuan' is not an ISO 4217 currency code (e.g. CNY)"),
        ({"customer_id": "C999"}, "customer_id", "unknown customer 'C999'"),
        ({"channel": "fax"}, "channel", None),
        ({"order_id": ""}, "order_id", "is required"),
        ({"lines": [{"sku": "X", "quantity": 0, "unit_price": "1"}]}, "lines[0].quantity", None),
    ],
)
def test_bad_order_is_refused_naming_the_field(customer, overrides, field, reason):
    result = record_orders(items=[order(**overrides)])
    assert result.accepted == 0
    assert result.rejected[0].field == field
    if reason:
        assert result.rejected[0].reason == reason
    assert Order.objects.count() == 0
    assert Store.objects.count() == 0


@pytest.mark.parametrize("fast", [False, True])
def test_both_write_paths_store_the_same_values(customer, fast):
    write_orders(prepare_orders([order(amount="1234567.89")]), fast=fast, emit_each=False)
    stored = Order.objects.get()
    assert stored.amount == Decimal("1234567.89")
    assert stored.ordered_at == datetime(2025, 3, 1, 6, 30, tzinfo=UTC)
    assert DomainEvent.objects.filter(name="orders.imported").count() == 1
