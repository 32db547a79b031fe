import json
from decimal import Decimal

import pytest

from kesheng.commerce.models import Order, OrderLine, Store

ORDERS = "/api/v1/orders"


def order(**overrides):
    item = {
        "order_id": "O1",
        "customer_id": "C001",
        "ordered_at": "2025-03-01T14:30:00+08:00",
        "amount": "199.00",
        "channel": "web",
    }
    item.update(overrides)
    return item


def post(client, body):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(ORDERS, data=data, content_type="application/json")


@pytest.fixture
def writer(api_client):
    return api_client("orders:write")


def stored() -> list[tuple]:
    return sorted(Order.objects.values_list("order_id", "amount", "currency"))


def test_accepts_one_order_object(writer, customer):
    response = post(writer, order())
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert stored() == [("O1", Decimal("199.00"), "CNY")]


def test_accepts_an_array_and_the_orders_envelope(writer, customer):
    assert post(writer, [order(), order(order_id="O2")]).json()["accepted"] == 2
    assert post(writer, {"orders": [order(order_id="O3")]}).json()["accepted"] == 1
    assert [row[0] for row in stored()] == ["O1", "O2", "O3"]


def test_stores_lines_and_creates_new_stores_and_products(writer, customer):
    response = post(
        writer,
        order(
            store="sh-01",
            channel=None,
            lines=[
                {"sku": "TEA-01", "quantity": 2, "unit_price": "49.50", "name": "龙井"},
                {"sku": "CUP-02", "unit_price": "100.00"},
            ],
        ),
    )
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    stored_order = Order.objects.get()
    assert stored_order.store.code == "sh-01"
    assert stored_order.channel.code == "store"
    assert sorted(OrderLine.objects.values_list("sku", "quantity", "amount")) == [
        ("CUP-02", 1, Decimal("100.00")),
        ("TEA-01", 2, Decimal("99.00")),
    ]


def test_same_orders_twice_count_as_duplicates_and_change_nothing(writer, customer):
    batch = [order(), order(order_id="O2", amount="5")]
    assert post(writer, batch).json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    again = post(writer, batch)
    assert again.status_code == 200
    assert again.json() == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert Order.objects.count() == 2


def test_keeps_valid_orders_and_reports_each_bad_one(writer, customer):
    response = post(
        writer,
        [
            order(),
            order(order_id="O2", customer_id="NOPE"),
            order(order_id="O3", amount="-1"),
            order(order_id="O4", amount="lots"),
            order(order_id="O5", currency="yuan"),
            order(order_id="O6", ordered_at=None),
            order(order_id="O7", lines=[{"sku": "X", "quantity": 0, "unit_price": "1"}]),
            order(order_id="O8", lines="TEA-01"),
            order(order_id="O9", status="lost"),
            order(order_id="O10", coupon="SPRING"),
            [1, 2],
            order(order_id="O12", amount=True),
            order(order_id="O13", amount="1e400"),
            order(order_id="O14"),
        ],
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (2, 0)
    assert [(r["index"], r["id"], r["field"]) for r in body["rejected"]] == [
        (1, "O2", "customer_id"),
        (2, "O3", "amount"),
        (3, "O4", "amount"),
        (4, "O5", "currency"),
        (5, "O6", "ordered_at"),
        (6, "O7", "lines[0].quantity"),
        (7, "O8", "lines"),
        (8, "O9", "status"),
        (9, "O10", "coupon"),
        (10, None, "order"),
        (11, "O12", "amount"),
        (12, "O13", "amount"),
    ]
    assert body["rejected"][0]["reason"] == "unknown customer 'NOPE'"
    assert [row[0] for row in stored()] == ["O1", "O14"]


def test_an_order_with_no_valid_item_is_a_422(writer, customer):
    response = post(writer, order(customer_id="NOPE"))
    assert response.status_code == 422
    assert response.json() == {
        "accepted": 0,
        "duplicates": 0,
        "rejected": [
            {"index": 0, "id": "O1", "field": "customer_id", "reason": "unknown customer 'NOPE'"}
        ],
        "detail": "no order was accepted; see rejected",
    }
    assert Order.objects.count() == 0
    assert Store.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [("{", 400), ("", 400), ("[]", 422), ('"O1"', 422), ('{"orders": 5}', 422)],
)
def test_refuses_a_body_that_is_not_orders_and_writes_nothing(writer, customer, body, status):
    response = post(writer, body)
    assert response.status_code == status
    assert response.json()["detail"]
    assert Order.objects.count() == 0


def test_refuses_an_oversize_batch_with_413(writer, customer):
    response = post(writer, [order(order_id=f"O{n}") for n in range(1001)])
    assert response.status_code == 413
    assert response.json() == {"detail": "a batch holds at most 1000 orders; this one has 1001"}
    assert Order.objects.count() == 0


def test_needs_a_key_with_the_orders_scope(api_client, client, customer):
    response = post(api_client("events:write", "customers:write"), order())
    assert response.status_code == 403
    assert response.json() == {"detail": "this API key needs scope orders:write"}
    anonymous = client.post(ORDERS, data=json.dumps(order()), content_type="application/json")
    assert anonymous.status_code == 401
    assert Order.objects.count() == 0


def test_each_new_order_emits_order_placed(writer, customer):
    from kesheng.core.models import DomainEvent

    post(writer, [order(), order(order_id="O2")])
    post(writer, [order(), order(order_id="O2")])
    placed = DomainEvent.objects.filter(name="order.placed").order_by("pk")
    assert [event.payload["order_id"] for event in placed] == ["O1", "O2"]


def test_a_time_out_of_range_rejects_that_order_only(writer, customer):
    response = post(writer, [order(ordered_at="0001-01-01T00:00:00+08:00"), order(order_id="O2")])
    assert response.status_code == 200
    assert response.json()["rejected"] == [
        {
            "index": 0,
            "id": "O1",
            "field": "ordered_at",
            "reason": "'0001-01-01T00:00:00+08:00' is out of the range of dates this system stores",
        }
    ]
    assert list(Order.objects.values_list("order_id", flat=True)) == ["O2"]


def test_rejects_lines_whose_quantity_or_amount_the_database_cannot_hold(writer, customer):
    response = post(
        writer,
        [
            order(lines=[{"sku": "TEA-01", "quantity": 3_000_000_000, "unit_price": "1"}]),
            order(order_id="O2", lines=[{"sku": "TEA-01", "quantity": 10**30, "unit_price": "1"}]),
            order(
                order_id="O3",
                lines=[{"sku": "TEA-01", "quantity": 2, "unit_price": "999999999999.99"}],
            ),
            order(order_id="O4", lines=[{"sku": "TEA-01", "quantity": 2, "unit_price": "1"}]),
        ],
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (1, 0)
    assert [(r["index"], r["id"], r["field"], r["reason"]) for r in body["rejected"]] == [
        (0, "O1", "lines[0].quantity", "must be a whole number from 1 to 2147483647"),
        (1, "O2", "lines[0].quantity", "must be a whole number from 1 to 2147483647"),
        (2, "O3", "lines[0].unit_price", "999999999999.99 × quantity 2 is too large"),
    ]
    assert [row[0] for row in stored()] == ["O4"]
    assert OrderLine.objects.count() == 1
