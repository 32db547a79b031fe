from datetime import UTC, datetime

from kesheng.demo.actions import load_demo_data
from kesheng.loyalty.models import Membership, TierChange

NOW = datetime(2026, 3, 15, 6, 30, tzinfo=UTC)


def test_demo_customers_get_their_tiers_once(db):
    summary = load_demo_data(customer_count=200, seed=3, now=NOW)
    assert sum(summary.loyalty_tiers.values()) == 200 == Membership.objects.count()
    assert set(summary.loyalty_tiers) <= {"member", "silver", "gold", "diamond"}
    assert summary.loyalty_tiers["member"] < 200  # some customers spent their way up
    again = load_demo_data(customer_count=200, seed=3, now=NOW)
    assert again.loyalty_tiers == {}
    assert TierChange.objects.count() == 200
