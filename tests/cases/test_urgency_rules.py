"""Urgency raised by rule when a case opens automatically: a strongly negative feedback item
or a customer in a chosen loyalty tier moves the case up one level, recorded with the reason."""

from datetime import UTC, datetime

import pytest

from kesheng.cases.actions import open_case
from kesheng.cases.actions.opening import raised_urgency
from kesheng.cases.models import Case
from kesheng.commerce.actions import record_orders
from kesheng.feedback.actions import record_feedback
from kesheng.feedback.models import FeedbackItem
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.actions.tiers import upgrade_tiers
from kesheng.loyalty.programme import check_programme
from tests.loyalty.conftest import programme_document


@pytest.fixture(autouse=True)
def urgency_rules(settings):
    """The defaults (the case tests' conftest turns the rules off)."""
    settings.KESHENG_CASE_RAISE_SENTIMENT_MAX = -0.6
    settings.KESHENG_CASE_RAISE_TIERS = ["top"]


def _negative(score: float) -> FeedbackItem:
    return FeedbackItem(text="太差了", sentiment="negative", sentiment_score=score)


@pytest.fixture
def diamond(make_customer):
    """A customer in the programme's top tier (diamond, from 20,000 spent)."""
    configure_programme(programme_settings=check_programme(programme_document()))
    customer = make_customer("VIP1")
    record_orders(
        items=[
            {
                "order_id": "O1",
                "customer_id": "VIP1",
                "ordered_at": datetime.now(UTC).isoformat(),
                "amount": "25000",
                "channel": "web",
            }
        ]
    )
    upgrade_tiers(customer_pks=[customer.pk])
    return customer


def test_a_strongly_negative_item_raises_one_level(db, settings):
    settings.KESHENG_CASE_RAISE_SENTIMENT_MAX = -0.6
    assert raised_urgency("P3", customer=None, feedback_item=_negative(-0.8)) == (
        "P2",
        ["negative sentiment (score -0.80, at most -0.60)"],
    )
    assert raised_urgency("P3", customer=None, feedback_item=_negative(-0.6))[0] == "P2"
    # Mildly negative, or the rule off: unchanged.
    assert raised_urgency("P3", customer=None, feedback_item=_negative(-0.4)) == ("P3", [])
    settings.KESHENG_CASE_RAISE_SENTIMENT_MAX = None
    assert raised_urgency("P3", customer=None, feedback_item=_negative(-0.9)) == ("P3", [])


def test_the_top_tier_raises_one_level_and_p1_stays_p1(settings, diamond, make_customer):
    settings.KESHENG_CASE_RAISE_TIERS = ["top"]
    assert raised_urgency("P4", customer=diamond, feedback_item=None) == (
        "P3",
        ["customer in the diamond tier"],
    )
    # Two reasons still raise one level only.
    assert raised_urgency("P3", customer=diamond, feedback_item=_negative(-0.9)) == (
        "P2",
        ["negative sentiment (score -0.90, at most -0.60)", "customer in the diamond tier"],
    )
    assert raised_urgency("P1", customer=diamond, feedback_item=None) == ("P1", [])
    assert raised_urgency("P3", customer=make_customer("NOBODY"), feedback_item=None) == (
        "P3",
        [],
    )
    settings.KESHENG_CASE_RAISE_TIERS = ["gold"]
    assert raised_urgency("P3", customer=diamond, feedback_item=None) == ("P3", [])
    settings.KESHENG_CASE_RAISE_TIERS = []
    assert raised_urgency("P3", customer=diamond, feedback_item=None) == ("P3", [])


def test_a_raised_case_gets_the_deadlines_of_its_new_urgency_and_a_history_entry(settings, diamond):
    settings.KESHENG_CASE_RAISE_TIERS = ["top"]
    case = open_case(category="complaint", customer=diamond, urgency="P3", urgency_rules=True)
    assert case.urgency == "P2"
    assert case.resolution_due - case.opened_at == (
        datetime(2026, 1, 3, tzinfo=UTC) - datetime(2026, 1, 1, tzinfo=UTC)
    )  # P2: 48 hours
    raised = case.events.get(kind="urgency")
    assert (raised.from_value, raised.to_value, raised.actor) == ("P3", "P2", None)
    assert raised.text == "raised by rule: customer in the diamond tier"
    assert raised.data == {"rule": "urgency_rules", "reasons": ["customer in the diamond tier"]}


def test_a_case_opened_by_hand_keeps_the_chosen_urgency(settings, diamond):
    settings.KESHENG_CASE_RAISE_TIERS = ["top"]
    case = open_case(category="complaint", customer=diamond, urgency="P3")
    assert case.urgency == "P3"
    assert not case.events.filter(kind="urgency").exists()


def test_the_feedback_rule_raises_a_top_tier_customers_complaint(
    stores, settings, diamond, django_capture_on_commit_callbacks
):
    settings.KESHENG_CASE_RAISE_TIERS = ["top"]
    with django_capture_on_commit_callbacks(execute=True):
        record_feedback(
            items=[
                {
                    "source": "review",
                    "source_id": "r1",
                    "text": "还行吧",
                    "rating": 2,
                    "customer_id": "VIP1",
                    "store": "sh01",
                }
            ]
        )
    case = Case.objects.get()
    assert (case.category, case.urgency) == ("negative_review", "P2")
    assert case.events.get(kind="urgency").text == "raised by rule: customer in the diamond tier"
