"""Stored customer scores: ``score_customers`` (RFM and CLV), ``kesheng analytics
score|rfm|clv``, the scores API and the customer-360 panel."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kesheng.analytics import clv
from kesheng.analytics.actions import score_customers
from kesheng.analytics.models import CustomerScore
from kesheng.commerce.actions import prepare_orders, write_orders
from kesheng.customers.actions import merge_customers
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 on 1 December in Shanghai


def _orders(rows):
    """rows: (order_id, customer_id, days before NOW, amount, status)."""
    items = [
        {
            "order_id": order_id,
            "customer_id": customer_id,
            "ordered_at": (NOW - timedelta(days=days)).isoformat(),
            "amount": str(amount),
            "channel": "web",
            "status": status,
        }
        for order_id, customer_id, days, amount, status in rows
    ]
    result = write_orders(prepare_orders(items), emit_each=False)
    assert not result.rejected


@pytest.fixture
def few(make_customer):
    for customer_id in ("C1", "C2", "C3", "C4"):
        make_customer(customer_id)
    _orders(
        [
            ("o1", "C1", 1, "100.00", "completed"),
            ("o2", "C1", 11, "50.00", "placed"),
            ("o3", "C2", 100, "20.00", "completed"),
            ("o4", "C3", 2, "999.00", "cancelled"),
            ("o5", "C3", 6, "30.00", "completed"),
        ]
    )


@pytest.fixture
def many(make_customer):
    """60 customers with 1-6 orders each over a year, each stopping at some point and with
    their own spend level, drawn with a seed for which both models converge."""
    rng = np.random.default_rng(3)
    rows = []
    for index in range(60):
        customer_id = f"M{index:02d}"
        make_customer(customer_id)
        first = int(rng.integers(200, 360))
        stop = int(rng.integers(0, first))
        count = int(rng.integers(1, 7))
        level = float(rng.gamma(3.0, 30.0))
        days = sorted({first, *rng.integers(stop, first + 1, count - 1).tolist()}, reverse=True)
        for number, day in enumerate(days):
            amount = Decimal(str(round(float(rng.gamma(6.0, level / 6)) + 1, 2)))
            rows.append((f"{customer_id}-{number}", customer_id, day, amount, "completed"))
    _orders(rows)


def _score(customer_id):
    return CustomerScore.objects.get(customer__customer_id=customer_id)


def test_scores_few_customers_by_hand_and_says_why_clv_is_empty(few):
    summary = score_customers(now=NOW)
    assert (summary.customers, summary.orders) == (3, 4)
    assert summary.clv_error["code"] == "too_few_repeat_buyers"
    assert summary.segments["loyal"] == 1 and summary.segments["lost"] == 1
    rows = {
        customer_id: (
            s.recency_days,
            s.frequency,
            s.monetary,
            s.r,
            s.f,
            s.m,
            s.segment,
            s.p_alive,
            s.clv,
        )
        for customer_id in ("C1", "C2", "C3")
        for s in [_score(customer_id)]
    }
    assert rows == {
        "C1": (1, 2, Decimal("150.00"), 4, 4, 4, "loyal", None, None),
        "C2": (100, 1, Decimal("20.00"), 1, 1, 1, "lost", None, None),
        # The cancelled order counts for nothing.
        "C3": (6, 1, Decimal("30.00"), 2, 1, 2, "hibernating", None, None),
    }
    assert not CustomerScore.objects.filter(customer__customer_id="C4").exists()
    assert _score("C1").computed_at == NOW
    assert _score("C1").churn_reasons == []


def test_scoring_again_replaces_every_row(few):
    score_customers(now=NOW)
    score_customers(now=NOW + timedelta(days=10))
    assert CustomerScore.objects.count() == 3
    assert _score("C1").recency_days == 11


def test_scores_p_alive_and_clv_from_one_fit_on_every_customer(many):
    summary = score_customers(now=NOW)
    assert summary.clv_error is None
    assert summary.customers == 60
    # The same numbers as the models fitted directly on the same orders.
    from kesheng.commerce.queries import list_kept_order_arrays

    orders = list_kept_order_arrays(currency="CNY", end=NOW)
    data = clv.summarise_orders(
        orders.customer_pks, orders.order_dates, orders.amounts, end="2026-12-01"
    )
    bgnbd = clv.fit_bgnbd(data.x, data.t_x, data.T)
    spend = clv.fit_gamma_gamma(data.x, data.monetary)
    p_alive = clv.probability_alive(bgnbd, data.x, data.t_x, data.T)
    values = clv.customer_lifetime_value(
        bgnbd, spend, data.x, data.t_x, data.T, data.monetary, period_days=1.0
    )
    stored = {row.customer_id: row for row in CustomerScore.objects.all()}
    for i, pk in enumerate(data.customer_ids.tolist()):
        assert stored[pk].p_alive == pytest.approx(float(p_alive[i]), abs=1e-12)
        assert stored[pk].clv == Decimal(str(round(float(values[i]), 2))).quantize(Decimal("0.01"))
    assert summary.bgnbd == bgnbd.params


def test_merging_customers_drops_both_scores(few):
    score_customers(now=NOW)
    merge_customers(
        surviving=_score("C1").customer, merged=_score("C2").customer, reason="same person"
    )
    assert CustomerScore.objects.count() == 1
    assert _score("C3").segment == "hibernating"


# --- CLI -----------------------------------------------------------------------------------


def _json_of(capsys, *args):
    call_command("analytics", *args, "--json")
    return json.loads(capsys.readouterr().out)


def test_cli_score_and_rfm(few, capsys, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    scored = _json_of(capsys, "score")
    assert scored["customers"] == 3
    assert scored["clv_error"]["code"] == "too_few_repeat_buyers"
    rfm = _json_of(capsys, "rfm")
    assert rfm["customers"] == 3
    by_key = {row["segment"]: row for row in rfm["segments"]}
    assert len(rfm["segments"]) == 11
    assert by_key["loyal"]["customers"] == 1
    assert by_key["loyal"]["monetary"] == 150.0
    assert by_key["champions"]["customers"] == 0


def test_cli_clv_prints_the_fit_and_the_holdout(many, capsys, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    report = _json_of(capsys, "clv", "--period", "week", "--horizon", "6")
    assert set(report["bgnbd"]) == {"r", "alpha", "a", "b"}
    assert set(report["gamma_gamma"]) == {"p", "q", "gamma"}
    assert set(report["standard_errors"]) == {"bgnbd", "gamma_gamma"}
    assert set(report["log_likelihood"]) == {"bgnbd", "gamma_gamma"}
    assert report["period"] == "week" and report["horizon_months"] == 6
    assert report["customers"] == 60
    assert report["holdout"]["holdout_end"] == "2026-12-01"


def test_cli_clv_exits_2_with_the_reason_when_data_cannot_support_a_fit(few):
    with pytest.raises(CommandError) as refused:
        call_command("analytics", "clv", "--json")
    assert refused.value.returncode == 2
    assert "只有 1 位客户购买过不止一次" in str(refused.value)


def test_cli_clv_refuses_bad_options_with_exit_2(few):
    with pytest.raises(CommandError) as refused:
        call_command("analytics", "clv", "--period", "month", "--horizon", "0")
    assert refused.value.returncode == 2
    assert "--period" in str(refused.value) and "--horizon" in str(refused.value)


# --- API -----------------------------------------------------------------------------------


def test_api_scores_of_a_customer(few, api_client):
    score_customers(now=NOW)
    response = api_client("customers:read").get("/api/v1/customers/C1/scores")
    assert response.status_code == 200
    body = response.json()
    assert body["customer_id"] == "C1"
    assert body["rfm"]["r"] == 4 and body["rfm"]["f"] == 4 and body["rfm"]["m"] == 4
    assert body["rfm"]["segment"] == "loyal"
    assert body["rfm"]["segment_label"] == "Loyal"
    assert body["p_alive"] is None and body["clv"] is None and body["churn_risk"] == 0.0
    assert body["churn_reasons"] == []
    assert body["computed_at"].startswith("2026-12-01T04:00:00")


def test_api_scores_of_a_customer_not_scored_are_null(few, api_client):
    score_customers(now=NOW)
    body = api_client("customers:read").get("/api/v1/customers/C4/scores").json()
    assert body["rfm"] is None and body["computed_at"] is None and body["customer_id"] == "C4"


def test_api_scores_refusals(few, api_client):
    from django.test import Client

    assert Client().get("/api/v1/customers/C1/scores").status_code == 401
    assert api_client("orders:write").get("/api/v1/customers/C1/scores").status_code == 403
    missing = api_client("customers:read").get("/api/v1/customers/NOPE/scores")
    assert missing.status_code == 404
    assert "NOPE" in missing.json()["detail"]


def test_api_rfm_segments(few, api_client):
    score_customers(now=NOW)
    response = api_client("customers:read").get("/api/v1/analytics/rfm")
    assert response.status_code == 200
    body = response.json()
    assert body["customers"] == 3
    assert [row["segment"] for row in body["segments"]][:3] == [
        "champions",
        "loyal",
        "potential_loyalists",
    ]
    assert api_client("orders:write").get("/api/v1/analytics/rfm").status_code == 403


# --- the customer-360 page ------------------------------------------------------------------


def test_the_360_page_shows_the_scores_panel(few, client):
    score_customers(now=NOW)
    create_staff_user("analyst.wu", role="analyst")
    client.login(username="analyst.wu", password=STAFF_PASSWORD)
    page = client.get("/customers/C1/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Loyal" in html and "R4 F4 M4" in html
    empty = client.get("/customers/C4/", headers={"Accept-Language": "en"}).content.decode()
    assert "No scores yet" in empty


def test_a_customer_whose_first_order_is_today_gets_rfm_and_waits_for_clv(many, make_customer):
    make_customer("NEW")
    _orders([("new-1", "NEW", 0, "80.00", "completed")])
    summary = score_customers(now=NOW)
    assert summary.clv_error is None
    new = _score("NEW")
    assert (new.recency_days, new.frequency, new.segment) == (0, 1, "new")
    assert (new.p_alive, new.expected_purchases, new.clv) == (None, None, None)
    assert _score("M00").p_alive is not None
