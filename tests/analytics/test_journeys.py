"""Journeys: the pure funnel and path models on hand-worked events, and the same through the
database (``compute_funnel_report``, ``compute_path_report``), the CLI and the API."""

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesheng.analytics import journeys
from kesheng.analytics.queries import compute_funnel_report, compute_path_report
from kesheng.analytics.queries.journeys import compute_path_reports
from kesheng.commerce.actions import prepare_orders, write_orders
from kesheng.tracking.actions import record_events
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

HOUR = 3600
DAY = 86400


def test_funnel_by_hand():
    # steps a, b, c; channels web = 0, app = 1
    events = [
        # customer, seconds, channel, step
        (1, 0, 0, "a"),
        (1, HOUR, 0, "b"),
        (1, 2 * HOUR, 0, "c"),  # converts: 1 h and 1 h
        (2, 0, 1, "a"),
        (2, 10 * HOUR, 1, "b"),  # reaches b after 10 h, never c
        (3, 0, 0, "b"),  # b before entering does not count
        (3, 100, 0, "a"),
        (3, 200, 0, "c"),  # c without b
        (4, 0, 0, "a"),
        (4, 50, 0, "a"),  # a second entry event changes nothing
        (4, 40 * DAY, 0, "b"),  # outside the 30-day window
        (5, 0, 0, "c"),  # never entered
    ]
    customers, seconds, channels, steps = (np.array(column) for column in zip(*events, strict=True))
    funnel = journeys.compute_funnel(
        customers,
        seconds,
        channels,
        [steps == "a", steps == "b", steps == "c"],
        window_seconds=30 * DAY,
    )
    assert [step.reached for step in funnel.steps] == [4, 2, 1]
    assert funnel.steps[1].median_seconds == 5.5 * HOUR  # between 1 h and 10 h
    assert funnel.steps[1].p90_seconds == pytest.approx(9.1 * HOUR)
    assert funnel.steps[2].median_seconds == HOUR
    assert funnel.channels.tolist() == [0, 1]
    assert funnel.by_channel.tolist() == [[3, 1, 1], [1, 1, 0]]
    body = journeys.funnel_to_json(funnel)
    assert body["entered"] == 4
    assert body["steps"][1] == {
        "customers": 2,
        "conversion": 0.5,
        "step_conversion": 0.5,
        "drop_off": 2,
        "median_hours": 5.5,
        "p90_hours": 9.1,
    }
    assert body["steps"][2]["conversion"] == 0.25 and body["steps"][2]["step_conversion"] == 0.5


def test_funnel_with_nobody_entering_is_all_zero():
    funnel = journeys.compute_funnel(
        [1], [0], [0], [np.array([False]), np.array([True])], window_seconds=DAY
    )
    assert [step.reached for step in funnel.steps] == [0, 0]


def test_paths_by_hand_collapse_repeats_and_respect_the_lookback():
    x, y, z = 0, 1, 2
    events = [
        (1, 10, x),
        (1, 20, y),
        (1, 30, y),  # the same step again: one step
        (1, 40, z),
        (2, 5, z),  # too long before customer 2's anchor
        (3, 0, x),
        (3, 1, y),
        (3, 2, z),
    ]
    customers, seconds, steps = (np.array(column) for column in zip(*events, strict=True))
    paths = journeys.compute_paths(
        customers,
        seconds,
        steps,
        anchor_customers=[1, 1, 2, 3, 4],
        anchor_seconds=[50, 35, 100, 3, 10],
        length=3,
        lookback_seconds=50,
    )
    assert paths.rows.tolist() == [[x, y, z], [journeys.NO_STEP, x, y]]
    assert paths.counts.tolist() == [2, 1]
    assert (paths.anchors, paths.with_path) == (5, 3)


NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def _events(rows):
    """rows: (customer_id, type, touchpoint, channel, hours before NOW)."""
    items = [
        {
            "event_id": f"e{number}",
            "customer_id": customer_id,
            "type": event_type,
            "touchpoint": touchpoint,
            "channel": channel,
            "occurred_at": (NOW - timedelta(hours=hours)).isoformat(),
        }
        for number, (customer_id, event_type, touchpoint, channel, hours) in enumerate(rows)
    ]
    result = record_events(items=items)
    assert not result.rejected


@pytest.fixture
def journey_data(make_customer):
    for customer_id in ("J1", "J2", "J3"):
        make_customer(customer_id)
    _events(
        [
            ("J1", "page_view", "web_browse", "web", 50),
            ("J1", "product_view", "web_product_page", "web", 49),
            ("J1", "checkout", "web_checkout", "web", 47),
            ("J2", "page_view", "app_browse", "app", 30),
            ("J2", "page_view", "web_browse", "web", 20),
            ("J2", "product_view", "web_product_page", "web", 16),
            ("J3", "page_view", "web_browse", "web", 10),
            ("J3", "complaint", "call_complaint", "call_centre", 5),
        ]
    )
    orders = [
        {
            "order_id": "jo1",
            "customer_id": "J1",
            "ordered_at": (NOW - timedelta(hours=47)).isoformat(),
            "amount": "10.00",
            "channel": "web",
        }
    ]
    assert not write_orders(prepare_orders(orders), emit_each=False).rejected


def test_funnel_report_from_the_database(journey_data):
    report = compute_funnel_report("web_browse,web_product_page,web_checkout", "30")
    assert report["entered"] == 3 and report["converted"] == 1
    assert [step["customers"] for step in report["steps"]] == [3, 2, 1]
    assert [step["drop_off"] for step in report["steps"]] == [0, 1, 1]
    assert report["steps"][1]["median_hours"] == 2.5  # 1 h for J1, 4 h for J2
    assert report["steps"][2]["median_hours"] == 2.0
    assert report["by_channel"] == [
        {
            "channel": "web",
            "label": "网上商城",
            "entered": 3,
            "customers": [3, 2, 1],
            "conversion": 0.3333,
        }
    ]


