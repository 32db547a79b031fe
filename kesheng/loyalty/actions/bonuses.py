"""One-off bonus points (docs/loyalty.md, "One-off bonuses"): a survey completed, a review
written, the profile completed, the first order — by the programme file's ``bonus_rules``.

Each award is one ``earn`` transaction in the ledger whose request number names the rule and
the event (``bonus:<rule>:response:<id>``, ``bonus:<rule>:profile:<customer>`` ...), so the
same event twice earns once. The handlers subscribe to event names only: feedback sits above
loyalty and is never imported (its ``feedback.created`` carries the reviews' customers).
"""

from datetime import datetime, timedelta

from django.utils import timezone

from kesheng.commerce.queries import get_order_for_points, get_order_summary
from kesheng.core.events import emit
from kesheng.customers.models import Customer
from kesheng.loyalty import earning
from kesheng.loyalty.actions.points import (
    SYSTEM,
    PointsResult,
    _apply_time,
    _idempotent,
    _new_lot,
    _programme_settings,
    _record,
    _result,
    _zone,
)
from kesheng.loyalty.models import PointsAccount, PointsTransaction
from kesheng.loyalty.models import TransactionKind as Kind

# What "profile completed" means: every one of these profile fields is filled in.
PROFILE_FIELDS = ("name", "gender", "birthday", "city")


def award_bonus_points(
    *,
    customer_pk: int,
    customer_id: str,
    request_no: str,
    points: int,
    reason: str,
    available_at: datetime | None = None,
    limit_prefix: str = "",
    limit: int | None = None,
    now: datetime | None = None,
) -> PointsResult | None:
    """Earn ``points`` once for ``request_no`` as a lot spendable at ``available_at`` (default
    now; later: pending until then) that expires as the programme says. With ``limit``, None
    (nothing written) once the member already has that many transactions whose request number
    starts with ``limit_prefix``, counted under their account lock. The same request number
    again answers the first result. Emits ``loyalty.bonus_earned``."""
    now = now or timezone.now()

    def write(account: PointsAccount) -> PointsResult | None:
        _apply_time(account, now)
        if limit is not None:
            taken = PointsTransaction.objects.filter(
                customer_id=customer_pk, request_no__startswith=limit_prefix
            ).count()
            if taken >= limit:
                return None
        lot, _settled = _new_lot(account, points, available_at=available_at or now, now=now)
        txn = _record(
            account,
            kind=Kind.EARN,
            points=points,
            request_no=request_no,
            created_by=SYSTEM,
            now=now,
            reason=reason[:500],
            new_lot=lot,
        )
        emit(
            "loyalty.bonus_earned",
            {
                "customer_id": customer_id,
                "points": points,
                "reason": reason,
                "pending": lot["is_pending"],
                "transaction_id": txn.pk,
            },
        )
        return _result(txn, customer_id=customer_id)

    return _idempotent(
        request_no, customer_pk=customer_pk, kind=Kind.EARN, points=None, write=write
    )


def _has_rules(event: str) -> bool:
    """Whether the programme has a bonus rule for ``event`` (one query): handlers of busy
    events (every order, every profile change) stop here when it has none."""
    return any(rule["event"] == event for rule in _programme_settings().get("bonus_rules", []))


def award_bonus_for_event(
    *,
    event: str,
    customer_pk: int,
    subject: str,
    available_at: datetime | None = None,
    now: datetime | None = None,
) -> list[PointsResult]:
    """Every active bonus rule of ``event`` for this member, once per ``subject`` (the event's
    own id). Nothing without a programme or a matching rule."""
    now = now or timezone.now()
    programme = _programme_settings()
    rules = earning.bonus_rules_from_settings(programme.get("bonus_rules", []), event)
    today = now.astimezone(_zone()).date()
    rules = [rule for rule in rules if rule.active_on(today)]
    if not rules:
        return []
    customer_id = Customer.objects.filter(pk=customer_pk).values_list("customer_id", flat=True)
    public_id = customer_id.first()
    if public_id is None:
        return []
    results = []
    for rule in rules:
        result = award_bonus_points(
            customer_pk=customer_pk,
            customer_id=public_id,
            request_no=f"bonus:{rule.code}:{subject}"[:120],
            points=rule.points,
            reason=f"{rule.code} ({event})",
            available_at=available_at,
            limit_prefix=f"bonus:{rule.code}:",
            limit=rule.max_per_member,
            now=now,
        )
        if result is not None:
            results.append(result)
    return results


# --- domain event handlers ---------------------------------------------------------------------


def bonus_after_response(payload: dict) -> None:
    """``response.completed``: the survey bonus, once per response (anonymous ones earn nothing)."""
    customer_pk, response_id = payload.get("customer_pk"), payload.get("response_id")
    if customer_pk and response_id:
        award_bonus_for_event(
            event="survey_completed", customer_pk=customer_pk, subject=f"response:{response_id}"
        )


def bonus_after_feedback(payload: dict) -> None:
    """``feedback.created``: the review bonus, once per review with a known customer
    (``reviews``: ``[[item_id, customer_pk], ...]``, given by feedback)."""
    for item_id, customer_pk in payload.get("reviews") or []:
        award_bonus_for_event(
            event="review_written", customer_pk=customer_pk, subject=f"review:{item_id}"
        )


def bonus_after_profile_change(payload: dict) -> None:
    """``customer.created`` / ``customer.updated``: the profile bonus, once per member, when
    every field of ``PROFILE_FIELDS`` is filled in."""
    customer_pk = payload.get("customer_pk")
    if not customer_pk or not _has_rules("profile_completed"):
        return
    values = Customer.objects.filter(pk=customer_pk).values_list(*PROFILE_FIELDS).first()
    if values is None or not all(values):
        return
    award_bonus_for_event(
        event="profile_completed", customer_pk=customer_pk, subject=f"profile:{customer_pk}"
    )


def bonus_after_first_order(payload: dict) -> None:
    """``order.placed``: the first-order bonus when this kept order is the customer's first
    one; pending until the order's return window closes, like the order's own points."""
    if not _has_rules("first_order"):
        return
    order = get_order_for_points(payload.get("order_id") or "")
    if order is None or not order.is_kept:
        return
    if get_order_summary(order.customer_pk)["first_at"] != order.ordered_at:
        return
    window = _programme_settings().get("return_window_days", 7)
    award_bonus_for_event(
        event="first_order",
        customer_pk=order.customer_pk,
        subject=f"first-order:{order.customer_pk}",
        available_at=order.ordered_at + timedelta(days=window),
    )
