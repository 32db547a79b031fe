"""The case KPIs panel on the CX dashboard: the cases opened in the dashboard's period, the
store manager's stores only, the store filter, and nothing for who may not see cases."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission

from kesheng.cases.actions import acknowledge_case, open_case, resolve_case
from kesheng.commerce.actions import grant_store_access, record_orders
from kesheng.commerce.models import Store
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

URL = "/reports/"
SEPTEMBER = {"date_from": "2026-09-01", "date_to": "2026-09-29"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 9, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def cases(db, make_customer):
    stores = {
        "sh01": Store.objects.create(code="sh01", name_zh="上海一店", name_en="Shanghai 1"),
        "bj01": Store.objects.create(code="bj01", name_zh="北京一店", name_en="Beijing 1"),
    }
    first, second = make_customer("C001"), make_customer("C002")
    record_orders(
        items=[
            {
                "order_id": f"O{number}",
                "customer_id": "C001",
                "ordered_at": f"2026-09-{number + 1:02d}T10:00:00+08:00",
                "amount": "10.00",
                "store": "sh01" if number < 4 else "bj01",
                "status": "completed",
            }
            for number in range(5)
        ]
    )
    complaint = open_case(
        category="complaint",
        customer=first,
        summary="s",
        store_id=stores["sh01"].pk,
        now=at(1, 9),
    )
    acknowledge_case(case=complaint, actor=None, now=at(1, 10))
    resolve_case(case=complaint, actor=None, now=at(2, 9))
    delivery = open_case(
        category="delivery",
        customer=second,
        summary="s",
        store_id=stores["bj01"].pk,
        now=at(3, 9),
    )
    acknowledge_case(case=delivery, actor=None, now=at(3, 11))
    open_case(category="complaint", customer=second, summary="s", now=at(30, 10))  # later
    return stores


def signed_in(client, username: str, role: str):
    user = create_staff_user(username, role=role)
    client.login(username=username, password=STAFF_PASSWORD)
    return user


def test_the_dashboard_shows_the_case_kpis_of_its_period(client, cases):
    signed_in(client, "cx.zhang", "cx_manager")
    page = client.get(URL, SEPTEMBER)
    assert page.status_code == 200
    kpis = page.context["case_kpis"]
    assert (kpis["cases"], kpis["complaints"], kpis["orders"]) == (2, 2, 5)
    assert kpis["complaints_per_1000_orders"] == 400.0
    assert kpis["first_response_minutes"] == {"n": 2, "median": 90.0, "p90": 114.0}
    assert kpis["resolution_minutes"]["n"] == 1
    assert (kpis["sla_compliance"]["count"], kpis["sla_compliance"]["n"]) == (1, 1)
    assert kpis["reopen_rate"]["n"] == 1
    assert b'id="case-kpis"' in page.content
    assert b"400.00" in page.content
    assert b"(1/1)" in page.content  # SLA compliance with its n


def test_the_case_kpis_follow_the_store_filter_and_the_managers_stores(client, cases):
    signed_in(client, "cx.zhang", "cx_manager")
    filtered = client.get(URL, SEPTEMBER | {"store": "sh01"}).context["case_kpis"]
    assert (filtered["complaints"], filtered["orders"]) == (1, 4)
    client.logout()
    manager = signed_in(client, "manager.wang", "store_manager")
    grant_store_access(user=manager, store_codes=["bj01"])
    own = client.get(URL, SEPTEMBER).context["case_kpis"]
    assert (own["complaints"], own["orders"], own["complaints_per_1000_orders"]) == (1, 1, 1000.0)
    mixed = client.get(URL, SEPTEMBER | {"store": "sh01"})
    assert mixed.status_code == 400  # not one of their stores: the form refuses it


def test_no_case_panel_for_who_may_not_see_cases(client, cases):
    reader = create_staff_user("reader.li", role=None)
    reader.user_permissions.add(
        Permission.objects.get(codename="view_response", content_type__app_label="surveys")
    )
    client.login(username="reader.li", password=STAFF_PASSWORD)
    page = client.get(URL, SEPTEMBER)
    assert page.context["case_kpis"] is None
    assert b'id="case-kpis"' not in page.content
