"""JSON API of commerce: POST /orders, one order or a batch, idempotent on order_id."""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from kesheng.accounts.api_auth import ApiKeyAuth
from kesheng.accounts.models import Scope
from kesheng.commerce.actions import (
    MAX_LINES_PER_ORDER,
    cancel_order,
    record_orders,
    refund_order,
)
from kesheng.commerce.models import OrderStatus
from kesheng.core.api import BATCH_RESPONSES, batch_request_body, batch_response, read_batch

router = Router(tags=["orders"])


class OrderLineIn(Schema):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(max_length=64)
    quantity: int = Field(1, ge=1)
    unit_price: Decimal = Field(ge=0, decimal_places=2)
    name: str | None = Field(None, max_length=200, description="names a new product")
    category: str | None = Field(None, max_length=100)


class OrderIn(Schema):
    """One order. Give ``store``, ``channel`` or both (a store alone means channel "store");
    a store code not seen before is created. ``currency`` defaults to the business's currency."""

    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(max_length=100, description="your id; a repeated id is a duplicate")
    customer_id: str = Field(max_length=64, description="an existing customer's customer_id")
    ordered_at: datetime
    amount: Decimal = Field(ge=0, decimal_places=2, examples=["199.00"])
    currency: str | None = Field(None, pattern="^[A-Za-z]{3}$", examples=["CNY"])
    store: str | None = Field(None, max_length=40, examples=["sh-nanjingxilu"])
    channel: str | None = Field(None, max_length=40, examples=["store"])
    status: OrderStatus = OrderStatus.PLACED
    lines: list[OrderLineIn] = Field(default_factory=list, max_length=MAX_LINES_PER_ORDER)


@router.post(
    "/orders",
    auth=ApiKeyAuth(Scope.ORDERS_WRITE),
    response=BATCH_RESPONSES,
    summary="Record one order or a batch",
    description=(
        'One order, a JSON array of orders or {"orders": [...]}; at most '
        f"{settings.KESHENG_API_MAX_BATCH} per request. Valid orders are stored even when "
        "others are rejected; an order_id already stored counts as a duplicate. Scope: "
        "orders:write."
    ),
    openapi_extra=batch_request_body(
        OrderIn, envelope="orders", max_items=settings.KESHENG_API_MAX_BATCH
    ),
)
def post_orders(request: HttpRequest):
    items = read_batch(request, envelope="orders", max_items=settings.KESHENG_API_MAX_BATCH)
    result = record_orders(items=items)
    return batch_response(result, nothing_accepted=_("no order was accepted; see rejected"))


class CancelIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=500)


class RefundIn(Schema):
    model_config = ConfigDict(extra="forbid")

    refund_id: str = Field(
        min_length=1, max_length=100, description="your id; the same id again changes nothing"
    )
    amount: Decimal = Field(gt=0, decimal_places=2, examples=["59.90"])
    reason: str = Field("", max_length=500)
    refunded_at: datetime | None = None


class OrderChangeOut(Schema):
    order_id: str
    status: str
    refunded_total: Decimal
    changed: bool
    refund_id: str | None = None
    amount: Decimal | None = None


@router.post(
    "/orders/{order_id}/cancel",
    auth=ApiKeyAuth(Scope.ORDERS_WRITE),
    response={200: OrderChangeOut},
    summary="Cancel an order",
    description=(
        "Cancels a placed or completed order without refunds; the points it earned are taken "
        "back. Cancelling again changes nothing (changed: false). 404 for an unknown order, "
        "409 when the order has refunds. Scope: orders:write."
    ),
)
def cancel(request: HttpRequest, order_id: str, payload: CancelIn | None = None):
    change = cancel_order(order_id=order_id, reason=payload.reason if payload else "")
    return Status(200, change.as_dict())


@router.post(
    "/orders/{order_id}/refunds",
    auth=ApiKeyAuth(Scope.ORDERS_WRITE),
    response={200: OrderChangeOut, 201: OrderChangeOut},
    summary="Refund an order, whole or in part",
    description=(
        "Records a refund; the points the order earned are taken back pro rata. 201 when "
        "recorded, 200 with the first result when the refund_id was seen (409 if its amount "
        "differs), 422 when the amount is more than what remains to refund, 409 for a "
        "cancelled order, 404 for an unknown order. Scope: orders:write."
    ),
)
def refund(request: HttpRequest, order_id: str, payload: RefundIn):
    change = refund_order(
        order_id=order_id,
        refund_id=payload.refund_id,
        amount=payload.amount,
        reason=payload.reason,
        refunded_at=payload.refunded_at,
    )
    return Status(201 if change.changed else 200, change.as_dict())
