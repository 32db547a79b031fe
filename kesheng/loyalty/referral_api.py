"""JSON API of referrals (docs/loyalty.md, "Referrals"): an integrator's sign-up form records
that a new customer came with a member's referral code (``loyalty:write``)."""

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field

from kesheng.accounts.api_auth import ApiKeyAuth
from kesheng.accounts.models import Scope
from kesheng.core.api import ErrorOut, ValidationErrorOut
from kesheng.customers.queries import get_customer
from kesheng.loyalty.actions.referrals import record_referral_sign_up

router = Router(tags=["loyalty"])


class ReferralIn(Schema):
    model_config = ConfigDict(extra="forbid")

    referral_code: str = Field(max_length=20, examples=["K7QH2MX"])
    customer_id: str = Field(max_length=64, description="the new customer, created before")
    device_id: str = Field("", max_length=64, description="the sign-up device, if known")


class ReferralOut(Schema):
    referral_id: int
    referral_code: str
    referrer_id: str
    customer_id: str
    state: str
    refusal_reason: str


@router.post(
    "/loyalty/referrals",
    auth=ApiKeyAuth(Scope.LOYALTY_WRITE),
    response={
        201: ReferralOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="Record a customer's sign-up with a member's referral code",
    description=(
        "Create the customer first (POST /api/v1/customers), then post their referral code. "
        "state is signed_up, or refused with refusal_reason (same_phone, same_email, "
        "same_device: the referrer themself; not_new: the customer has orders or was referred "
        "before). The same pair again answers the first record. The customer's first paid "
        "order (POST /api/v1/orders) rewards both sides once. An unknown code is a 422 on "
        "referral_code. Scope: loyalty:write."
    ),
)
def post_referral(request: HttpRequest, payload: ReferralIn):
    customer = get_customer(payload.customer_id)
    referral = record_referral_sign_up(
        code=payload.referral_code,
        referee_pk=customer.pk,
        source="api",
        device_id=payload.device_id,
        by_phone=False,
    )
    return Status(
        201,
        {
            "referral_id": referral.pk,
            "referral_code": referral.code,
            "referrer_id": referral.referrer.customer_id,
            "customer_id": customer.customer_id,
            "state": referral.state,
            "refusal_reason": referral.refusal_reason,
        },
    )
