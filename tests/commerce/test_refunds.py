import json
from decimal import Decimal

import pytest
from django.utils import translation

from kesheng.commerce.actions import cancel_order, record_orders, refund_order
from kesheng.commerce.models import Order, OrderRefund
from kesheng.core.errors import Conflict, InvalidInput, NotFound
from kesheng.core.models import DomainEvent


@pytest.fixture
def order(customer):
    record_orders(
        items=[
            {
                "order_id": "O1",
                "customer_id": "C001",
                "ordered_at": "2026-03-01T14:30:00+08:00",
                "amount": "200.00",
                "channel": "web",
            }
        ]
    )
    return Order.objects.get(order_id="O1")


def events(name: str) -> list[dict]:
    return [event.payload for event in DomainEvent.objects.filter(name=name).order_by("pk")]


def status() -> str:
    return Order.objects.get(order_id="O1").status


def test_cancelling_an_order_sets_its_status_and_emits_once(order):
    first = cancel_order(order_id="O1", reason="customer changed mind")
    again = cancel_order(order_id="O1")
    assert (first.status, first.changed, again.changed) == ("cancelled", True, False)
    assert status() == "cancelled"
    assert events("order.cancelled") == [
        {"order_id": "O1", "customer_id": "C001", "reason": "customer changed mind"}
    ]


def test_cancelling_an_unknown_order_is_not_found(db):
    with pytest.raises(NotFound):
        cancel_order(order_id="nope")


def test_a_partly_refunded_order_cannot_be_cancelled(order):
    refund_order(order_id="O1", refund_id="F1", amount=Decimal("50.00"))
    with pytest.raises(Conflict):
        cancel_order(order_id="O1")
    assert status() == "placed"
    assert events("order.cancelled") == []


def test_a_partial_refund_is_recorded_once_per_refund_id(order):
    first = refund_order(order_id="O1", refund_id="F1", amount=Decimal("50.00"))
    again = refund_order(order_id="O1", refund_id="F1", amount=Decimal("50.00"))
    assert (first.changed, first.refunded_total, first.status) == (True, Decimal("50.00"), "placed")
    assert (again.changed, again.refunded_total) == (False, Decimal("50.00"))
    assert OrderRefund.objects.count() == 1
    assert events("order.refunded") == [
        {"order_id": "O1", "customer_id": "C001", "refund_id": "F1", "refunded_amount": "50.00"}
    ]


def test_refunds_that_reach_the_amount_make_the_order_refunded(order):
    refund_order(order_id="O1", refund_id="F1", amount=Decimal("50.00"))
    last = refund_order(order_id="O1", refund_id="F2", amount=Decimal("150.00"))
    assert (last.status, last.refunded_total) == ("refunded", Decimal("200.00"))
    assert status() == "refunded"


def test_a_refund_larger_than_what_remains_is_refused_and_changes_nothing(order):
    refund_order(order_id="O1", refund_id="F1", amount=Decimal("150.00"))
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        refund_order(order_id="O1", refund_id="F2", amount=Decimal("50.01"))
    assert refused.value.errors[0].field == "amount"
    assert "50.00" in refused.value.errors[0].reason
    assert OrderRefund.objects.count() == 1
    assert len(events("order.refunded")) == 1


def test_a_refund_id_reused_with_another_amount_is_a_conflict(order):
    refund_order(order_id="O1", refund_id="F1", amount=Decimal("50.00"))
    with pytest.raises(Conflict):
        refund_order(order_id="O1", refund_id="F1", amount=Decimal("60.00"))
    assert OrderRefund.objects.get().amount == Decimal("50.00")


def test_a_cancelled_order_cannot_be_refunded(order):
    cancel_order(order_id="O1")
    with pytest.raises(Conflict):
        refund_order(order_id="O1", refund_id="F1", amount=Decimal("10.00"))
    assert OrderRefund.objects.count() == 0


@pytest.mark.parametrize(
    ("refund_id", "amount", "field"),
    [
        ("", Decimal("10.00"), "refund_id"),
        ("F" * 101, Decimal("10.00"), "refund_id"),
        ("F1", Decimal("0"), "amount"),
        ("F1", Decimal("-5"), "amount"),
        ("F1", Decimal("1.005"), "amount"),
    ],
)
def test_bad_refunds_name_the_field(order, refund_id, amount, field):
    with pytest.raises(InvalidInput) as refused:
        refund_order(order_id="O1", refund_id=refund_id, amount=amount)
    assert refused.value.errors[0].field == field
    assert OrderRefund.objects.count() == 0


# --- API ----------------------------------------------------------------------------------------


@pytest.fixture
def writer(api_client):
    return api_client("orders:write")


def post(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


def test_api_refund_is_201_then_200_with_the_first_result(writer, order):
    body = {"refund_id": "F1", "amount": "50.00", "reason": "broken cup"}
    created = post(writer, "/api/v1/orders/O1/refunds", body)
    repeated = post(writer, "/api/v1/orders/O1/refunds", body)
    assert created.status_code == 201
    assert created.json() == {
        "order_id": "O1",
        "status": "placed",
        "refunded_total": "50.00",
        "changed": True,
        "refund_id": "F1",
        "amount": "50.00",
    }
    assert repeated.status_code == 200
    assert repeated.json()["changed"] is False
    assert OrderRefund.objects.get().reason == "broken cup"


def test_api_refund_errors_are_4xx_with_the_field(writer, order):
    too_much = post(writer, "/api/v1/orders/O1/refunds", {"refund_id": "F1", "amount": "999"})
    no_id = post(writer, "/api/v1/orders/O1/refunds", {"amount": "5"})
    unknown = post(writer, "/api/v1/orders/nope/refunds", {"refund_id": "F1", "amount": "5"})
    assert too_much.status_code == 422
    assert "amount" in json.dumps(too_much.json())
    assert no_id.status_code == 422
    assert "refund_id" in json.dumps(no_id.json())
    assert unknown.status_code == 404
    assert OrderRefund.objects.count() == 0


def test_api_cancel_then_refund_is_a_conflict(writer, order):
    cancelled = post(writer, "/api/v1/orders/O1/cancel", {"reason": "duplicate"})
    again = post(writer, "/api/v1/orders/O1/cancel")
    refused = post(writer, "/api/v1/orders/O1/refunds", {"refund_id": "F1", "amount": "5"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert again.json()["changed"] is False
    assert refused.status_code == 409


def test_api_cancel_needs_the_orders_write_scope(api_client, order):
    reader = api_client("customers:read")
    assert post(reader, "/api/v1/orders/O1/cancel").status_code == 403
    assert status() == "placed"
