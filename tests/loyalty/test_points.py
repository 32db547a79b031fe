import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kesheng.commerce.actions import cancel_order, refund_order
from kesheng.core.errors import Conflict, InvalidInput
from kesheng.loyalty.actions.ledger_runs import expire_points, release_pending_points
from kesheng.loyalty.actions.points import (
    NotEnoughPoints,
    adjust_points,
    earn_points_for_order,
    redeem_points,
    reverse_order_points,
)
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.models import PointsAccount, PointsLot, PointsTransaction
from kesheng.loyalty.programme import check_programme
from kesheng.loyalty.queries import get_member_points, verify_points_ledger
from tests.loyalty.conftest import NOW, programme_document

MEMBERS = "/api/v1/loyalty/members"
T0 = datetime(2026, 1, 10, 4, 0, tzinfo=UTC)


@pytest.fixture
def ledger(db):
    """The four tiers, 1 point per CNY, 2 per CNY more on beauty, member day ×2 on
    Wednesdays, 12 months' rolling expiry, 7 days' return window, 0.01 CNY a point."""
    document = programme_document(
        earn_rules=[
            {"code": "base", "points_per_cny": 1},
            {"code": "beauty", "points_per_cny": 2, "categories": ["beauty"], "cap": 500},
            {"code": "member-day", "multiplier": 2, "weekday": 3},
        ],
        expiry={"mode": "rolling", "months": 12},
        return_window_days=7,
        value_per_point=0.01,
    )
    return configure_programme(programme_settings=check_programme(document))


def give(customer_id, points, *, now, request_no=None, **fields):
    return adjust_points(
        customer_id=customer_id,
        request_no=request_no or f"give-{points}-{now:%m%d%H%M%S}",
        points=points,
        reason="goodwill",
        created_by="test",
        now=now,
        **fields,
    )


def state(customer_pk):
    account = PointsAccount.objects.get(customer_id=customer_pk)
    return (account.balance, account.pending, PointsTransaction.objects.count())


def test_a_paid_order_earns_pending_points_until_its_return_window_closes(
    ledger, customer, place_order, api_client
):
    ordered = NOW - timedelta(days=2)
    place_order("C001", "1200.00", ordered_at=ordered, order_id="A1")
    txn = PointsTransaction.objects.get()
    # 1200 base (the order made the customer silver: × 1.2), not a Wednesday unless it is.
    wednesday = ordered.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).isoweekday()
    expected = 2880 if wednesday == 3 else 1440
    assert (txn.kind, txn.points, txn.order_id, txn.request_no) == (
        "earn",
        expected,
        "A1",
        "order:A1:earn",
    )
    lot = PointsLot.objects.get()
    assert (lot.is_pending, lot.available_at) == (True, ordered + timedelta(days=7))
    body = api_client("loyalty:read").get(f"{MEMBERS}/C001").json()
    assert (body["tier"], body["balance"], body["pending"]) == ("silver", 0, expected)
    assert body["lots"] == [
        {
            "points": expected,
            "expires_at": (ordered + timedelta(days=7))
            .replace(year=ordered.year + 1)
            .isoformat()
            .replace("+00:00", "Z"),
            "pending": True,
        }
    ]
    later = ordered + timedelta(days=7, seconds=1)
    assert get_member_points(customer.pk, now=later).balance == expected
    run = release_pending_points(now=later)
    assert (run.members, run.lots, run.points) == (1, 1, expected)
    assert state(customer.pk) == (expected, 0, 1)


def test_the_same_order_earns_once(ledger, customer, place_order):
    place_order("C001", "100.00", order_id="A1")
    first = PointsTransaction.objects.get()
    again = earn_points_for_order(order_id="A1")
    assert (again.transaction_id, again.replayed) == (first.pk, True)
    assert PointsTransaction.objects.count() == 1


def test_a_cancelled_order_or_one_without_programme_earns_nothing(
    db, customer, place_order, ledger
):
    place_order("C001", "100.00", order_id="A1", status="cancelled")
    assert PointsTransaction.objects.count() == 0


def test_order_lines_by_category_earn_their_rule_with_its_cap(ledger, customer, place_order):
    monday = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    place_order(
        "C001",
        "400.00",
        ordered_at=monday,
        order_id="A1",
        lines=[
            {"sku": "LIP", "quantity": 2, "unit_price": "150.00", "category": "beauty"},
            {"sku": "TEA", "quantity": 1, "unit_price": "100.00", "category": "food"},
        ],
    )
    # base 400 + beauty 2 × 300 = 600 capped at 500; 900 × 1 (a monday order a year ago:
    # no tier from it, member multiplier 1).
    assert PointsTransaction.objects.get().points == 900


