from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from kesheng.demo.actions import load_demo_data
from kesheng.demo.feedback import SPIKE_DAYS, SPIKE_STORE, feedback_volume, generate_feedback
from kesheng.feedback.actions import parse_feedback_item
from kesheng.feedback.models import FeedbackItem

NOW = datetime(2026, 3, 15, 6, 30, tzinfo=UTC)


def test_the_same_seed_gives_the_same_feedback():
    first = generate_feedback(seed=3, now=NOW, customer_ids=["A", "B"])
    again = generate_feedback(seed=3, now=NOW, customer_ids=["A", "B"])
    other = generate_feedback(seed=4, now=NOW, customer_ids=["A", "B"])
    assert first == again
    assert first != other


def test_every_source_is_there_and_every_item_is_valid_input():
    items = generate_feedback(seed=3, now=NOW, customer_ids=["A", "B"], volume=500)
    assert Counter(item["source"] for item in items) == {
        "review": 275 + 36,
        "social": 60,
        "call": 80,
        "complaint": 35,
        "email": 50,
    }
    parsed = [parse_feedback_item(item, ZoneInfo("Asia/Shanghai")) for item in items]
    assert all(NOW - timedelta(days=731) <= item.occurred_at <= NOW for item in parsed)
    assert all(
        item.reach and item.url.startswith("https://") for item in parsed if item.source == "social"
    )
    assert len({item.key for item in parsed}) == len(items)


def test_the_last_week_holds_a_spike_of_bad_reviews_at_one_store():
    items = generate_feedback(seed=3, now=NOW, customer_ids=[])
    week = NOW - timedelta(days=SPIKE_DAYS)
    at_store = [
        item
        for item in items
        if item.get("store") == SPIKE_STORE
        and item["source"] == "review"
        and datetime.fromisoformat(item["occurred_at"]) >= week
    ]
    low = [item for item in at_store if item["rating"] <= 2]
    assert len(at_store) >= 36
    assert len(low) / len(at_store) > 0.5


def test_the_demo_load_stores_the_feedback_once(db):
    summary = load_demo_data(customer_count=25, seed=3, now=NOW)
    external = FeedbackItem.objects.exclude(source="survey")
    expected = Counter(
        item["source"]
        for item in generate_feedback(
            seed=3, now=NOW, customer_ids=["x"], volume=feedback_volume(25)
        )
    )
    assert Counter(external.values_list("source", flat=True)) == expected
    assert summary.feedback_items == sum(expected.values())
    again = load_demo_data(customer_count=25, seed=3, now=NOW)
    assert again.feedback_items == 0
    assert FeedbackItem.objects.exclude(source="survey").count() == sum(expected.values())
