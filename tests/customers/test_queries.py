from datetime import UTC, datetime, timedelta

from kesheng.commerce.actions import record_orders
from kesheng.customers.queries import get_profile_sections, list_customers, list_timeline
from kesheng.tracking.actions import record_events


def test_timeline_pages_walk_every_entry_once_newest_first(customer):
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    events = [
        {
            "event_id": f"E{i}",
            "customer_id": "C001",
            "type": "page_view",
            "touchpoint": "web_browse",
            # pairs of entries share a timestamp to exercise the tie-break
            "occurred_at": (moment + timedelta(hours=i // 2)).isoformat(),
        }
        for i in range(7)
    ]
    orders = [
        {
            "order_id": f"O{i}",
            "customer_id": "C001",
            "ordered_at": (moment + timedelta(hours=i)).isoformat(),
            "amount": "10",
            "channel": "web",
        }
        for i in range(4)
    ]
    record_events(items=events)
    record_orders(items=orders)
    seen = []
    cursor = None
    while True:
        page, cursor = list_timeline(customer, cursor=cursor, limit=3)
        seen.extend(page)
        if cursor is None:
            break
    assert len(seen) == 11
    assert len({(entry.kind, entry.id) for entry in seen}) == 11
    keys = [entry.sort_key for entry in seen]
    assert keys == sorted(keys, reverse=True)


def test_profile_sections_include_order_totals(customer):
    record_orders(
        items=[
            {
                "order_id": "O1",
                "customer_id": "C001",
                "ordered_at": "2025-01-01T10:00:00+08:00",
                "amount": "10.10",
                "channel": "web",
            },
            {
                "order_id": "O2",
                "customer_id": "C001",
                "ordered_at": "2025-01-02T10:00:00+08:00",
                "amount": "5.05",
                "channel": "web",
            },
        ]
    )
    orders = get_profile_sections(customer)["orders"]
    assert orders["count"] == 2
    assert orders["totals"] == {"CNY": "15.15"}


def test_search_finds_a_customer_by_phone_written_another_way(customer, make_customer):
    make_customer("C002", name="张伟", phone="13900001111")
    found = list(list_customers(search="+86 138 0013 8000"))
    assert [c.customer_id for c in found] == ["C001"]
