"""NPS by the respondent's loyalty tier: members by their tier now, everyone else in (none)."""

from datetime import UTC, datetime

import pytest
from django.utils.translation import gettext, override

from kesheng.analytics.queries import MetricFilters, compute_crosstab, compute_metric_by
from kesheng.commerce.actions import record_orders
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.actions.tiers import upgrade_tiers
from kesheng.loyalty.programme import check_programme
from tests.loyalty.conftest import programme_document


@pytest.fixture
def silver_li(survey):
    """Li (who gave the 3 in Shanghai) spends 1,200 CNY and becomes silver."""
    configure_programme(programme_settings=check_programme(programme_document()))
    now = datetime.now(UTC).replace(microsecond=0)
    item = {
        "order_id": "T1",
        "customer_id": survey.li.customer_id,
        "ordered_at": now.isoformat(),
        "amount": "1200.00",
        "channel": "web",
    }
    assert record_orders(items=[item]).rejected == []
    upgrade_tiers(customer_pks=[survey.li.pk], now=now)
    return survey


def test_nps_by_tier(silver_li):
    groups = compute_metric_by("nps", MetricFilters(survey_ids=(silver_li.pk,)), "tier")
    assert [(group.key, group.label, group.result.n) for group in groups] == [
        ("", gettext("(none)"), 7),
        ("silver", "银卡", 1),
    ]
    assert groups[1].result.score.value == pytest.approx(-100.0)
    with override("en"):
        groups = compute_metric_by("nps", MetricFilters(survey_ids=(silver_li.pk,)), "tier")
    assert groups[1].label == "Silver"


def test_tier_by_store_cross_tab(silver_li):
    table = compute_crosstab("nps", MetricFilters(survey_ids=(silver_li.pk,)), "tier", "store")
    assert table.rows == [("", gettext("(none)")), ("silver", "银卡")]
    assert table.cells[("silver", "sh01")].n == 1
    assert ("silver", "bj01") not in table.cells


def test_the_api_and_the_command_break_down_by_tier(silver_li, api_client):
    import json
    from io import StringIO

    from django.core.management import call_command

    answer = api_client("metrics:read").get(f"/api/v1/metrics/nps?survey={silver_li.pk}&by=tier")
    assert answer.status_code == 200
    assert [(group["group"], group["n"]) for group in answer.json()] == [("", 7), ("silver", 1)]
    out = StringIO()
    call_command(
        "analytics", "nps", "--survey", str(silver_li.pk), "--by", "tier", "--json", stdout=out
    )
    assert json.loads(out.getvalue()) == answer.json()
