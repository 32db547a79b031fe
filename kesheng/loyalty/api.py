"""JSON API of loyalty: a member's tier and points (``loyalty:read``), adjustments and
redemptions (``loyalty:write``, idempotent on ``request_no``). docs/loyalty.md."""

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, StrictInt

from kesheng.accounts.api_auth import ApiKeyAuth
from kesheng.accounts.models import Scope
from kesheng.core.api import ErrorOut, ValidationErrorOut
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.loyalty.actions.points import adjust_points, redeem_points
from kesheng.loyalty.actions.rewards import burn_coupon, get_points_as_cash, redeem_reward
from kesheng.loyalty.queries import check_coupon, get_member_summary, list_rewards, reward_as_dict

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
    points: StrictInt | None = None
    reward_id: StrictInt | str | None = None
    expected_balance: StrictInt | None = None
    order_amount: Decimal | None = None
    order_id: str = ""
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


class RewardRefOut(Schema):
    id: int
    code: str
    name: str


class CouponOut(Schema):
    code: str
    state: str
    reward: RewardRefOut
    customer_id: str
    kind: str
    amount: str | None
    percent: str | None
    minimum_spend: str
    cash_due: str
    issued_at: datetime
    valid_until: datetime
    burned_at: datetime | None
    order_id: str | None
    order_amount: str | None


class RedeemOut(TransactionOut):
    reward_id: int | None = None
    coupon: CouponOut | None = None
    cash_value: str | None = None


@router.post(
    "/loyalty/members/{customer_id}/redeem",
    auth=ApiKeyAuth(Scope.LOYALTY_WRITE),
    response={201: RedeemOut, **WRITE_ERRORS},
    summary="Spend points, or redeem a reward for a coupon",
    description=(
        "With points: spends them from the spendable lots, soonest-expiring first (pending "
        "and expired points never). With reward_id (the reward's id or code): spends the "
        "reward's points and answers the coupon issued (code, what it gives, valid_until); "
        "for a points_as_cash reward give order_amount (and points, default: all the order "
        "allows): the coupon is used on that order at once and cash_value is the CNY off. "
        "Refusals (422 with the reason, nothing changed): not enough points, unknown or "
        "inactive reward, out of stock, per-member limit reached. expected_balance "
        "(optional): the balance the caller saw; another balance now is a 409. The same "
        "request_no again answers the first result (replayed: true), applied once. "
        "Scope: loyalty:write."
    ),
)
def redeem(request: HttpRequest, customer_id: str, payload: RedeemIn):
    if payload.reward_id is not None:
        result = redeem_reward(
            customer_id=customer_id,
            request_no=payload.request_no,
            reward_id=payload.reward_id,
            expected_balance=payload.expected_balance,
            points=payload.points,
            order_amount=payload.order_amount,
            order_id=payload.order_id,
            created_by=_by(request),
        )
        return Status(201, result.as_dict())
    if payload.points is None:
        raise InvalidInput([FieldError("points", _("give points or reward_id"))])
    result = redeem_points(
        customer_id=customer_id,
        request_no=payload.request_no,
        points=payload.points,
        expected_balance=payload.expected_balance,
        reason=payload.reason,
        created_by=_by(request),
    )
    return Status(201, result.as_dict())


class RewardOut(Schema):
    id: int
    code: str
    name: str
    name_zh: str
    name_en: str
    kind: str
    points: int
    cash: str
    amount: str | None
    percent: str | None
    minimum_spend: str
    valid_days: int
    per_member_limit: int | None
    stock: int | None
    remaining: int | None
    redeemed: int
    points_per_cny: int | None
    max_share: str | None
    active: bool
    starts_at: datetime | None
    ends_at: datetime | None


READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


