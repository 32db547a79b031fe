"""The staff pages of campaigns: builder with the campaign_audience count, launch, results with the
uplift chart, and who may do what."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kesheng.customers.actions import create_segment
from kesheng.loyalty.models import Campaign, CampaignMember
from tests.loyalty.campaign_fixtures import campaign_values as values
from tests.staff_fixtures import create_staff_user


@pytest.fixture
def vip_segment(db):
    return create_segment(
        name="VIP", description="", rules={"all": [{"field": "tag", "op": "has", "value": "vip"}]}
    )


def form_data(source, **overrides) -> dict:
    today = timezone.localdate()
    data = {
        "name": "会员日加赠",
        "segment": str(source.pk),
        "rules_json": "",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=14)).isoformat(),
        "offer_kind": "points",
        "bonus_points": "300",
        "reward": "",
        "channel": "email",
        "subject_zh": "送您积分",
        "body_zh": "{name}，{points} 积分已到账。",
        "subject_en": "Points for you",
        "body_en": "{name}, {points} points are yours.",
        "control_percent": "10",
    }
    data.update(overrides)
    return data


def test_builder_counts_the_audience_before_saving_and_saves_a_draft(
    campaign_catalogue, campaign_audience, vip_segment, client
):
    campaign_audience(5)
    client.force_login(create_staff_user("cx.wang", role="cx_manager"))
    page = client.get("/loyalty/campaigns/new/")
    assert page.status_code == 200
    counted = client.post("/loyalty/campaigns/new/", {**form_data(vip_segment), "count": "1"})
    assert counted.status_code == 200
    assert counted.context["audience"] == 5
    assert Campaign.objects.count() == 0
    saved = client.post("/loyalty/campaigns/new/", {**form_data(vip_segment), "save": "1"})
    campaign = Campaign.objects.get()
    assert saved.status_code == 302 and saved.url == f"/loyalty/campaigns/{campaign.pk}/"
    assert campaign.rules == vip_segment.rules
    assert str(campaign.control_share) == "0.100"
    detail = client.get(saved.url)
    assert detail.context["audience"] == 5


def test_builder_shows_errors_and_saves_nothing(campaign_catalogue, vip_segment, client):
    client.force_login(create_staff_user("cx.wang", role="cx_manager"))
    response = client.post(
        "/loyalty/campaigns/new/",
        {
            **form_data(vip_segment, segment="", rules_json="{bad", control_percent="95"),
            "save": "1",
        },
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"rules_json", "control_percent"}
    response = client.post(
        "/loyalty/campaigns/new/",
        {
            **form_data(
                vip_segment,
                segment="",
                rules_json='{"all": [{"field": "nope", "op": "eq", "value": 1}]}',
            ),
            "save": "1",
        },
    )
    assert response.status_code == 400
    assert "rules_json" in response.context["form"].errors
    assert Campaign.objects.count() == 0


def test_launch_from_the_page_then_results_with_the_chart(
    campaign_catalogue, campaign_audience, vip_segment, client, django_capture_on_commit_callbacks
):
    campaign_audience(8)
    client.force_login(create_staff_user("cx.wang", role="cx_manager"))
    client.post("/loyalty/campaigns/new/", {**form_data(vip_segment), "save": "1"})
    campaign = Campaign.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        launched = client.post(f"/loyalty/campaigns/{campaign.pk}/launch/")
    assert launched.status_code == 302
    assert CampaignMember.objects.filter(campaign=campaign).count() == 8
    page = client.get(f"/loyalty/campaigns/{campaign.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="campaign-data"' in html and "plotly/plotly.min.js" in html
    assert "loyalty/campaign_results.js" in html
    assert [metric["key"] for metric in page.context["chart_data"]["metrics"]] == [
        "redemption_rate",
        "ordered_share",
        "orders_per_member",
        "revenue_per_member",
    ]
    listing = client.get("/loyalty/campaigns/")
    assert "会员日加赠" in listing.content.decode()


def test_analysts_read_campaigns_agents_do_not_and_only_managers_launch(
    campaign_catalogue, vip_segment, client
):
    from kesheng.loyalty.actions.campaigns import create_campaign

    campaign = create_campaign(values=values(rules=vip_segment.rules))
    client.force_login(create_staff_user("analyst.zhao", role="analyst"))
    assert client.get("/loyalty/campaigns/").status_code == 200
    assert client.get(f"/loyalty/campaigns/{campaign.pk}/").status_code == 200
    assert client.get("/loyalty/campaigns/new/").status_code == 403
    assert client.post(f"/loyalty/campaigns/{campaign.pk}/launch/").status_code == 403
    assert Campaign.objects.get().state == "draft"
    client.force_login(create_staff_user("agent.li", role="agent"))
    assert client.get("/loyalty/campaigns/").status_code == 403
    assert client.get("/loyalty/campaigns/999999/").status_code == 403
    client.force_login(create_staff_user("admin.chen", role="admin"))
    assert client.get("/loyalty/campaigns/999999/").status_code == 404
