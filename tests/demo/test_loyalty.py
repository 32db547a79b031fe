from datetime import UTC, datetime

from kesheng.demo.actions import load_demo_data
from kesheng.loyalty.models import PointsAccount, PointsTransaction
from kesheng.loyalty.queries import get_points_liability, verify_points_ledger

NOW = datetime(2026, 3, 15, 6, 30, tzinfo=UTC)


def test_the_demo_members_have_two_years_of_points_once(db):
    summary = load_demo_data(customer_count=40, seed=3, now=NOW)
    kinds = set(PointsTransaction.objects.values_list("kind", flat=True))
    assert summary.points_transactions == PointsTransaction.objects.count() > 0
    assert {"earn", "expire"} <= kinds
    assert PointsAccount.objects.count() > 0
    assert verify_points_ledger() == []
    assert get_points_liability(now=NOW)["points"] > 0
    again = load_demo_data(customer_count=40, seed=3, now=NOW)
    assert again.points_transactions == 0
    assert PointsTransaction.objects.count() == summary.points_transactions
