"""Staff pages of loyalty: the rewards catalogue with its stock and coupons (read-only; the
catalogue comes from the programme file)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kesheng.loyalty.queries import list_rewards_with_usage

VIEW_REWARD = "loyalty.view_reward"


@login_required
@permission_required(VIEW_REWARD, raise_exception=True)
def rewards(request: HttpRequest) -> HttpResponse:
    return render(request, "loyalty/rewards.html", {"rows": list_rewards_with_usage()})
