"""Campaigns: the reproducible control group, the offer given once, consent, and results
measured exactly (treated − control through core.statistics)."""

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from kesheng.commerce.actions import record_orders
from kesheng.core.errors import InvalidInput
from kesheng.core.statistics import Difference, difference_of_means, difference_of_proportions
from kesheng.loyalty.actions.campaigns import (
    CampaignRefused,
    create_campaign,
    deliver_campaign_offers,
    launch_campaign,
)
from kesheng.loyalty.actions.rewards import burn_coupon
from kesheng.loyalty.campaign_maths import control_draw, fill_placeholders, is_control
from kesheng.loyalty.campaign_queries import count_audience, get_campaign_results, verdict
from kesheng.loyalty.models import (
    Campaign,
    CampaignMember,
    Coupon,
    PointsAccount,
    PointsTransaction,
    Reward,
)
from kesheng.messaging.models import Message
from tests.loyalty.campaign_fixtures import campaign_values as values


def launch(campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return launch_campaign(campaign_id=campaign.pk, launched_by="tester")


def test_control_draw_is_a_fixed_fraction_and_respects_the_share():
    draws = [control_draw(7, customer_pk) for customer_pk in range(20_000)]
    assert draws == [control_draw(7, customer_pk) for customer_pk in range(20_000)]
    assert all(0 <= draw < 1 for draw in draws)
    share = sum(is_control(draw, 0.10) for draw in draws) / len(draws)
    assert abs(share - 0.10) < 0.01  # 3 standard errors of 20,000 draws is 0.0064
    # Another campaign splits the same customers differently.
    assert [control_draw(8, pk) for pk in range(50)] != draws[:50]


def test_placeholders_fill_known_names_only():
    text = fill_placeholders(
        "{name}: {points} {unknown} {name.__class__}", {"name": "李", "points": "5"}
    )
    assert text == "李: 5 {unknown} {name.__class__}"


def test_launch_freezes_the_audience_with_the_reproducible_split(
    campaign_catalogue, campaign_audience, django_capture_on_commit_callbacks
):
    campaign_audience(40)
    campaign = create_campaign(values=values(control_share="0.25"), created_by="tester")
    assert count_audience(campaign.rules) == 40
    result = launch(campaign, django_capture_on_commit_callbacks)
    assert result.launched is True
    members = list(CampaignMember.objects.filter(campaign=campaign))
    assert len(members) == 40
    for member in members:
        draw = control_draw(campaign.pk, member.customer_id)
        assert member.draw == draw
        assert member.group == ("control" if draw < 0.25 else "treatment")
    campaign.refresh_from_db()
    control = sum(member.group == "control" for member in members)
    assert (campaign.control_size, campaign.treatment_size) == (control, 40 - control)
    assert 2 <= control <= 20  # 10 expected; a wide tolerance for 40 members


def test_treatment_gets_the_points_once_and_control_nothing(
    campaign_catalogue, campaign_audience, django_capture_on_commit_callbacks
):
    campaign_audience(12)
    campaign = create_campaign(values=values(), created_by="tester")
    launch(campaign, django_capture_on_commit_callbacks)
    treatment = set(
        CampaignMember.objects.filter(campaign=campaign, group="treatment").values_list(
            "customer_id", flat=True
        )
    )
    control = set(
        CampaignMember.objects.filter(campaign=campaign, group="control").values_list(
            "customer_id", flat=True
        )
    )
    balances = dict(PointsAccount.objects.values_list("customer_id", "balance"))
    assert {pk: balances.get(pk, 0) for pk in treatment} == {pk: 200 for pk in treatment}
    assert {pk: balances.get(pk, 0) for pk in control} == {pk: 0 for pk in control}
    # Launching again and delivering again change nothing.
    again = launch(campaign, django_capture_on_commit_callbacks)
    assert again.launched is False
    assert deliver_campaign_offers(campaign_id=campaign.pk).as_dict() == {
        "offered": 0,
        "refused": 0,
        "messages": 0,
    }
    assert PointsTransaction.objects.filter(
        request_no__startswith=f"campaign.{campaign.pk}."
    ).count() == len(treatment)
    assert Message.objects.filter(reference=f"loyalty.campaign:{campaign.pk}").count() == len(
        treatment
    )
    assert not Message.objects.filter(customer_id__in=control).exists()


def test_message_respects_consent_and_language_but_every_treatment_member_is_counted(
    campaign_catalogue, campaign_audience, django_capture_on_commit_callbacks
):
    customers = campaign_audience(12)
    campaign = create_campaign(values=values(), created_by="tester")
    launch(campaign, django_capture_on_commit_callbacks)
    for member in CampaignMember.objects.filter(
        campaign=campaign, group="treatment"
    ).select_related("customer", "message"):
        index = customers.index(member.customer)
        assert member.offered_at is not None
        assert member.points_transaction is not None  # the offer, with or without consent
        expected = "queued" if index % 2 == 0 else "suppressed"
        assert member.message.status in ({"queued", "sent"} if expected == "queued" else {expected})
        if index % 3 == 0:
            assert member.message.subject == f"200 points for you, Member {index}"
        else:
            assert member.message.subject == f"Member {index}，送您 200 积分"
    results = get_campaign_results(campaign)
    assert results.treatment.n == campaign.members.filter(group="treatment").count()


def test_coupon_offer_gives_each_treatment_member_a_coupon_without_spending_points(
    campaign_catalogue, campaign_audience, django_capture_on_commit_callbacks
):
    campaign_audience(10)
    campaign = create_campaign(
        values=values(offer_kind="coupon", reward="coupon-20", bonus_points=None),
        created_by="tester",
    )
    launch(campaign, django_capture_on_commit_callbacks)
    treatment = campaign.members.filter(group="treatment")
    assert Coupon.objects.count() == treatment.count()
    assert set(Coupon.objects.values_list("customer_id", flat=True)) == set(
        treatment.values_list("customer_id", flat=True)
    )
    assert set(PointsAccount.objects.values_list("balance", flat=True)) == {0}
    assert Reward.objects.get(code="coupon-20").redeemed == treatment.count()
    deliver_campaign_offers(campaign_id=campaign.pk)
    assert Coupon.objects.count() == treatment.count()


def test_results_are_exact_on_a_small_built_dataset(
    campaign_catalogue, campaign_audience, django_capture_on_commit_callbacks
):
    campaign_audience(24)
    campaign = create_campaign(
        values=values(offer_kind="coupon", reward="coupon-20", bonus_points=None),
        created_by="tester",
    )
    launch(campaign, django_capture_on_commit_callbacks)
    members = list(campaign.members.select_related("customer", "coupon").order_by("customer_id"))
    treatment = [member for member in members if member.group == "treatment"]
    control = [member for member in members if member.group == "control"]
    assert len(treatment) >= 2 and len(control) >= 2
    now = timezone.now()
    items, figures = [], {"treatment": [], "control": []}
    for index, member in enumerate(members):
        # Treatment members order more: 2 orders of 100 + 10·index for every other member;
        # control members 1 order of 80 for every third.
        if member.group == "treatment":
            amounts = [Decimal(100 + 10 * index)] * 2 if index % 2 == 0 else []
        else:
            amounts = [Decimal(80)] if index % 3 == 0 else []
        for number, amount in enumerate(amounts):
            items.append(
                {
                    "order_id": f"R{index}-{number}",
                    "customer_id": member.customer.customer_id,
                    "ordered_at": (now - timedelta(minutes=5)).isoformat(),
                    "amount": str(amount),
                    "channel": "web",
                }
            )
        figures[member.group].append(amounts)
    # An order before the window does not count.
    items.append(
        {
            "order_id": "BEFORE",
            "customer_id": members[0].customer.customer_id,
            "ordered_at": (now - timedelta(days=5)).isoformat(),
            "amount": "999",
            "channel": "web",
        }
    )
    assert record_orders(items=items).rejected == []
    for member in treatment[:2]:
        burn_coupon(
            code=member.coupon.code,
            request_no=f"TILL-{member.pk}",
            order_id=f"X{member.pk}",
            order_amount=Decimal("150"),
            created_by="till",
        )

    results = get_campaign_results(campaign)

    def sums(group: str, of):
        values = [of(amounts) for amounts in figures[group]]
        return len(values), float(sum(values)), float(sum(value * value for value in values))

    revenue = difference_of_means(
        sums("treatment", lambda amounts: sum(amounts)),
        sums("control", lambda amounts: sum(amounts)),
    )
    orders = difference_of_means(sums("treatment", len), sums("control", len))
    ordered = difference_of_proportions(
        sum(1 for amounts in figures["treatment"] if amounts),
        len(treatment),
        sum(1 for amounts in figures["control"] if amounts),
        len(control),
    )
    redeemed = difference_of_proportions(2, len(treatment), 0, len(control))
    by_key = {metric.key: metric for metric in results.metrics}
    for key, expected in [
        ("revenue_per_member", revenue),
        ("orders_per_member", orders),
        ("ordered_share", ordered),
        ("redemption_rate", redeemed),
    ]:
        got = by_key[key].difference
        assert got.value == pytest.approx(expected.value, abs=1e-9), key
        assert got.low == pytest.approx(expected.low, abs=1e-9), key
        assert got.high == pytest.approx(expected.high, abs=1e-9), key
        assert got.p_value == pytest.approx(expected.p_value, abs=1e-9), key
    assert results.treatment.revenue == sum(sum(amounts) for amounts in figures["treatment"])
    assert results.control.orders == sum(len(amounts) for amounts in figures["control"])
    assert results.treatment.redeemed == 2 and results.control.redeemed == 0


def test_verdict_says_the_effect_in_plain_words():
    with translation.override("en"):
        assert verdict("revenue per member", "money", Difference(12.3, 4.1, 20.5, 0.003)) == (
            "the campaign raised revenue per member by ¥12.30 (95 % CI ¥4.10 to ¥20.50, p = 0.003)"
        )
        assert verdict("orders per member", "count", Difference(-0.2, -0.5, 0.1, 0.2)) == (
            "no significant effect on orders per member (95 % CI -0.50 to 0.10, p = 0.200)"
        )
        assert verdict(
            "the share who ordered", "share", Difference(-0.05, -0.09, -0.01, 0.0004)
        ) == (
            "the campaign lowered the share who ordered by 5.0 percentage points "
            "(95 % CI -9.0 percentage points to -1.0 percentage points, p < 0.001)"
        )


def test_bad_campaign_input_names_each_field_and_saves_nothing(campaign_catalogue):
    with pytest.raises(InvalidInput) as refused:
        create_campaign(
            values=values(
                name="",
                rules={"all": [{"field": "nope", "op": "eq", "value": 1}]},
                ends_on="2020-01-01",
                control_share="0.95",
                bonus_points=0,
                body_en="",
            )
        )
    fields = {error.field for error in refused.value.errors}
    assert {"name", "ends_on", "control_share", "bonus_points", "body_en"} <= fields
    assert any(field.startswith("rules") for field in fields)
    with pytest.raises(InvalidInput) as refused:
        create_campaign(values=values(offer_kind="coupon", reward="no-such-reward"))
    assert [error.field for error in refused.value.errors] == ["reward"]
    assert Campaign.objects.count() == 0


def test_a_campaign_whose_window_ended_is_not_launched(campaign_catalogue, campaign_audience):
    campaign_audience(2)
    today = timezone.localdate()
    campaign = create_campaign(
        values=values(
            starts_on=(today - timedelta(days=10)).isoformat(),
            ends_on=(today - timedelta(days=1)).isoformat(),
        )
    )
    with pytest.raises(CampaignRefused):
        launch_campaign(campaign_id=campaign.pk, launched_by="tester")
    assert CampaignMember.objects.count() == 0
    assert Campaign.objects.get().state == "draft"


def test_cli_prints_the_results_as_json_and_refuses_an_unknown_campaign(
    campaign_catalogue, campaign_audience, django_capture_on_commit_callbacks
):
    campaign_audience(6)
    campaign = create_campaign(values=values())
    launch(campaign, django_capture_on_commit_callbacks)
    out = StringIO()
    call_command("loyalty", "campaign", "results", str(campaign.pk), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["campaign_id"] == campaign.pk
    assert data["treatment"]["n"] + data["control"]["n"] == 6
    assert data["small_sample"] is True
    assert [metric["key"] for metric in data["metrics"]] == [
        "redemption_rate",
        "ordered_share",
        "orders_per_member",
        "revenue_per_member",
    ]
    text = StringIO()
    call_command("loyalty", "campaign", "results", str(campaign.pk), stdout=text)
    assert "Spring bonus" in text.getvalue()
    with pytest.raises(CommandError) as refused:
        call_command("loyalty", "campaign", "results", "999999", stderr=StringIO())
    assert refused.value.returncode == 2


def test_merging_two_members_of_a_campaign_keeps_the_survivors_draw(
    campaign_catalogue, campaign_audience, django_capture_on_commit_callbacks
):
    from kesheng.customers.actions import merge_customers

    first, second = campaign_audience(2)
    campaign = create_campaign(values=values())
    launch(campaign, django_capture_on_commit_callbacks)
    kept = CampaignMember.objects.get(campaign=campaign, customer=first)
    merge_customers(surviving=first, merged=second, reason="same person")
    assert list(CampaignMember.objects.filter(campaign=campaign)) == [kept]


def test_campaign_api_lists_launches_and_answers_results_with_scopes(
    campaign_catalogue, campaign_audience, api_client, django_capture_on_commit_callbacks
):
    campaign_audience(4)
    campaign = create_campaign(values=values())
    reader, writer = api_client("loyalty:read"), api_client("loyalty:write")
    listed = reader.get("/api/v1/loyalty/campaigns")
    assert listed.status_code == 200
    assert [(row["id"], row["state"]) for row in listed.json()] == [(campaign.pk, "draft")]
    assert reader.post(f"/api/v1/loyalty/campaigns/{campaign.pk}/launch").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        launched = writer.post(f"/api/v1/loyalty/campaigns/{campaign.pk}/launch")
    assert launched.status_code == 200
    assert launched.json()["launched"] is True and launched.json()["audience"] == 4
    again = writer.post(f"/api/v1/loyalty/campaigns/{campaign.pk}/launch")
    assert again.json()["launched"] is False
    answer = reader.get(f"/api/v1/loyalty/campaigns/{campaign.pk}/results")
    assert answer.status_code == 200
    body = answer.json()
    assert body["treatment"]["n"] + body["control"]["n"] == 4
    assert [metric["key"] for metric in body["metrics"]][-1] == "revenue_per_member"
    assert reader.get("/api/v1/loyalty/campaigns/999999/results").status_code == 404
    assert writer.get(f"/api/v1/loyalty/campaigns/{campaign.pk}/results").status_code == 403


def test_launching_an_ended_campaign_through_the_api_is_a_422(
    campaign_catalogue, campaign_audience, api_client
):
    today = timezone.localdate()
    campaign = create_campaign(
        values=values(
            starts_on=(today - timedelta(days=9)).isoformat(),
            ends_on=(today - timedelta(days=2)).isoformat(),
        )
    )
    answer = api_client("loyalty:write").post(f"/api/v1/loyalty/campaigns/{campaign.pk}/launch")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "ends_on"
    assert Campaign.objects.get().state == "draft"


def test_a_draft_can_be_changed_and_a_launched_campaign_cannot(
    campaign_catalogue, campaign_audience, django_capture_on_commit_callbacks
):
    from kesheng.loyalty.actions.campaigns import update_campaign

    campaign_audience(2)
    campaign = create_campaign(values=values())
    update_campaign(campaign=campaign, values=values(name="Summer bonus", bonus_points=500))
    assert Campaign.objects.values_list("name", "bonus_points").get() == ("Summer bonus", 500)
    launch(campaign, django_capture_on_commit_callbacks)
    with pytest.raises(CampaignRefused):
        update_campaign(campaign=campaign, values=values(bonus_points=900))
    assert Campaign.objects.get().bonus_points == 500
