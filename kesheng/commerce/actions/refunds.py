"""Cancelling and refunding orders. Each emits its event after commit, so loyalty takes back
the points the order earned (all of them, or pro rata for a partial refund)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.commerce.models import Order, OrderRefund, OrderStatus
from kesheng.core.errors import Conflict, FieldError, InvalidInput, NotFound
from kesheng.core.events import emit

REASON_MAX_LENGTH = 500
REFUND_ID_MAX_LENGTH = 100


@dataclass(frozen=True)
class OrderChange:
    """What a cancellation or refund did: the order's status after it, how much of the order
    is refunded in all, and whether this call changed anything (False for a repeat)."""

    order_id: str
    status: str
    refunded_total: Decimal
    changed: bool
    refund_id: str | None = None
    amount: Decimal | None = None

    def as_dict(self) -> dict:
        return {
            "order_id": self.order_id,
            "status": self.status,
            "refunded_total": str(self.refunded_total),
            "changed": self.changed,
            "refund_id": self.refund_id,
            "amount": None if self.amount is None else str(self.amount),
        }


def _locked_order(order_id: str) -> Order:
    order = (
        Order.objects.select_for_update()
        .select_related("customer")
        .filter(order_id=order_id)
        .first()
    )
    if order is None:
        raise NotFound(_("no order with this order_id"), field="order_id")
    return order


def _refunded_total(order: Order) -> Decimal:
    return order.refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0")


def cancel_order(*, order_id: str, reason: str = "") -> OrderChange:
    """Cancel a placed or completed order that has no refunds (a partly refunded order is
    refunded for the rest instead). Cancelling a cancelled order changes nothing. Sets the
    status to cancelled and emits ``order.cancelled`` (``{"order_id", "customer_id",
    "reason"}``); loyalty then takes back every point the order earned."""
    with transaction.atomic():
        order = _locked_order(order_id)
        if order.status == OrderStatus.CANCELLED:
            return OrderChange(order.order_id, order.status, Decimal("0"), changed=False)
        refunded = _refunded_total(order)
        if order.status == OrderStatus.REFUNDED or refunded:
            raise Conflict(
                _("the order has refunds; refund the rest instead of cancelling"),
                field="order_id",
            )
        order.status = OrderStatus.CANCELLED
        order.save(update_fields=["status"])
        emit(
            "order.cancelled",
            {
                "order_id": order.order_id,
                "customer_id": order.customer.customer_id,
                "reason": reason[:REASON_MAX_LENGTH],
            },
        )
    return OrderChange(order.order_id, order.status, Decimal("0"), changed=True)


def _check_refund(refund_id, amount) -> tuple[str, Decimal]:
    errors = []
    if not isinstance(refund_id, str) or not refund_id.strip():
        errors.append(FieldError("refund_id", _("is required")))
    elif len(refund_id) > REFUND_ID_MAX_LENGTH:
        errors.append(FieldError("refund_id", _("is longer than %(n)d characters") % {"n": 100}))
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        errors.append(FieldError("amount", _("must be more than 0")))
    elif amount.as_tuple().exponent < -2:  # type: ignore[operator]
        # Larger than the order is refused below, with what remains to refund.
        errors.append(FieldError("amount", _("must have at most 2 decimal places")))
    if errors:
        raise InvalidInput(errors)
    return refund_id.strip(), amount


def refund_order(
    *,
    order_id: str,
    refund_id: str,
    amount: Decimal,
    reason: str = "",
    refunded_at: datetime | None = None,
) -> OrderChange:
    """Record a refund of ``amount`` on an order, once per ``refund_id`` (the same refund_id
    again returns the first result and changes nothing; with another amount it is refused).
    The refunds never exceed the order's amount; when they reach it the status becomes
    refunded. Emits ``order.refunded`` (``{"order_id", "customer_id", "refund_id",
    "refunded_amount"}``); loyalty then takes back the points pro rata."""
    refund_id, amount = _check_refund(refund_id, amount)
    now = timezone.now()
    with transaction.atomic():
        order = _locked_order(order_id)
        existing = order.refunds.filter(refund_id=refund_id).first()
        if existing is not None:
            if existing.amount != amount:
                raise Conflict(
                    _("this refund_id was already used with another amount"), field="refund_id"
                )
            return OrderChange(
                order.order_id,
                order.status,
                _refunded_total(order),
                changed=False,
                refund_id=refund_id,
                amount=existing.amount,
            )
        if order.status == OrderStatus.CANCELLED:
            raise Conflict(_("the order is cancelled"), field="order_id")
        refunded = _refunded_total(order)
        remaining = order.amount - refunded
        if amount > remaining:
            raise InvalidInput(
                [
                    FieldError(
                        "amount",
                        _("is more than what remains to refund (%(remaining)s)")
                        % {"remaining": remaining},
                    )
                ]
            )
        try:
            with transaction.atomic():
                OrderRefund.objects.create(
                    order=order,
                    refund_id=refund_id,
                    amount=amount,
                    reason=reason[:REASON_MAX_LENGTH],
                    refunded_at=refunded_at or now,
                    received_at=now,
                )
        except IntegrityError as error:  # the order row is locked; only a bug gets here
            raise Conflict(_("this refund_id was already used"), field="refund_id") from error
        refunded += amount
        if refunded == order.amount:
            order.status = OrderStatus.REFUNDED
            order.save(update_fields=["status"])
        emit(
            "order.refunded",
            {
                "order_id": order.order_id,
                "customer_id": order.customer.customer_id,
                "refund_id": refund_id,
                "refunded_amount": str(amount),
            },
        )
    return OrderChange(
        order.order_id, order.status, refunded, changed=True, refund_id=refund_id, amount=amount
    )
