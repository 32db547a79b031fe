"""The CX dashboard and the comparison page: numbers as the queries compute them, a store
manager's stores only, bad filters, the Plotly script served from the package."""

import json
import re
from datetime import date

from kesheng.analytics.queries import MetricFilters, compute_metric
from kesheng.commerce.actions import grant_store_access
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

URL = "/reports/"
AUTUMN = {"date_from": "2026-10-01", "date_to": "2026-11-30"}
AUTUMN_DATES = (date(2026, 10, 1), date(2026, 11, 30))


def signed_in(client, username: str, role: str):
    create_staff_user(username, role=role)
    client.login(username=username, password=STAFF_PASSWORD)
    return client


def chart_data(page) -> dict:
    found = re.search(
        r'<script id="dashboard-data" type="application/json">(.*?)</script>',
        page.content.decode(),
        re.S,
    )
    return json.loads(found.group(1))


def test_tiles_and_charts_show_what_the_queries_compute(client, survey):
    page = signed_in(client, "cx.zhang", "cx_manager").get(URL, AUTUMN)
    assert page.status_code == 200
    dashboard = page.context["dashboard"]
    expected = compute_metric(
        "nps", MetricFilters(date_from=AUTUMN_DATES[0], date_to=AUTUMN_DATES[1])
    )
    assert dashboard.headlines[0].result.to_json() == expected.to_json()
    data = chart_data(page)
    assert data["stores"]["labels"] == ["北京一店", "上海一店"]
    assert data["stores"]["n"] == [3, 5]
    assert dashboard.grain == "week"
    assert b"plotly/plotly.min" in page.content


def test_a_store_manager_sees_only_their_stores(client, survey):
    manager = create_staff_user("manager.wang", role="store_manager")
    grant_store_access(user=manager, store_codes=["sh01"])
    client.login(username="manager.wang", password=STAFF_PASSWORD)
    page = client.get(URL, AUTUMN)
    assert chart_data(page)["stores"]["labels"] == ["上海一店"]
    assert page.context["dashboard"].headlines[0].result.n == 5
    store_choices = [value for value, _label in page.context["form"].fields["store"].choices]
    assert [str(value) for value in store_choices] == ["", "sh01"]


def test_the_page_queries_do_not_grow_with_the_data(client, survey, django_assert_max_num_queries):
    signed_in(client, "cx.zhang", "cx_manager")
    with django_assert_max_num_queries(45):
        client.get(URL, AUTUMN)


def test_bad_filters_show_the_reason_and_no_error(client, survey):
    page = signed_in(client, "cx.zhang", "cx_manager").get(
        URL,
        {"date_from": "2026-12-01", "date_to": "2026-11-01"},
        headers={"Accept-Language": "en"},
    )
    assert page.status_code == 400
    assert b"The end must be on or after the start." in page.content
    page = client.get(URL, {"survey": "999"})
    assert page.status_code == 400


def test_comparison_marks_significance(client, survey):
    page = signed_in(client, "cx.zhang", "cx_manager").get(
        "/reports/compare/",
        {
            "first_from": "2026-10-01",
            "first_to": "2026-10-31",
            "second_from": "2026-11-01",
            "second_to": "2026-11-30",
        },
        headers={"Accept-Language": "en"},
    )
    assert page.status_code == 200
    _name, nps = page.context["rows"][0]
    assert (nps.first.n, nps.second.n, nps.difference) == (1, 7, -100.0)
    assert b"too few answers (n < 30)" in page.content


def test_signing_in_is_required(client, db):
    assert client.get(URL).status_code == 302


def test_plotly_is_served_from_the_installed_package(client, db):
    answer = client.get("/static/plotly/plotly.min.js")
    assert answer.status_code == 200
    assert "javascript" in answer["Content-Type"]