@router.get(
    "/loyalty/rewards",
    auth=ApiKeyAuth(Scope.LOYALTY_READ),
    response={200: list[RewardOut], 401: ErrorOut, 403: ErrorOut},
    summary="The rewards catalogue",
    description=(
        "The rewards of the programme file in its order, active ones only unless all=true. "
        "points is the price in points (cash: CNY more to pay, for points + cash); a coupon "
        "gives amount CNY or percent % off an order of at least minimum_spend for valid_days "
        "after it is redeemed; stock null is unlimited, remaining what is left. A "
        "points_as_cash reward spends points_per_cny points a CNY, up to max_share of an "
        "order. Scope: loyalty:read."
    ),
)
def rewards(request: HttpRequest, all: bool = False):
    return [reward_as_dict(reward) for reward in list_rewards(include_inactive=all)]


class PointsAsCashOut(Schema):
    reward_id: int
    reward_code: str
    order_amount: str
    points_per_cny: int
    max_share: str
    minimum_spend: str
    balance: int
    max_points: int
    points: int
    amount: str


@router.get(
    "/loyalty/members/{customer_id}/points-as-cash",
    auth=ApiKeyAuth(Scope.LOYALTY_READ),
    response={200: PointsAsCashOut, **READ_ERRORS},
    summary="How many points a member can pay with on an order (积分抵现)",
    description=(
        "For an order of order_amount CNY: max_points the order takes (max_share of it at "
        "points_per_cny points a CNY, 0 below minimum_spend), points the member can use now "
        "(within the spendable balance) and amount, the CNY they take off. reward_id picks "
        "a points_as_cash reward (default: the first active one). Spend them with redeem "
        "(reward_id, order_amount, points). Scope: loyalty:read."
    ),
)
def points_as_cash(
    request: HttpRequest,
    customer_id: str,
    order_amount: str,
    reward_id: str | None = None,
):
    reward = int(reward_id) if reward_id is not None and reward_id.isdigit() else reward_id
    return get_points_as_cash(
        customer_id=customer_id, order_amount=order_amount, reward_id=reward
    ).as_dict()


class CouponCheckOut(CouponOut):
    usable: bool
    reason: str | None


@router.get(
    "/loyalty/coupons/{code}",
    auth=ApiKeyAuth(Scope.LOYALTY_READ),
    response={200: CouponCheckOut, **READ_ERRORS},
    summary="Validate a coupon: its state, what it gives, whether it can be used",
    description=(
        "state is issued, burned (used), expired or cancelled (an issued coupon past "
        "valid_until shows as expired). usable is whether it can be used now; with "
        "order_amount also whether the order reaches its minimum_spend; reason says why "
        "not. 404 for an unknown code (case and spaces are ignored). Scope: loyalty:read."
    ),
)
def coupon(request: HttpRequest, code: str, order_amount: str | None = None):
    return check_coupon(code, order_amount=order_amount)


class BurnIn(Schema):
    model_config = ConfigDict(extra="forbid")

    request_no: str
    order_id: str = ""
    order_amount: Decimal | None = None


class BurnOut(CouponOut):
    replayed: bool


@router.post(
    "/loyalty/coupons/{code}/burn",
    auth=ApiKeyAuth(Scope.LOYALTY_WRITE),
    response={200: BurnOut, **WRITE_ERRORS},
    summary="Use a coupon once",
    description=(
        "Marks the coupon used (state burned) on order_id. order_amount is required when "
        "the coupon has a minimum spend. The same request_no again answers the first "
        "result (replayed: true); any other burn of a used coupon is a 409. Expired or "
        "cancelled, or an order below the minimum spend: 422 with the reason, nothing "
        "changed. Scope: loyalty:write."
    ),
)
def burn(request: HttpRequest, code: str, payload: BurnIn):
    result = burn_coupon(
        code=code,
        request_no=payload.request_no,
        order_id=payload.order_id,
        order_amount=payload.order_amount,
        created_by=_by(request),
    )
    return Status(200, result.as_dict())


# Campaigns (kesheng/loyalty/campaign_api.py): the list, results and launch.
from kesheng.loyalty.campaign_api import router as campaign_router  # noqa: E402

router.add_router("", campaign_router)
