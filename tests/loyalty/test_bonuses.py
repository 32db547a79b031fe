from datetime import date, timedelta

import pytest
from django.utils import timezone

from kesheng.core.events import subscribers_of
from kesheng.customers.actions import CustomerRecord, upsert_customer
from kesheng.feedback.actions import record_feedback
from kesheng.loyalty.actions.bonuses import bonus_after_response
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.models import PointsAccount, PointsLot, PointsTransaction
from kesheng.loyalty.programme import ProgrammeFileError, check_programme
from tests.loyalty.conftest import NOW, programme_document

BONUS_RULES = [
    {"code": "survey", "event": "survey_completed", "points": 50, "max_per_member": 2},
    {"code": "review", "event": "review_written", "points": 30},
    {"code": "profile", "event": "profile_completed", "points": 100},
    {"code": "first", "event": "first_order", "points": 200},
    {"code": "old", "event": "survey_completed", "points": 999, "ends": "2020-01-31"},
]
EARN_RULES = [
    {"code": "base", "points_per_cny": 1},
    {"code": "birthday", "multiplier": 2, "birthday_month": True, "cap": 300},
]


@pytest.fixture
def bonuses(db):
    configure_programme(
        programme_settings=check_programme(
            programme_document(bonus_rules=BONUS_RULES, earn_rules=EARN_RULES)
        )
    )


def earned(customer_id: str = "C001") -> list[tuple[str, int]]:
    return list(
        PointsTransaction.objects.filter(customer__customer_id=customer_id)
        .order_by("pk")
        .values_list("request_no", "points")
    )


def test_a_completed_survey_earns_once_per_response_up_to_the_members_limit(bonuses, customer):
    assert bonus_after_response in subscribers_of("response.completed")
    for response_id in (1, 1, 2, 3):
        bonus_after_response({"response_id": response_id, "customer_pk": customer.pk})
    assert earned() == [("bonus:survey:response:1", 50), ("bonus:survey:response:2", 50)]
    assert PointsAccount.objects.get().balance == 100


def test_an_anonymous_response_earns_nothing(bonuses, customer):
    bonus_after_response({"response_id": 1, "customer_pk": None})
    assert earned() == []


def test_a_review_earns_once_through_the_feedback_event(
    bonuses, customer, django_capture_on_commit_callbacks
):
    review = {"source": "review", "source_id": "r1", "text": "很好", "customer_id": "C001"}
    other = {"source": "call", "source_id": "c1", "text": "请回电", "customer_id": "C001"}
    for _round in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            record_feedback(items=[review, other])
    assert len(earned()) == 1
    request_no, points = earned()[0]
    assert request_no.startswith("bonus:review:review:") and points == 30


def test_a_completed_profile_earns_once(bonuses, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upsert_customer(record=CustomerRecord(customer_id="C001", name="王芳"))
    assert earned() == []
    fields = {"gender": "female", "birthday": date(1990, 1, 2), "city": "上海"}
    with django_capture_on_commit_callbacks(execute=True):
        customer = upsert_customer(record=CustomerRecord(customer_id="C001", **fields)).customer
    with django_capture_on_commit_callbacks(execute=True):
        upsert_customer(record=CustomerRecord(customer_id="C001", city="北京"))
    assert earned() == [(f"bonus:profile:profile:{customer.pk}", 100)]


def test_the_first_order_earns_its_bonus_pending_like_the_order(bonuses, customer, place_order):
    place_order("C001", "10.00", ordered_at=NOW - timedelta(hours=1))
    place_order("C001", "10.00")
    assert sorted(earned()) == sorted(
        [
            ("order:O1:earn", 10),
            ("order:O2:earn", 10),
            (f"bonus:first:first-order:{customer.pk}", 200),
        ]
    )
    lot = PointsLot.objects.get(earned_by__request_no__startswith="bonus:first")
    assert lot.is_pending and lot.available_at == NOW - timedelta(hours=1) + timedelta(days=7)


def test_the_birthday_month_doubles_the_points_up_to_the_rules_cap(
    bonuses, make_customer, place_order
):
    today = timezone.localdate()
    make_customer("C001", birthday=date(1990, today.month, 1))
    other_month = today.month % 12 + 1
    make_customer("C002", birthday=date(1990, other_month, 1))
    place_order("C001", "100.00", order_id="A")
    place_order("C001", "500.00", order_id="B")
    place_order("C002", "100.00", order_id="C")
    points = dict(
        PointsTransaction.objects.filter(order_id__in="ABC").values_list("order_id", "points")
    )
    assert points == {"A": 200, "B": 800, "C": 100}


def test_the_programme_file_checks_the_bonus_rules(db):
    with pytest.raises(ProgrammeFileError) as error:
        check_programme(
            programme_document(
                bonus_rules=[
                    {"code": "a", "event": "birthday", "points": 10},
                    {"code": "b", "event": "first_order", "points": 0},
                    {"code": "c", "event": "first_order"},
                    {
                        "code": "d",
                        "event": "first_order",
                        "points": 1,
                        "starts": "2026-02-01",
                        "ends": "2026-01-01",
                    },
                ],
                earn_rules=[{"code": "e", "multiplier": 2, "birthday_month": "yes"}],
            )
        )
    assert {problem.path for problem in error.value.problems} == {
        "bonus_rules[0].event",
        "bonus_rules[1].points",
        "bonus_rules[2].points",
        "bonus_rules[3].ends",
        "earn_rules[0].birthday_month",
    }
