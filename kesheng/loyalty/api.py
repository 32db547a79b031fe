"""JSON API of loyalty: a member's tier and points (``loyalty:read``), adjustments and
redemptions (``loyalty:write``, idempotent on ``request_no``). docs/loyalty.md."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, StrictInt

from kesheng.accounts.api_auth import ApiKeyAuth
from kesheng.accounts.models import Scope
from kesheng.core.api import ErrorOut, ValidationErrorOut
from kesheng.loyalty.actions.points import adjust_points, redeem_points
from kesheng.loyalty.queries import get_member_summary

router = Router(tags=["loyalty"])


class PrivilegesOut(Schema):
    points_multiplier: str
    birthday_gift: str | None
    free_shipping: bool
    priority_service: bool


class NextTierOut(Schema):
    code: str
    name: str
    threshold: str
    remaining: str


class LotOut(Schema):
    points: int
    expires_at: datetime | None
    pending: bool


class MemberOut(Schema):
    customer_id: str
    balance: int
    pending: int
    lots: list[LotOut]
    tier: str | None
    tier_name: str | None
    tier_since: datetime | None
    grace_ends_at: datetime | None
    privileges: PrivilegesOut | None
    qualification: str | None
    qualifying_value: str
    next_tier: NextTierOut | None


@router.get(
    "/loyalty/members/{customer_id}",
    auth=ApiKeyAuth(Scope.LOYALTY_READ),
    response={200: MemberOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="A member's points, tier, its privileges and the next tier",
    description=(
        "balance is the points that can be spent now (negative: owed); pending the points "
        "waiting for their order's return window; lots what remains of each lot, "
        "soonest-expiring first (expires_at null: never). tier is the tier's code (null "
        "until the customer's first tier is given); next_tier "
        "is the tier above with its threshold and what remains to reach it (null at the top). "
        "qualifying_value is spend (CNY) or orders over the last 12 months, as the programme "
        "says. A merged-away customer_id finds the surviving profile. Scope: loyalty:read."
    ),
)
def get_member(request: HttpRequest, customer_id: str):
    return get_member_summary(customer_id)


class AdjustIn(Schema):
    model_config = ConfigDict(extra="forbid")

    request_no: str
    points: StrictInt
    reason: str


class RedeemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    request_no: str
    points: StrictInt
    expected_balance: StrictInt | None = None
    reason: str = ""


class MovementOut(Schema):
    lot_id: int
    points: int
    expires_at: datetime | None


class TransactionOut(Schema):
    transaction_id: int
    customer_id: str
    kind: str
    points: int
    balance: int
    pending: int
    request_no: str
    reason: str
    created_by: str
    created_at: datetime
    lots: list[MovementOut]
    replayed: bool


def _by(request: HttpRequest) -> str:
    return f"api:{request.auth.name}"


WRITE_ERRORS = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ValidationErrorOut,
}


@router.post(
    "/loyalty/members/{customer_id}/adjust",
    auth=ApiKeyAuth(Scope.LOYALTY_WRITE),
    response={201: TransactionOut, **WRITE_ERRORS},
    summary="Add or deduct points, with a reason",
    description=(
        "points > 0 adds a lot spendable at once; points < 0 deducts from the spendable lots, "
        "soonest-expiring first, and is refused (422, nothing changed) beyond the balance. "
        "reason is required. The same request_no again answers the first result (replayed: "
        "true), applied once; used for another request it is a 409. Scope: loyalty:write."
    ),
)
def adjust(request: HttpRequest, customer_id: str, payload: AdjustIn):
    result = adjust_points(
        customer_id=customer_id,
        request_no=payload.request_no,
        points=payload.points,
        reason=payload.reason,
        created_by=_by(request),
    )
    return Status(201, result.as_dict())


@router.post(
    "/loyalty/members/{customer_id}/redeem",
    auth=ApiKeyAuth(Scope.LOYALTY_WRITE),
    response={201: TransactionOut, **WRITE_ERRORS},
    summary="Spend points",
    description=(
        "Spends from the spendable lots, soonest-expiring first (pending and expired points "
        "never). Not enough points: 422 with the reason. expected_balance (optional): the "
        "balance the caller saw; another balance now is a 409. The same request_no again "
        "answers the first result (replayed: true), applied once. Nothing changes on a "
        "refusal. Scope: loyalty:write."
    ),
)
def redeem(request: HttpRequest, customer_id: str, payload: RedeemIn):
    result = redeem_points(
        customer_id=customer_id,
        request_no=payload.request_no,
        points=payload.points,
        expected_balance=payload.expected_balance,
        reason=payload.reason,
        created_by=_by(request),
    )
    return Status(201, result.as_dict())
