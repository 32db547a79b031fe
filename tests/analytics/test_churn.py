"""Churn early warning: the pure rules and classifier (``kesheng.analytics.churn``), the
scoring run that fills ``churn_risk`` and ``churn_reasons``, ``kesheng analytics churn``, the
churn-risk API and the customer-360 panel."""

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kesheng.analytics import churn
from kesheng.analytics.actions import score_customers
from kesheng.analytics.models import CustomerScore
from kesheng.analytics.queries import describe_churn_reasons
from kesheng.cases.actions import open_case
from kesheng.commerce.actions import prepare_orders, write_orders
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user
from tests.surveys.results_fixtures import add_completed_response, make_sample_survey

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 on 1 December in Shanghai
NAN = np.nan


def _indicators(**columns):
    """Indicators of len(customer_ids) customers, every column not given unknown or zero."""
    n = len(columns["customer_ids"])
    defaults = {
        "days_since_last_order": [NAN] * n,
        "usual_gap_days": [NAN] * n,
        "orders": [1] * n,
        "p_alive": [NAN] * n,
        "nps": [NAN] * n,
        "nps_change": [NAN] * n,
        "nps_days_ago": [NAN] * n,
        "csat": [NAN] * n,
        "csat_change": [NAN] * n,
        "csat_days_ago": [NAN] * n,
        "events_recent": [0] * n,
        "events_before": [0] * n,
        "complaints": [0] * n,
        "open_cases": [0] * n,
    }
    defaults.update(columns)
    return churn.Indicators(**{key: np.asarray(value) for key, value in defaults.items()})


# --- the pure rules ---------------------------------------------------------------------------


def test_order_rhythm_reads_the_gap_since_the_last_order_and_the_usual_gap():
    pks = np.array([1, 1, 1, 1, 1, 2, 3, 4, 4, 4])
    days = np.array(
        [
            *("2026-01-01", "2026-01-11", "2026-01-31", "2026-01-31", "2026-03-02"),
            *("2026-02-20", "2026-05-01", "2026-01-01", "2026-01-11", "2026-02-10"),
        ],
        dtype="datetime64[D]",
    )
    since, usual, orders = churn.order_rhythm(np.array([1, 2, 3, 4]), pks, days, "2026-04-11")
    # Customer 1: distinct days 1 Jan, 11 Jan, 31 Jan, 2 Mar: gaps 10, 20, 30, median 20.
    assert since.tolist()[:2] == [40.0, 50.0] and np.isnan(since[2]) and since[3] == 60.0
    assert usual[0] == 20.0 and np.isnan(usual[1]) and np.isnan(usual[2]) and usual[3] == 20.0
    assert orders.tolist() == [4, 1, 0, 3]


def test_latest_answers_give_the_last_score_its_change_and_its_age():
    pks = np.array([1, 1, 2, 1])
    days = np.array(["2026-03-01", "2026-03-05", "2026-03-02", "2026-04-01"], "datetime64[D]")
    values = np.array([9.0, 3.0, 8.0, 10.0])
    latest, change, ago = churn.latest_answers(np.array([1, 2, 3]), pks, days, values, "2026-03-25")
    assert latest[:2].tolist() == [3.0, 8.0] and np.isnan(latest[2])
    assert change[0] == -6.0 and np.isnan(change[1])
    assert ago[:2].tolist() == [20.0, 23.0]


