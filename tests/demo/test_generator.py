from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from kesheng.demo.generator import WINDOW_DAYS, generate

NOW = datetime(2026, 3, 15, 6, 30, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_same_seed_gives_the_same_data_set():
    first = generate(customer_count=40, seed=7, now=NOW, zone=SHANGHAI)
    second = generate(customer_count=40, seed=7, now=NOW, zone=SHANGHAI)
    assert first == second


def test_another_seed_gives_other_people_under_other_ids():
    first = generate(customer_count=40, seed=7, now=NOW, zone=SHANGHAI)
    other = generate(customer_count=40, seed=8, now=NOW, zone=SHANGHAI)
    assert first.customers[0].customer_id == "HY7-00001"
    assert other.customers[0].customer_id == "HY8-00001"
    assert [c.name for c in first.customers] != [c.name for c in other.customers]


def test_a_customer_is_the_same_person_whatever_the_customer_count():
    few = generate(customer_count=5, seed=7, now=NOW, zone=SHANGHAI)
    many = generate(customer_count=30, seed=7, now=NOW, zone=SHANGHAI)
    assert many.customers[:5] == few.customers
    few_ids = {customer.customer_id for customer in few.customers}
    assert [o for o in many.orders if o.customer_id in few_ids] == few.orders


def test_ids_do_not_depend_on_the_day_it_runs():
    today = generate(customer_count=30, seed=7, now=NOW, zone=SHANGHAI)
    next_week = generate(customer_count=30, seed=7, now=NOW + timedelta(days=7), zone=SHANGHAI)
    assert [o.order_id for o in today.orders] == [o.order_id for o in next_week.orders]
    assert [e.event_id for e in today.events] == [e.event_id for e in next_week.events]


def test_produces_one_off_buyers_repeat_buyers_and_heavy_buyers():
    data = generate(customer_count=300, seed=42, now=NOW, zone=SHANGHAI)
    orders_per_customer = Counter(order.customer_id for order in data.orders)
    one_off = sum(1 for count in orders_per_customer.values() if count == 1)
    repeat = sum(1 for count in orders_per_customer.values() if count >= 2)
    heavy = sum(1 for count in orders_per_customer.values() if count >= 10)
    assert one_off >= 60
    assert repeat >= 100
    assert heavy >= 5


def test_orders_and_events_lie_in_the_two_years_before_now():
    data = generate(customer_count=100, seed=42, now=NOW, zone=SHANGHAI)
    earliest = NOW - timedelta(days=WINDOW_DAYS + 1)
    assert all(earliest <= order.ordered_at <= NOW for order in data.orders)
    assert all(earliest <= event.occurred_at <= NOW for event in data.events)


def test_ids_are_unique_and_phones_never_shared():
    data = generate(customer_count=300, seed=42, now=NOW, zone=SHANGHAI)
    assert len({c.phone for c in data.customers}) == 300
    assert len({o.order_id for o in data.orders}) == len(data.orders)
    assert len({e.event_id for e in data.events}) == len(data.events)


def test_store_orders_have_a_store_and_online_orders_none():
    data = generate(customer_count=200, seed=42, now=NOW, zone=SHANGHAI)
    channels = Counter(order.channel for order in data.orders)
    assert set(channels) == {"store", "web", "app", "wechat"}
    assert all(order.store for order in data.orders if order.channel == "store")
    assert not any(order.store for order in data.orders if order.channel != "store")


def test_events_reach_every_in_store_touchpoint_and_the_online_ones():
    data = generate(customer_count=200, seed=42, now=NOW, zone=SHANGHAI)
    touchpoints = {event.touchpoint for event in data.events}
    assert {
        "store_entrance",
        "store_display",
        "store_advice",
        "store_checkout",
        "store_service_desk",
        "web_browse",
        "web_checkout",
        "app_browse",
        "app_checkout",
        "wechat_mini_program",
        "call_enquiry",
        "call_complaint",
    } <= touchpoints


def test_no_customer_orders_before_signing_up():
    data = generate(customer_count=300, seed=42, now=NOW, zone=SHANGHAI)
    signed_up = {customer.customer_id: customer.signed_up_at for customer in data.customers}
    assert all(order.ordered_at >= signed_up[order.customer_id] for order in data.orders)
