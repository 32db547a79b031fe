"""The analytics staff page (/analytics/): the RFM grid and segments, the CLV distribution
and top customers, the churn-risk list, store scoping and permissions."""

import re

import pytest
from django.test import Client

from kesheng.analytics.models import CustomerScore
from kesheng.commerce.actions import grant_store_access
from tests.analytics.winback_fixtures import build_shop
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

EN = {"Accept-Language": "en"}

# The scoring run's segments of build_shop's 60 customers (also its summary; rules and
# quintiles are checked by hand in test_rfm.py).
SEGMENTS = {
    "champions": 6,
    "loyal": 7,
    "potential_loyalists": 14,
    "new": 0,
    "promising": 0,
    "needs_attention": 2,
    "about_to_sleep": 7,
    "at_risk": 10,
    "cant_lose_them": 0,
    "hibernating": 4,
    "lost": 10,
}


@pytest.fixture
def shop(make_customer):
    return build_shop(make_customer)


def _signed_in(username: str, role: str) -> tuple[Client, object]:
    user = create_staff_user(username, role=role)
    client = Client(headers=EN)
    client.login(username=username, password=STAFF_PASSWORD)
    return client, user


def _segment_counts(html: str) -> dict[str, int]:
    return {
        key: int(count)
        for key, count in re.findall(
            r'<tr data-segment="(\w+)">.*?class="number segment-customers">(\d+)<', html, re.S
        )
    }


def _grid_counts(html: str) -> dict[tuple[int, int], int]:
    return {
        (int(r), int(f)): int(count)
        for r, f, count in re.findall(
            r'data-r="(\d)" data-f="(\d)".*?class="cell-customers">(\d+)<', html, re.S
        )
    }


def test_the_page_shows_customers_per_rfm_segment_and_cell(shop):
    client, _user = _signed_in("analyst.wu", "analyst")
    page = client.get("/analytics/")
    assert page.status_code == 200
    html = page.content.decode()
    assert shop.segments == SEGMENTS
    assert _segment_counts(html) == SEGMENTS
    grid = _grid_counts(html)
    assert len(grid) == 25 and sum(grid.values()) == 60
    for (r, f), count in grid.items():
        assert count == CustomerScore.objects.filter(r=r, f=f).count(), (r, f)
    # Labels in both languages whatever the reader's.
    assert "Champions" in html and "重要价值客户" in html
    assert "Scores computed 2026-12-01" in html


def test_the_page_shows_the_clv_distribution_top_customers_and_churn_list(shop):
    client, _user = _signed_in("analyst.wu", "analyst")
    html = client.get("/analytics/").content.decode()
    # The histogram counts every customer with a CLV once.
    bars = re.findall(r'<table class="data-table clv-bars">(.*?)</table>', html, re.S)[0]
    counts = [int(n) for n in re.findall(r'<td class="number">(\d+)</td>', bars)]
    assert sum(counts) == CustomerScore.objects.filter(clv__isnull=False).count() == 60
    top = CustomerScore.objects.order_by("-clv").select_related("customer").first()
    top_table = re.findall(r'<table class="data-table top-clv">(.*?)</table>', html, re.S)[0]
    first_link = re.findall(r'href="/customers/(\w+)/"', top_table)[0]
    assert first_link == top.customer.customer_id
    churn = re.findall(r'<table class="data-table churn-list">(.*?)</table>', html, re.S)[0]
    riskiest = (
        CustomerScore.objects.order_by("-churn_risk", "customer__customer_id")
        .values_list("customer__customer_id", flat=True)
        .first()
    )
    assert re.findall(r'href="/customers/(\w+)/"', churn)[0] == riskiest
    assert "rule-based score" in churn
    assert "Risk from the documented rules" in html and "too_few_customers" in html
    # Plotly from the installed package, never a CDN; the link to the journeys page.
    assert "/static/plotly/plotly.min.js" in html and "cdn" not in html.lower()
    assert 'href="/analytics/journeys/"' in html
    assert "Create win-back segment" in html
    assert 'value="Win-back 20' in html  # a suggested segment name: today's date