def test_rules_score_and_name_the_top_reasons_with_numbers():
    indicators = _indicators(
        customer_ids=[1, 2, 3],
        days_since_last_order=[94, 10, 200],
        usual_gap_days=[30, 30, NAN],
        p_alive=[NAN, 0.9, 0.2],
        nps=[3, 9, NAN],
        nps_days_ago=[20, 5, NAN],
        csat=[NAN, NAN, 3],
        csat_change=[NAN, NAN, -2],
        csat_days_ago=[NAN, NAN, 5],
        events_recent=[0, 10, 1],
        events_before=[0, 10, 10],
        complaints=[2, 0, 0],
    )
    result = churn.rule_scores(indicators)
    # 1: overdue 1.0 x 0.25 + NPS (7-3)/7 x 0.25 + 2 complaints 1.0 x 0.20.
    # 2: nothing but 1 - P(alive) = 0.1, under the reason threshold: 0.1 x 0.15.
    # 3: overdue against everyone's median gap 30: 1.0 x 0.25, P(alive) 0.8 x 0.15,
    #    CSAT fell by 2: 1.0 x 0.25, events 1 against 10: 0.9 x 0.15.
    assert result.risk.tolist() == [0.5929, 0.015, 0.755]
    assert result.reasons == [
        [
            {"code": "overdue", "days": 94, "usual": 30},
            {"code": "complaints", "count": 2, "days": 90},
            {"code": "low_nps", "score": 3, "days": 20},
        ],
        [],
        [
            {"code": "overdue", "days": 200, "usual": 30},
            {"code": "csat_drop", "from": 5, "to": 3, "days": 5},
            {"code": "engagement_drop", "recent": 1, "before": 10, "days": 90},
        ],
    ]


def test_an_old_open_case_is_a_reason_when_there_is_no_recent_complaint():
    result = churn.rule_scores(
        _indicators(customer_ids=[1], days_since_last_order=[5], open_cases=[1])
    )
    assert result.risk.tolist() == [0.1]
    assert result.reasons == [[{"code": "open_cases", "count": 1}]]


def test_reasons_in_words():
    reasons = [
        {"code": "overdue", "days": 94, "usual": 30},
        {"code": "low_nps", "score": 3, "days": 20},
        {"code": "complaints", "count": 2, "days": 90},
        {"code": "complaints", "count": 1, "days": 90},
        {"code": "csat_drop", "from": 5, "to": 3, "days": 5},
        {"code": "engagement_drop", "recent": 1, "before": 10, "days": 90},
        {"code": "open_cases", "count": 1},
        {"code": "low_p_alive", "percent": 12},
        {"code": "low_csat", "score": 1, "days": 0},
        {"code": "something_new"},
    ]
    with translation.override("en"):
        assert describe_churn_reasons(reasons) == [
            "no order for 94 days, usually every 30",
            "gave NPS 3 20 days ago",
            "2 complaints in the last 90 days",
            "1 complaint in the last 90 days",
            "CSAT fell from 5 to 3",
            "1 interactions in the last 90 days, 10 in the 90 before",
            "1 case still open",
            "12 % likely to buy again",
            "gave CSAT 1 today",
            "something_new",
        ]


# --- the classifier path ----------------------------------------------------------------------


def test_auc_and_lift_by_hand():
    assert churn.auc(np.array([1, 0, 1, 0]), np.array([0.9, 0.1, 0.8, 0.3])) == 1.0
    assert churn.auc(np.array([1, 0]), np.array([0.5, 0.5])) == 0.5
    labels = np.array([1, 1, 1, 1, 1] + [0] * 15)
    scores = np.linspace(1, 0, 20)
    assert churn.lift_at_top_decile(labels, scores) == 4.0


def _synthetic(rng, n):
    """Customers whose churn depends on how overdue they are and on their NPS."""
    usual = rng.uniform(10, 40, n)
    since = usual * rng.uniform(0.1, 4.0, n)
    nps = rng.integers(0, 11, n).astype(float)
    signal = 1.5 * (since / usual - 1.5) - 0.3 * (nps - 6)
    labels = rng.random(n) < 1 / (1 + np.exp(-signal))
    indicators = _indicators(
        customer_ids=np.arange(n),
        days_since_last_order=since,
        usual_gap_days=usual,
        orders=rng.integers(2, 10, n),
        nps=nps,
        nps_days_ago=np.full(n, 10.0),
    )
    return churn.features(indicators), labels


