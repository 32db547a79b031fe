"""Staff pages of campaigns: the list, the builder (with the audience counted before
saving), a campaign's page with its launch button and, once launched, its results against
the control group with the uplift chart. Thin: parse, one action or query, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesheng.core.errors import DomainError, InvalidInput, NotFound
from kesheng.loyalty.actions.campaigns import create_campaign, launch_campaign
from kesheng.loyalty.campaign_forms import CampaignForm
from kesheng.loyalty.campaign_queries import (
    campaign_chart_data,
    count_audience,
    get_campaign,
    get_campaign_results,
    list_campaigns,
)
from kesheng.loyalty.models import CampaignState

VIEW = "loyalty.view_campaign"
ADD = "loyalty.add_campaign"
LAUNCH = "loyalty.change_campaign"


def _campaign_or_404(campaign_id: int):
    from django.http import Http404

    try:
        return get_campaign(campaign_id)
    except NotFound as error:
        raise Http404(error.message) from None


@login_required
@permission_required(VIEW, raise_exception=True)
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "loyalty/campaigns/list.html",
        {"campaigns": list_campaigns(), "section": "loyalty"},
    )


@login_required
@permission_required(ADD, raise_exception=True)
def campaign_new(request: HttpRequest) -> HttpResponse:
    audience = None
    status = 200
    if request.method != "POST":
        form = CampaignForm()
    else:
        form = CampaignForm(request.POST)
        if form.is_valid():
            try:
                if "save" in request.POST:
                    campaign = create_campaign(
                        values=form.values(),
                        segment=form.cleaned_data.get("segment"),
                        created_by=request.user.get_username(),
                    )
                    messages.success(request, _("Saved the campaign as a draft."))
                    return redirect("loyalty:campaign", campaign_id=campaign.pk)
                from kesheng.customers.segments import validate_rules

                audience = count_audience(validate_rules(form.rules(), path="rules"))
            except InvalidInput as refused:
                form.show_errors(refused.errors)
                status = 400
        else:
            status = 400
    return render(
        request,
        "loyalty/campaigns/form.html",
        {"form": form, "audience": audience, "section": "loyalty"},
        status=status,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign_or_404(campaign_id)
    context: dict = {"campaign": campaign, "section": "loyalty"}
    if campaign.state == CampaignState.DRAFT:
        context["audience"] = count_audience(campaign.rules)
        context["ended"] = campaign.ends_on < timezone.localdate()
    else:
        results = get_campaign_results(campaign)
        context["results"] = results
        context["chart_data"] = campaign_chart_data(results)
    return render(request, "loyalty/campaigns/detail.html", context)


@login_required
@permission_required(LAUNCH, raise_exception=True)
@require_POST
def campaign_launch(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign_or_404(campaign_id)
    try:
        result = launch_campaign(campaign_id=campaign.pk, launched_by=request.user.get_username())
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect("loyalty:campaign", campaign_id=campaign.pk)
    if result.launched:
        messages.success(
            request,
            _("Launched: %(treatment)s members get the offer, %(control)s are held out.")
            % {
                "treatment": result.campaign.treatment_size,
                "control": result.campaign.control_size,
            },
        )
    return redirect("loyalty:campaign", campaign_id=campaign.pk)
