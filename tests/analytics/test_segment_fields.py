"""Segment rules on the stored scores: the RFM segment, the R/F/M scores and the churn risk
select exactly the customers whose last scoring run says so (a campaign's audience uses them)."""

from datetime import UTC, datetime, timedelta

from kesheng.analytics.actions import score_customers
from kesheng.analytics.models import CustomerScore
from kesheng.commerce.actions import prepare_orders, write_orders
from kesheng.customers.models import Customer
from kesheng.customers.segments import compile_rules, validate_rules

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def _members(rules: dict) -> set[str]:
    checked = validate_rules(rules)
    return set(
        Customer.objects.filter(compile_rules(checked, now=NOW)).values_list(
            "customer_id", flat=True
        )
    )


def test_score_fields_select_the_scored_customers(make_customer):
    items = []
    for index in range(12):
        make_customer(f"S{index:02d}")
        for number in range(1 + index % 4):
            items.append(
                {
                    "order_id": f"S{index:02d}-{number}",
                    "customer_id": f"S{index:02d}",
                    "ordered_at": (NOW - timedelta(days=10 + 40 * index + number)).isoformat(),
                    "amount": str(50 + 30 * index),
                    "channel": "web",
                }
            )
    make_customer("NEVER")  # no orders, never scored
    assert not write_orders(prepare_orders(items), emit_each=False).rejected
    score_customers(now=NOW)
    scores = {
        score.customer.customer_id: score
        for score in CustomerScore.objects.select_related("customer")
    }
    assert _members({"all": [{"field": "analytics.rfm_r", "op": "gte", "value": 3}]}) == {
        customer_id for customer_id, score in scores.items() if score.r >= 3
    }
    assert _members({"all": [{"field": "analytics.rfm_m", "op": "between", "value": [2, 4]}]}) == {
        customer_id for customer_id, score in scores.items() if 2 <= score.m <= 4
    }
    segments = sorted({score.segment for score in scores.values()})[:2]
    assert _members(
        {"all": [{"field": "analytics.rfm_segment", "op": "in", "value": segments}]}
    ) == {customer_id for customer_id, score in scores.items() if score.segment in segments}
    assert "NEVER" not in _members({"all": [{"field": "analytics.rfm_f", "op": "gte", "value": 1}]})


def test_an_unknown_rfm_segment_is_refused(db):
    import pytest

    from kesheng.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        validate_rules({"all": [{"field": "analytics.rfm_segment", "op": "eq", "value": "vips"}]})
    assert refused.value.errors[0].field.startswith("rules.all[0]")