def test_the_classifier_finds_a_known_signal_on_a_later_period():
    rng = np.random.default_rng(7)
    x_train, y_train = _synthetic(rng, 1000)
    x_test, y_test = _synthetic(rng, 1000)
    result = churn.train_classifier(x_train, y_train, x_test, y_test)
    assert result.auc > 0.75
    assert result.lift_top_decile > 1.5
    assert result.to_json()["test_customers"] == 1000
    assert result.predict(x_test).shape == (1000,)


def test_the_classifier_needs_enough_history():
    many = np.array([True] * 50 + [False] * 200)
    assert churn.has_enough_history("2026-01-01", "2026-06-01", many, many) == (
        False,
        "history_too_short",
    )
    assert churn.has_enough_history("2025-01-01", "2026-06-01", many[:150], many) == (
        False,
        "too_few_customers",
    )
    few_churners = np.array([True] * 5 + [False] * 245)
    assert churn.has_enough_history("2025-01-01", "2026-06-01", many, few_churners) == (
        False,
        "too_few_churners_or_stayers",
    )
    assert churn.has_enough_history("2025-01-01", "2026-06-01", many, many) == (True, "")


# --- the scoring run ----------------------------------------------------------------------------


def _orders(rows):
    """rows: (order_id, customer_id, days before NOW, amount)."""
    items = [
        {
            "order_id": order_id,
            "customer_id": customer_id,
            "ordered_at": (NOW - timedelta(days=days)).isoformat(),
            "amount": str(amount),
            "channel": "web",
            "status": "completed",
        }
        for order_id, customer_id, days, amount in rows
    ]
    result = write_orders(prepare_orders(items), emit_each=False)
    assert not result.rejected


@pytest.fixture
def unhappy(make_customer):
    """C1 orders every 10 days; C2 ordered once 100 days ago, complained 10 days ago and gave
    NPS 3 twenty days ago; C3 ordered 6 days ago."""
    customers = {customer_id: make_customer(customer_id) for customer_id in ("C1", "C2", "C3")}
    _orders(
        [
            ("o1", "C1", 1, "100.00"),
            ("o2", "C1", 11, "50.00"),
            ("o3", "C2", 100, "20.00"),
            ("o5", "C3", 6, "30.00"),
        ]
    )
    open_case(category="complaint", customer=customers["C2"], now=NOW - timedelta(days=10))
    survey = make_sample_survey()
    add_completed_response(
        survey, {"nps": 3}, customer=customers["C2"], completed_at=NOW - timedelta(days=20)
    )


def test_scoring_fills_the_churn_risk_and_reasons_by_the_rules(unhappy):
    summary = score_customers(now=NOW)
    assert summary.churn["method"] == "rules"
    assert summary.churn["fallback_reason"] == "history_too_short"
    assert summary.churn["at_risk"] == 1
    c2 = CustomerScore.objects.get(customer__customer_id="C2")
    # Overdue against the only usual gap (C1's 10 days): 0.25; one complaint, still open:
    # 0.20; NPS 3: 4/7 x 0.25.
    assert c2.churn_risk == 0.5929
    assert c2.churn_method == "rules"
    assert c2.churn_reasons == [
        {"code": "overdue", "days": 100, "usual": 10},
        {"code": "complaints", "count": 1, "days": 90},
        {"code": "low_nps", "score": 3, "days": 20},
    ]
    assert CustomerScore.objects.get(customer__customer_id="C3").churn_risk == 0.0
    # RFM is still there.
    assert c2.segment == "lost"


@pytest.fixture
def history(make_customer):
    """300 customers ordering every 10-40 days over 400 days; half keep ordering, the other
    half stop at a random day: who stops is known, and stopping shows as being overdue."""
    rng = np.random.default_rng(11)
    rows = []
    for index in range(300):
        customer_id = f"H{index:03d}"
        make_customer(customer_id)
        gap = int(rng.integers(10, 41))
        stop = 0 if index % 2 else int(rng.integers(0, 400))
        for number, day in enumerate(range(400, stop - 1, -gap)):
            rows.append((f"{customer_id}-{number}", customer_id, day, "20.00"))
    _orders(rows)


