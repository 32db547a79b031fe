"""Staff page of referrals: the funnel in total and per referrer (docs/loyalty.md)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kesheng.loyalty.member_queries import get_referral_funnel, list_referral_funnels
from kesheng.loyalty.models import ReferralRefusal

VIEW_REFERRAL = "loyalty.view_referral"


@login_required
@permission_required(VIEW_REFERRAL, raise_exception=True)
def referrals(request: HttpRequest) -> HttpResponse:
    total = get_referral_funnel()
    reasons = [
        (ReferralRefusal(reason).label, count)
        for reason, count in total["refused_by_reason"].items()
        if reason in ReferralRefusal.values
    ]
    return render(
        request,
        "loyalty/referrals.html",
        {
            "total": total,
            "reasons": reasons,
            "rows": list_referral_funnels(),
            "section": "loyalty",
        },
    )