def test_redemption_takes_the_soonest_expiring_lots_first(ledger, customer):
    give("C001", 100, now=T0)
    give("C001", 50, now=T0 - timedelta(days=30))  # expires a month sooner
    result = redeem_points(customer_id="C001", request_no="R1", points=70, created_by="pos", now=T0)
    assert (result.points, result.balance) == (-70, 80)
    assert [(lot["points"]) for lot in result.lots] == [-50, -20]
    remaining = list(PointsLot.objects.order_by("expires_at").values_list("remaining", flat=True))
    assert remaining == [0, 80]
    assert verify_points_ledger() == []


def test_pending_and_expired_points_cannot_be_spent(ledger, customer, place_order):
    give("C001", 100, now=T0)  # expires T0 + 12 months
    before = state(customer.pk)
    with pytest.raises(NotEnoughPoints) as refused, translation.override("en"):
        redeem_points(
            customer_id="C001",
            request_no="R1",
            points=1,
            created_by="pos",
            now=T0 + timedelta(days=366),
        )
    assert refused.value.message == "not enough points: 0 can be spent, 1 asked"
    assert state(customer.pk) == before  # not even the expiry it applied stays

    place_order("C001", "100.00", order_id="A1")  # pending for 7 days
    with pytest.raises(NotEnoughPoints):
        redeem_points(customer_id="C001", request_no="R2", points=101, created_by="pos")
    assert (
        redeem_points(customer_id="C001", request_no="R3", points=100, created_by="pos").balance
        == 0
    )


def test_refusals_change_nothing(ledger, customer):
    give("C001", 100, now=T0)
    before = state(customer.pk)
    with pytest.raises(Conflict):
        redeem_points(
            customer_id="C001",
            request_no="R1",
            points=10,
            expected_balance=99,
            created_by="pos",
            now=T0,
        )
    with pytest.raises(NotEnoughPoints):
        give("C001", -101, now=T0, request_no="D1")
    with pytest.raises(InvalidInput) as bad:
        redeem_points(customer_id="C001", request_no="R 1", points=10, created_by="pos", now=T0)
    assert bad.value.errors[0].field == "request_no"
    with pytest.raises(InvalidInput) as no_reason:
        adjust_points(
            customer_id="C001", request_no="D2", points=5, reason=" ", created_by="x", now=T0
        )
    assert no_reason.value.errors[0].field == "reason"
    assert state(customer.pk) == before


def test_an_allowed_deduction_takes_pending_points_then_is_owed(ledger, customer, place_order):
    give("C001", 30, now=NOW)
    place_order("C001", "50.00", order_id="A1", ordered_at=NOW - timedelta(days=1))
    pending = PointsAccount.objects.get().pending
    result = give("C001", -100, now=NOW, request_no="D1", allow_negative=True)
    assert (result.balance, result.pending) == (-(70 - pending), 0)
    # Points earned later pay what is owed first.
    settled = give("C001", 200, now=NOW, request_no="G2")
    assert (settled.balance, settled.pending) == (200 - (70 - pending), 0)
    assert verify_points_ledger() == []


def test_a_refund_takes_back_pro_rata_and_spent_points_are_owed(ledger, customer, place_order):
    monday = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    place_order("C001", "200.00", ordered_at=monday, order_id="A1")  # 200 points, spendable
    redeem_points(customer_id="C001", request_no="R1", points=150, created_by="pos")
    partial = reverse_order_points(order_id="A1", refunded_amount=Decimal("50.00"), refund_no="F1")
    assert (partial.points, partial.balance) == (-50, 0)
    assert reverse_order_points(
        order_id="A1", refunded_amount=Decimal("50.00"), refund_no="F1"
    ).replayed
    rest = reverse_order_points(order_id="A1")
    assert (rest.points, rest.balance) == (-150, -150)
    assert reverse_order_points(order_id="A1").replayed
    assert PointsTransaction.objects.filter(kind="reverse").count() == 2
    assert verify_points_ledger() == []


def test_refunds_and_cancellations_in_commerce_take_the_points_back(
    ledger, customer, place_order, django_capture_on_commit_callbacks
):
    monday = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    place_order("C001", "200.00", ordered_at=monday, order_id="A1")  # 200 points
    place_order("C001", "100.00", ordered_at=monday, order_id="A2")  # 100 points
    with django_capture_on_commit_callbacks(execute=True):
        refund_order(order_id="A1", refund_id="F1", amount=Decimal("50.00"))
    with django_capture_on_commit_callbacks(execute=True):
        refund_order(order_id="A1", refund_id="F1", amount=Decimal("50.00"))  # a repeat
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(order_id="A2")
    reversed_points = dict(
        PointsTransaction.objects.filter(kind="reverse").values_list("order_id", "points")
    )
    assert reversed_points == {"A1": -50, "A2": -100}
    assert PointsAccount.objects.get(customer=customer).balance == 150
    assert verify_points_ledger() == []