def test_scoring_uses_the_classifier_when_the_history_supports_it(history):
    summary = score_customers(now=NOW)
    report = summary.churn
    assert report["method"] == "classifier", report
    assert report["fallback_reason"] is None
    assert report["evaluation"]["auc"] > 0.8
    assert report["evaluation"]["lift_top_decile"] > 1.5
    scores = CustomerScore.objects.filter(churn_method="classifier")
    assert scores.count() == 300
    assert all(0.0 <= risk <= 1.0 for risk in scores.values_list("churn_risk", flat=True))


# --- CLI, API, the 360 page -----------------------------------------------------------------------


def test_cli_churn_lists_the_riskiest_first_in_json(unhappy, capsys):
    score_customers(now=NOW)
    with translation.override("en"):
        call_command("analytics", "churn", "--top", "2", "--json")
    rows = json.loads(capsys.readouterr().out)
    assert rows == [
        {
            "customer_id": "C2",
            "churn_risk": 0.5929,
            "reasons": [
                "no order for 100 days, usually every 10",
                "1 complaint in the last 90 days",
                "gave NPS 3 20 days ago",
            ],
            "method": "rules",
        },
        {"customer_id": "C1", "churn_risk": 0.0, "reasons": [], "method": "rules"},
    ]


def test_cli_churn_refuses_a_bad_top_with_exit_2(unhappy):
    with pytest.raises(CommandError) as refused:
        call_command("analytics", "churn", "--top", "0")
    assert refused.value.returncode == 2
    assert "--top" in str(refused.value)


def test_api_churn_risk(unhappy, api_client):
    score_customers(now=NOW)
    client = api_client("customers:read")
    response = client.get("/api/v1/analytics/churn-risk?top=1")
    assert response.status_code == 200
    assert response.json() == [
        {
            "customer_id": "C2",
            "churn_risk": 0.5929,
            "reasons": [
                "no order for 100 days, usually every 10",
                "1 complaint in the last 90 days",
                "gave NPS 3 20 days ago",
            ],
            "method": "rules",
        }
    ]
    scores = client.get("/api/v1/customers/C2/scores").json()
    assert scores["churn_risk"] == 0.5929
    assert scores["churn_reasons"][0] == "no order for 100 days, usually every 10"
    assert scores["churn_reason_codes"][0] == {"code": "overdue", "days": 100, "usual": 10}
    assert scores["churn_method"] == "rules"


def test_api_churn_risk_refuses_a_bad_top_and_a_missing_scope(unhappy, api_client):
    bad = api_client("customers:read").get("/api/v1/analytics/churn-risk?top=abc")
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"field": "top", "reason": "a whole number from 1 to 1000"}]
    assert api_client("orders:write").get("/api/v1/analytics/churn-risk").status_code == 403


def test_the_360_page_shows_the_churn_risk_and_reasons(unhappy, client):
    score_customers(now=NOW)
    create_staff_user("analyst.wu", role="analyst")
    client.login(username="analyst.wu", password=STAFF_PASSWORD)
    html = client.get("/customers/C2/", headers={"Accept-Language": "en"}).content.decode()
    assert "Churn risk" in html and "59 %" in html
    assert "no order for 100 days, usually every 10" in html
    assert "gave NPS 3 20 days ago" in html


def test_cli_score_says_which_churn_method_and_churn_prints_a_table(unhappy, capsys, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    with translation.override("en"):
        call_command("analytics", "score")
        scored = capsys.readouterr().out
        call_command("analytics", "churn", "--top", "1")
        listed = capsys.readouterr().out
    assert "Churn risk from the rules (history_too_short); 1 customers at risk." in scored
    assert listed.startswith("C2")
    assert "0.59  no order for 100 days, usually every 10; 1 complaint in the last 90 days" in (
        listed
    )