def test_the_page_reads_a_fixed_number_of_queries(shop, django_assert_num_queries):
    client, _user = _signed_in("analyst.wu", "analyst")
    client.get("/analytics/")  # warm the session and permission caches of this test
    # session, user, permissions (2), roles (store scope), the scoring run, the RFM grid,
    # CLV count, percentile, bars, top CLV, churn list, win-back lists: 13 whatever the number
    # of customers
    with django_assert_num_queries(13):
        assert client.get("/analytics/").status_code == 200


def test_a_store_manager_sees_only_the_customers_of_their_stores(shop):
    client, manager = _signed_in("manager.wang", "store_manager")
    grant_store_access(user=manager, store_codes=["sh01"])
    html = client.get("/analytics/").content.decode()
    even = CustomerScore.objects.filter(
        customer__customer_id__in=[f"M{i:02d}" for i in range(0, 60, 2)]
    )
    expected = {key: even.filter(segment=key).count() for key in SEGMENTS}
    assert _segment_counts(html) == expected
    assert sum(expected.values()) == 30
    linked = set(re.findall(r'href="/customers/M(\d+)/"', html))
    assert linked and all(int(number) % 2 == 0 for number in linked)
    assert "your stores only: 30 customers who ordered there" in html
    # Store managers may not make win-back lists.
    assert "Create win-back segment" not in html


def test_a_store_manager_without_stores_sees_no_customer(shop):
    client, _manager = _signed_in("manager.li", "store_manager")
    html = client.get("/analytics/").content.decode()
    assert sum(_segment_counts(html).values()) == 0
    assert "/customers/M" not in html


def test_the_page_needs_the_permission_to_view_scores(shop):
    assert Client().get("/analytics/").status_code == 302  # to the login page
    from tests.staff_fixtures import create_user_with_permissions

    create_user_with_permissions("nobody", "view_customer")
    client = Client()
    client.login(username="nobody", password=STAFF_PASSWORD)
    assert client.get("/analytics/").status_code == 403


def test_the_page_in_chinese(shop):
    _client, _user = _signed_in("analyst.wu", "analyst")
    client = Client()
    client.login(username="analyst.wu", password=STAFF_PASSWORD)
    page = client.get("/analytics/", headers={"Accept-Language": "zh-hans"})
    assert page.status_code == 200
    assert _segment_counts(page.content.decode()) == SEGMENTS


def test_the_page_before_any_scoring_run(db):
    client, _user = _signed_in("analyst.wu", "analyst")
    html = client.get("/analytics/").content.decode()
    assert "No scores yet" in html
    assert sum(_segment_counts(html).values()) == 0


# --- the demo data --------------------------------------------------------------------------


def test_the_page_on_the_demo_data_for_the_cx_manager_and_the_demo_store_manager(db):
    from datetime import UTC, datetime

    from kesheng.commerce.models import Order
    from kesheng.demo.actions import DEMO_PASSWORD, load_demo_data

    load_demo_data(customer_count=200, seed=3, now=datetime(2026, 3, 15, 6, 30, tzinfo=UTC))
    computed = {key: CustomerScore.objects.filter(segment=key).count() for key in SEGMENTS}
    assert sum(computed.values()) == CustomerScore.objects.count() > 100
    client = Client(headers=EN)
    client.login(username="demo_cx_manager", password=DEMO_PASSWORD)
    html = client.get("/analytics/").content.decode()
    assert _segment_counts(html) == computed
    assert sum(_grid_counts(html).values()) == CustomerScore.objects.count()

    manager = Client(headers=EN)
    manager.login(username="demo_store_manager", password=DEMO_PASSWORD)
    from kesheng.commerce.models import StoreAccess
    from kesheng.commerce.queries import visible_store_ids

    user = StoreAccess.objects.select_related("user").first().user
    stores = visible_store_ids(user)
    theirs = set(Order.objects.filter(store_id__in=stores).values_list("customer_id", flat=True))
    expected = {
        key: CustomerScore.objects.filter(segment=key, customer_id__in=theirs).count()
        for key in SEGMENTS
    }
    page = manager.get("/analytics/").content.decode()
    assert _segment_counts(page) == expected
    assert 0 < sum(expected.values()) < sum(computed.values())