def test_expire_runs_over_all_members_with_a_dry_run(ledger, customer, make_customer):
    other = make_customer("C002")
    give("C001", 100, now=T0)
    give("C002", 40, now=T0)
    give("C002", 60, now=T0 + timedelta(days=60))
    later = T0 + timedelta(days=370)
    dry = expire_points(now=later, dry_run=True)
    assert (dry.members, dry.lots, dry.points) == (2, 2, 140)
    assert PointsTransaction.objects.filter(kind="expire").count() == 0
    run = expire_points(now=later)
    assert (run.members, run.lots, run.points) == (2, 2, 140)
    assert expire_points(now=later).points == 0
    assert PointsAccount.objects.get(customer=customer).balance == 0
    assert PointsAccount.objects.get(customer=other).balance == 60
    assert verify_points_ledger() == []


def test_verify_finds_a_balance_edited_by_hand(ledger, customer, capsys):
    give("C001", 100, now=T0)
    with translation.override("en"):
        call_command("loyalty", "verify")
    assert "Every balance equals" in capsys.readouterr().out
    PointsAccount.objects.update(balance=90)
    with pytest.raises(CommandError) as failed:
        call_command("loyalty", "verify", "--json")
    assert failed.value.returncode == 1
    assert json.loads(capsys.readouterr().out) == {
        "differences": [
            {
                "customer_pk": customer.pk,
                "field": "balance",
                "stored": 90,
                "rebuilt": 100,
                "customer_id": "C001",
            }
        ]
    }


def test_liability_values_outstanding_points_by_expiry_month(ledger, customer, capsys):
    give("C001", 1000, now=T0)
    give("C001", 250, now=T0 + timedelta(days=40))
    call_command("loyalty", "liability", "--json")
    assert json.loads(capsys.readouterr().out) == {
        "currency": "CNY",
        "value_per_point": "0.01",
        "points": 1250,
        "value": "12.50",
        "owed_points": 0,
        "by_expiry_month": [
            {"month": "2027-01", "points": 1000, "value": "10.00"},
            {"month": "2027-02", "points": 250, "value": "2.50"},
        ],
    }
    call_command("loyalty", "expire", "--dry-run", "--json")
    assert json.loads(capsys.readouterr().out)["dry_run"] is True


# --- API ---------------------------------------------------------------------------------------


def test_adjust_and_redeem_through_the_api_once_per_request_no(ledger, customer, api_client):
    client = api_client("loyalty:write")
    added = client.post(
        f"{MEMBERS}/C001/adjust",
        {"request_no": "A-1", "points": 500, "reason": "complaint 42"},
        content_type="application/json",
    )
    assert added.status_code == 201
    assert (added.json()["kind"], added.json()["points"], added.json()["balance"]) == (
        "adjust",
        500,
        500,
    )
    body = {"request_no": "POS-1", "points": 120, "expected_balance": 500}
    first = client.post(f"{MEMBERS}/C001/redeem", body, content_type="application/json")
    again = client.post(f"{MEMBERS}/C001/redeem", body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["balance"] == 380
    assert again.json() == {**first.json(), "replayed": True}
    assert PointsAccount.objects.get().balance == 380
    assert first.json()["created_by"].startswith("api:")


def test_api_refusals_leave_the_balance_alone(ledger, customer, api_client):
    give("C001", 100, now=NOW)
    client = api_client("loyalty:write")

    def redeem(customer_id="C001", **body):
        return client.post(f"{MEMBERS}/{customer_id}/redeem", body, content_type="application/json")

    short = redeem(request_no="P1", points=101)
    assert (short.status_code, short.json()) == (
        422,
        {
            "detail": "not enough points: 100 can be spent, 101 asked",
            "errors": [
                {"field": "points", "reason": "not enough points: 100 can be spent, 101 asked"}
            ],
        },
    )
    stale = redeem(request_no="P2", points=10, expected_balance=90)
    assert (stale.status_code, stale.json()) == (
        409,
        {"detail": "the balance is 100, not the expected 90"},
    )
    assert redeem("nobody", request_no="P3", points=10).status_code == 404
    assert redeem(request_no="P4", points=0).json()["errors"][0]["field"] == "points"
    assert redeem(request_no="P5", points="10").status_code == 422
    assert redeem(request_no="", points=10).json()["errors"][0]["field"] == "request_no"
    reused = redeem(request_no=PointsTransaction.objects.get().request_no, points=10)
    assert reused.status_code == 409
    refused = api_client("loyalty:read").post(
        f"{MEMBERS}/C001/redeem", {"request_no": "P6", "points": 1}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert (PointsAccount.objects.get().balance, PointsTransaction.objects.count()) == (100, 1)


def test_the_customer_360_panel_shows_points_lots_and_transactions(
    ledger, customer, place_order, client
):
    from tests.staff_fixtures import create_staff_user

    place_order("C001", "1200.00", order_id="A1")
    give("C001", 25, now=NOW, request_no="G1")
    client.force_login(create_staff_user())
    html = client.get("/customers/C001/", headers={"Accept-Language": "en"}).content.decode()
    for text in ["Balance", "Pending", "Last points transactions", "goodwill", "A1", "+25"]:
        assert text in html, text
