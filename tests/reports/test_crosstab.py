"""The cross-tab page: the same numbers as ``kesheng analytics --cross`` and the API, a store
manager's stores only, bad parameters as a form error (400), never a 500."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from kesheng.commerce.actions import grant_store_access
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

URL = "/reports/crosstab/"
AUTUMN = {"date_from": "2026-10-01", "date_to": "2026-11-30"}
ENGLISH = {"Accept-Language": "en"}


def signed_in(client, username: str = "cx.zhang", role: str = "cx_manager"):
    create_staff_user(username, role=role)
    client.login(username=username, password=STAFF_PASSWORD)
    return client


def test_page_cli_and_api_show_the_same_numbers(client, api_client, survey):
    parameters = {**AUTUMN, "survey": survey.pk, "metric": "nps", "by": "store", "cross": "month"}
    page = signed_in(client).get(URL, parameters, headers=ENGLISH)
    assert page.status_code == 200
    from_page = page.context["table"].to_json()
    answer = api_client("metrics:read").get(
        "/api/v1/metrics/nps",
        {
            "survey": survey.pk,
            "by": "store",
            "cross": "month",
            "from": "2026-10-01",
            "to": "2026-11-30",
        },
    )
    printed = StringIO()
    with translation.override("en"):
        call_command(
            "analytics",
            "nps",
            *("--survey", str(survey.pk), "--by", "store", "--cross", "month"),
            *("--from", "2026-10-01", "--to", "2026-11-30", "--json"),
            stdout=printed,
        )
    assert from_page == answer.json() == json.loads(printed.getvalue())
    assert [
        (cell["row"], cell["column"], cell["score"], cell["n"]) for cell in from_page["cells"]
    ] == [
        ("bj01", "2026-10-01", 100.0, 1),
        ("bj01", "2026-11-01", -100.0, 2),
        ("sh01", "2026-11-01", 40.0, 5),
    ]
    assert [row["label"] for row in from_page["rows"]] == ["Beijing 1", "Shanghai 1"]


def test_the_table_shows_score_n_interval_and_the_small_sample_mark(client, survey):
    page = signed_in(client).get(URL, {**AUTUMN, "by": "store", "cross": "month"}, headers=ENGLISH)
    html = page.content.decode()
    shanghai = re.search(r"<th scope=\"row\">Shanghai 1</th>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", shanghai, re.S)
    assert len(cells) == 2
    assert cells[0] == "—"  # no answers in Shanghai in October
    november = page.context["table"].cells[("sh01", "2026-11-01")].score
    text = re.sub(r"<[^>]+>|\s+", " ", cells[1]).split()
    assert text == [
        "40.0",
        "*",
        "n",
        "=",
        "5",
        f"{november.low:.1f}",
        "–",
        f"{november.high:.1f}",
    ]
    assert 'title="n &lt; 30: read with care"' in shanghai
    # 40 points on -100..100 is 70 % of the way from red to green; pale since n < 30.
    assert "background-color: hsl(84, 35%, 85%)" in shanghai


def test_without_parameters_nps_by_store_and_month_over_the_last_30_days(client, survey):
    page = signed_in(client).get(URL)
    assert page.status_code == 200
    table = page.context["table"]
    assert (table.metric, table.row_by, table.column_by) == ("nps", "store", "month")
    assert page.context["form"]["by"].value() in (None, "store")


def test_other_metrics_and_breakdowns(client, survey):
    page = signed_in(client).get(
        URL, {**AUTUMN, "metric": "csat", "by": "city", "cross": "store"}, headers=ENGLISH
    )
    assert page.status_code == 200
    table = page.context["table"]
    assert table.rows == [("上海", "上海")]
    assert table.cells[("上海", "sh01")].to_json()["score"] == 60.0
    assert "Rows: City · columns: Store" in page.content.decode()


def test_a_store_manager_sees_only_their_stores(client, survey):
    manager = create_staff_user("manager.wang", role="store_manager")
    grant_store_access(user=manager, store_codes=["sh01"])
    client.login(username="manager.wang", password=STAFF_PASSWORD)
    page = client.get(URL, {**AUTUMN, "by": "store", "cross": "month"})
    assert page.status_code == 200
    table = page.context["table"]
    assert table.rows == [("sh01", "上海一店")]
    assert table.columns == [("2026-11-01", "2026-11-01")]
    assert table.cells[("sh01", "2026-11-01")].n == 5
    assert "北京一店" not in page.content.decode()
    store_choices = [str(value) for value, _label in page.context["form"].fields["store"].choices]
    assert store_choices == ["", "sh01"]
    # Another store cannot be asked for.
    assert client.get(URL, {**AUTUMN, "store": "bj01"}).status_code == 400


@pytest.mark.parametrize(
    ("parameters", "field", "message"),
    [
        (
            {"by": "month", "cross": "month"},
            "cross",
            "Rows and columns must be different breakdowns.",
        ),
        (
            {"by": "weather"},
            "by",
            "Select a valid choice. weather is not one of the available choices.",
        ),
        (
            {"metric": "roi"},
            "metric",
            "Select a valid choice. roi is not one of the available choices.",
        ),
        (
            {"date_from": "2026-12-01", "date_to": "2026-11-01"},
            "date_to",
            "The end must be on or after the start.",
        ),
        ({"date_from": "yesterday"}, "date_from", "Enter a valid date."),
        (
            {"survey": "999"},
            "survey",
            "Select a valid choice. That choice is not one of the available choices.",
        ),
    ],
)
def test_bad_parameters_are_a_form_error(client, survey, parameters, field, message):
    page = signed_in(client).get(URL, parameters, headers=ENGLISH)
    assert page.status_code == 400
    assert page.context["table"] is None
    assert page.context["form"].errors[field] == [message]
    assert 'role="alert"' in page.content.decode()


def test_signing_in_is_required(client, db):
    assert client.get(URL).status_code == 302


def test_the_dashboard_links_to_the_crosstab_with_its_filters(client, survey):
    page = signed_in(client).get("/reports/", AUTUMN)
    assert 'href="/reports/crosstab/?date_from=2026-10-01&amp;date_to=2026-11-30"' in (
        page.content.decode()
    )


def test_the_page_runs_a_fixed_number_of_queries(client, survey, django_assert_max_num_queries):
    signed_in(client)
    # Session, user and permissions, the form's choices, the visible stores, the metric's
    # questions, one GROUP BY of the month counts for the whole table and the stores' names:
    # none of them grows with the groups.
    with django_assert_max_num_queries(12):
        client.get(URL, {**AUTUMN, "by": "store", "cross": "month"})
