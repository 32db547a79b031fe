"""JSON API of campaigns (docs/loyalty.md, "Campaigns"): the list and a campaign's results
(``loyalty:read``), launching a draft (``loyalty:write``). Campaigns are built on the staff
pages; mounted on the loyalty router."""

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Router, Schema

from kesheng.accounts.api_auth import ApiKeyAuth
from kesheng.accounts.models import Scope
from kesheng.core.api import ErrorOut, ValidationErrorOut
from kesheng.loyalty.actions.campaigns import launch_campaign
from kesheng.loyalty.campaign_queries import get_campaign, get_campaign_results, list_campaigns

router = Router(tags=["loyalty"])


class CampaignOut(Schema):
    id: int
    name: str
    state: str
    starts_on: date
    ends_on: date
    offer: str
    bonus_points: int | None
    reward: str | None
    control_share: str
    audience: int | None
    treatment: int | None
    control: int | None
    launched_at: datetime | None


def _campaign_out(campaign) -> dict:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "state": campaign.state,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "offer": campaign.offer_kind,
        "bonus_points": campaign.bonus_points,
        "reward": campaign.reward.code if campaign.reward else None,
        "control_share": str(campaign.control_share),
        "audience": campaign.audience_size,
        "treatment": campaign.treatment_size,
        "control": campaign.control_size,
        "launched_at": campaign.launched_at,
    }


class GroupOut(Schema):
    n: int
    redeemed: int
    ordered: int
    orders: int
    revenue: str


class ScoreOut(Schema):
    value: float | None
    low: float | None
    high: float | None
    n: int


class MetricOut(Schema):
    key: str
    label: str
    kind: str
    treatment: ScoreOut
    control: ScoreOut
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None
    significant: bool
    verdict: str


class WindowOut(Schema):
    start: datetime
    end: datetime


class ResultsOut(Schema):
    campaign_id: int
    name: str
    state: str
    offer: str
    control_share: str
    window: WindowOut
    as_of: datetime
    currency: str
    small_sample: bool
    treatment: GroupOut
    control: GroupOut
    metrics: list[MetricOut]


class LaunchOut(Schema):
    campaign_id: int
    launched: bool
    audience: int | None
    treatment: int | None
    control: int | None


@router.get(
    "/loyalty/campaigns",
    auth=ApiKeyAuth(Scope.LOYALTY_READ),
    response={200: list[CampaignOut], 401: ErrorOut, 403: ErrorOut},
    summary="The campaigns, newest first",
    description="Each campaign with its window, offer and group sizes. Scope: loyalty:read.",
)
def campaigns(request: HttpRequest):
    return [_campaign_out(campaign) for campaign in list_campaigns()]


@router.get(
    "/loyalty/campaigns/{campaign_id}/results",
    auth=ApiKeyAuth(Scope.LOYALTY_READ),
    response={200: ResultsOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Treatment against control over the campaign's window",
    description=(
        "Per group: n, members who redeemed and who ordered, orders and revenue in the "
        "window. Per measure (redemption_rate, ordered_share, orders_per_member, "
        "revenue_per_member): each group's value with its 95 % interval, treated − control "
        "with its 95 % interval and p-value, and a verdict in words. Shares are fractions. "
        "Scope: loyalty:read."
    ),
)
def results(request: HttpRequest, campaign_id: int):
    return get_campaign_results(get_campaign(campaign_id)).as_dict()


@router.post(
    "/loyalty/campaigns/{campaign_id}/launch",
    auth=ApiKeyAuth(Scope.LOYALTY_WRITE),
    response={
        200: LaunchOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="Launch a draft campaign",
    description=(
        "Freezes the audience, draws the control group and gives the treatment group the "
        "offer and message. A campaign launched before answers launched: false, unchanged. "
        "A window already over: 422. Scope: loyalty:write."
    ),
)
def launch(request: HttpRequest, campaign_id: int):
    campaign = get_campaign(campaign_id)
    return launch_campaign(
        campaign_id=campaign.pk, launched_by=f"api:{request.auth.name}"
    ).as_dict()
