from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from kesheng.commerce.actions import prepare_orders, record_orders, write_orders
from kesheng.core.models import DomainEvent
from kesheng.customers.actions import merge_customers
from kesheng.loyalty.actions.tiers import review_tiers, upgrade_after_order, upgrade_tiers
from kesheng.loyalty.models import Membership, Programme, TierChange
from tests.loyalty.conftest import NOW


def _tier(customer) -> str | None:
    membership = Membership.objects.filter(customer=customer).select_related("tier").first()
    return None if membership is None else membership.tier.code


def _history(customer) -> list[tuple]:
    return [
        (change.from_tier.code if change.from_tier else None, change.to_tier.code, change.reason)
        for change in TierChange.objects.filter(customer=customer).order_by("changed_at", "pk")
    ]


def test_an_order_that_crosses_a_threshold_upgrades_at_once(programme, customer, place_order):
    place_order("C001", "600.00", ordered_at=NOW - timedelta(days=3))
    assert _tier(customer) == "member"
    place_order("C001", "400.00", ordered_at=NOW - timedelta(days=1))
    assert _tier(customer) == "silver"
    assert _history(customer) == [(None, "member", "initial"), ("member", "silver", "upgrade")]
    assert Membership.objects.get(customer=customer).qualified_value == Decimal("1000.00")
    events = list(
        DomainEvent.objects.filter(name="loyalty.tier_changed").values_list("payload", flat=True)
    )
    assert [(e["customer_id"], e["from_tier"], e["to_tier"], e["reason"]) for e in events] == [
        ("C001", None, "member", "initial"),
        ("C001", "member", "silver", "upgrade"),
    ]
    assert events[1]["qualifying_value"] == "1000.00"


def test_cancelled_orders_and_orders_older_than_twelve_months_do_not_count(
    programme, customer, place_order
):
    place_order("C001", "900.00", status="cancelled")
    place_order("C001", "5000.00", ordered_at=NOW - timedelta(days=400))
    place_order("C001", "100.00", ordered_at=datetime.now(UTC) - timedelta(days=1))
    assert _tier(customer) == "member"


def test_the_same_event_twice_changes_nothing(programme, customer, place_order):
    place_order("C001", "1200.00", ordered_at=datetime.now(UTC) - timedelta(hours=1))
    payload = DomainEvent.objects.get(name="order.placed").payload
    upgrade_after_order(payload)
    upgrade_after_order(payload)
    assert _history(customer) == [(None, "silver", "initial")]


