"""JSON API of loyalty: ``GET /loyalty/members/{customer_id}`` (scope ``loyalty:read``).

The balance, pending points and lots of the issue's contract come with the points ledger."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from kesheng.accounts.api_auth import ApiKeyAuth
from kesheng.accounts.models import Scope
from kesheng.core.api import ErrorOut
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


class MemberOut(Schema):
    customer_id: str
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
    summary="A member's tier, its privileges and the next tier",
    description=(
        "tier is the tier's code (null until the customer's first tier is given); next_tier "
        "is the tier above with its threshold and what remains to reach it (null at the top). "
        "qualifying_value is spend (CNY) or orders over the last 12 months, as the programme "
        "says. A merged-away customer_id finds the surviving profile. Scope: loyalty:read."
    ),
)
def get_member(request: HttpRequest, customer_id: str):
    return get_member_summary(customer_id)