def test_funnel_refuses_bad_steps_and_window(journey_data):
    from kesheng.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        compute_funnel_report("web_browse", "0")
    assert {error.field for error in refused.value.errors} == {"steps", "window_days"}
    with pytest.raises(InvalidInput) as unknown:
        compute_funnel_report("web_browse,nowhere")
    assert unknown.value.errors[0].field == "steps"
    assert "nowhere" in unknown.value.errors[0].reason


def test_paths_before_a_purchase_and_a_complaint(journey_data):
    purchase = compute_path_report("purchase", now=NOW)
    # The checkout event at the order's moment is not before it.
    assert purchase["anchors"] == 1 and purchase["with_path"] == 1
    assert purchase["paths"][0]["steps"] == ["web_browse", "web_product_page"]
    complaint = compute_path_report("complaint", 2, now=NOW)
    assert complaint["anchors"] == 1
    assert complaint["paths"] == [
        {"steps": ["web_browse"], "labels": ["浏览与搜索"], "count": 1, "share": 1.0}
    ]


def test_path_reports_share_one_read_and_equal_the_single_reports(journey_data):
    both = compute_path_reports(("purchase", "complaint"), 2, now=NOW)
    assert both == {
        "purchase": compute_path_report("purchase", 2, now=NOW),
        "complaint": compute_path_report("complaint", 2, now=NOW),
    }


def test_path_reports_refuse_bad_options_before_reading(journey_data):
    from kesheng.core.errors import InvalidInput

    with CaptureQueriesContext(connection) as queries, pytest.raises(InvalidInput) as refused:
        compute_path_reports(("lunch", "purchase"), 9)
    assert [error.field for error in refused.value.errors] == ["before", "length"]
    assert len(queries.captured_queries) == 0


def test_the_journeys_page_reads_the_events_once_for_both_path_reports(journey_data, client):
    create_staff_user("analyst.wu", role="analyst")
    client.login(username="analyst.wu", password=STAFF_PASSWORD)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/analytics/journeys/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "chart-paths-purchase" in html and "chart-paths-complaint" in html
    # The year of events is read once, not once per report (the complaint anchors read only
    # the complaint events: their query names the type).
    year_reads = [
        query["sql"]
        for query in queries.captured_queries
        if 'FROM "tracking_event"' in query["sql"]
        and '"tracking_event"."occurred_at" >=' in query["sql"]
        and '"tracking_event"."type" IN' not in query["sql"]
    ]
    assert len(year_reads) == 1


def test_cli_funnel_and_paths_in_json(journey_data, capsys):
    call_command("analytics", "funnel", "--steps", "web_browse,web_checkout", "--json")
    report = json.loads(capsys.readouterr().out)
    assert [step["customers"] for step in report["steps"]] == [3, 1]
    call_command("analytics", "paths", "--before", "purchase", "--json")
    assert json.loads(capsys.readouterr().out)["before"] == "purchase"


def test_cli_refuses_bad_journey_options_with_exit_2(journey_data):
    with pytest.raises(CommandError) as refused:
        call_command("analytics", "funnel", "--steps", "web_browse", "--window-days", "x")
    assert refused.value.returncode == 2
    assert "--window-days" in str(refused.value) and "--steps" in str(refused.value)
    with pytest.raises(CommandError) as paths:
        call_command("analytics", "paths", "--before", "lunch")
    assert paths.value.returncode == 2 and "--before" in str(paths.value)


def test_api_funnel_and_paths(journey_data, api_client):
    client = api_client("customers:read")
    funnel = client.get("/api/v1/analytics/funnel?steps=web_browse,web_checkout&window_days=3")
    assert funnel.status_code == 200
    assert funnel.json()["converted"] == 1
    paths = client.get("/api/v1/analytics/paths?before=complaint")
    assert paths.status_code == 200 and paths.json()["anchors"] == 1


def test_api_refuses_bad_journey_input_with_422(journey_data, api_client):
    client = api_client("customers:read")
    bad = client.get("/api/v1/analytics/funnel?steps=web_browse&window_days=999")
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"field": "window_days", "reason": "a whole number from 1 to 365"},
        {"field": "steps", "reason": "between 2 and 8 comma-separated steps"},
    ]
    paths = client.get("/api/v1/analytics/paths?before=lunch&length=9")
    assert paths.status_code == 422
    assert [error["field"] for error in paths.json()["errors"]] == ["before", "length"]
    assert (
        api_client("orders:write").get("/api/v1/analytics/paths?before=purchase").status_code == 403
    )


def test_the_journeys_page_shows_the_funnel_paths_and_personas(journey_data, client):
    create_staff_user("analyst.wu", role="analyst")
    client.login(username="analyst.wu", password=STAFF_PASSWORD)
    page = client.get(
        "/analytics/journeys/?steps=web_browse,web_product_page,web_checkout",
        headers={"Accept-Language": "en"},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Funnel" in html and "chart-funnel" in html
    assert "Most common paths before a purchase" in html
    assert "Personas" in html and "plotly/plotly.min.js" in html
    bad = client.get("/analytics/journeys/?steps=web_browse", headers={"Accept-Language": "en"})
    assert bad.status_code == 400
    assert "between 2 and 8 comma-separated steps" in bad.content.decode()