def test_an_import_upgrades_every_customer_in_one_pass(
    programme, make_customer, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for number in range(1, 4):
        make_customer(f"C{number}")
    now = datetime.now(UTC)
    items = [
        {
            "order_id": f"I{n}",
            "customer_id": customer_id,
            "amount": amount,
            "ordered_at": (now - timedelta(days=n)).isoformat(),
            "channel": "web",
        }
        for n, (customer_id, amount) in enumerate(
            [("C1", "600"), ("C1", "600"), ("C2", "5000"), ("C3", "20"), ("C2", "16000")], 1
        )
    ]
    with django_capture_on_commit_callbacks(execute=True):
        write_orders(prepare_orders(items), emit_each=False)
    tiers = dict(Membership.objects.values_list("customer__customer_id", "tier__code"))
    assert tiers == {"C1": "silver", "C2": "diamond", "C3": "member"}
    assigned = DomainEvent.objects.get(name="loyalty.tiers_assigned").payload
    assert assigned == {"count": 3, "tiers": {"silver": 1, "diamond": 1, "member": 1}}
    # a second pass is a fixed number of queries whatever the number of customers
    with django_assert_max_num_queries(8):
        run = upgrade_tiers()
    assert (run.evaluated, run.assigned, run.upgraded) == (3, 0, 0)


def _gold_member(customer, place_order):
    place_order("C001", "6000.00", ordered_at=NOW - timedelta(days=300))
    assert _tier(customer) == "gold"


def test_a_member_goes_down_only_at_a_review_after_the_grace_period(
    programme, customer, place_order
):
    _gold_member(customer, place_order)  # at NOW - 300 days; the order leaves the window
    later = NOW + timedelta(days=70)  # the order is out of the window
    assert upgrade_tiers(customer_pks=[customer.pk], now=later).downgraded == 0
    assert _tier(customer) == "gold"

    run = review_tiers(now=later)  # first review ever: due
    assert (run.reviewed, run.grace_started, run.downgraded) == (True, 1, 0)
    membership = Membership.objects.get(customer=customer)
    assert (membership.tier.code, membership.grace_ends_at) == ("gold", later + timedelta(days=30))

    # the next day (a review or not): the grace has not ended
    assert review_tiers(now=later + timedelta(days=1)).downgraded == 0
    assert _tier(customer) == "gold"

    run = review_tiers(now=later + timedelta(days=31))  # daily run after the grace period
    assert run.downgraded == 1
    membership = Membership.objects.get(customer=customer)
    assert (membership.tier.code, membership.grace_ends_at) == ("member", None)
    assert _history(customer)[-1] == ("gold", "member", "downgrade")
    event = DomainEvent.objects.filter(name="loyalty.tier_changed").latest("pk").payload
    assert (event["from_tier"], event["to_tier"], event["reason"]) == (
        "gold",
        "member",
        "downgrade",
    )


def test_qualifying_again_during_the_grace_period_keeps_the_tier(programme, customer, place_order):
    _gold_member(customer, place_order)
    later = NOW + timedelta(days=70)
    review_tiers(now=later)
    # recorded without dispatching order.placed: its handler decides at the real time
    record_orders(
        items=[
            {
                "order_id": "again",
                "customer_id": "C001",
                "amount": "5200.00",
                "ordered_at": (later - timedelta(days=1)).isoformat(),
                "channel": "web",
            }
        ]
    )
    run = upgrade_tiers(customer_pks=[customer.pk], now=later + timedelta(days=2))
    assert run.grace_cleared == 1
    assert review_tiers(now=later + timedelta(days=40)).downgraded == 0
    membership = Membership.objects.get(customer=customer)
    assert (membership.tier.code, membership.grace_ends_at) == ("gold", None)


def test_without_a_grace_period_a_review_downgrades_at_once(customer, place_order, db):
    from kesheng.loyalty.actions.programme import configure_programme
    from kesheng.loyalty.programme import check_programme
    from tests.loyalty.conftest import programme_document

    configure_programme(
        programme_settings=check_programme(
            programme_document(review={"period": "monthly", "grace_days": 0})
        )
    )
    _gold_member(customer, place_order)
    run = review_tiers(now=NOW + timedelta(days=70))
    assert (run.grace_started, run.downgraded) == (0, 1)
    assert _tier(customer) == "member"


def test_recalc_tiers_reviews_every_customer_now(programme, make_customer, capsys):
    make_customer("C1")
    make_customer("C2")
    call_command("loyalty", "recalc-tiers", "--json")
    import json

    out = json.loads(capsys.readouterr().out)
    assert (out["reviewed"], out["evaluated"], out["assigned"], out["by_tier"]) == (
        True,
        2,
        2,
        {"member": 2},
    )
    assert Programme.objects.get().last_reviewed_at is not None


def test_recalc_tiers_without_a_programme_exits_2(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError) as refused:
        call_command("loyalty", "recalc-tiers")
    assert refused.value.returncode == 2


def test_a_merge_keeps_the_higher_tier_and_records_why(
    programme, make_customer, place_order, django_capture_on_commit_callbacks
):
    silver = make_customer("C1")
    gold = make_customer("C2")
    recent = datetime.now(UTC) - timedelta(days=2)
    place_order("C1", "1500.00", ordered_at=recent)
    place_order("C2", "5500.00", ordered_at=recent)
    with django_capture_on_commit_callbacks(execute=True):
        merge_customers(surviving=silver, merged=gold, reason="same phone")
    assert _tier(silver) == "gold"
    assert Membership.objects.count() == 1
    assert _history(silver)[-1] == ("silver", "gold", "merge")
    # both members' history is kept on the surviving profile
    assert TierChange.objects.filter(customer=silver).count() == 3
