"""The sample-size planner page: responses needed for a margin, the margin of the responses in
hand, bad input as a 400 form error."""

import pytest

from kesheng.analytics.sampling import plan_sample
from tests.reports.test_crosstab import signed_in

URL = "/reports/sample-size/"


def test_plan_in_percent_matches_the_published_figures():
    assert plan_sample(margin=3).needed == 1068
    assert plan_sample(margin=3, population=1000).needed == 517
    assert plan_sample(margin=3, responses=400).margin_given == pytest.approx(4.8999, abs=1e-3)
    assert plan_sample(margin=5, confidence=0.99, proportion=20).to_json() == {
        "confidence": 0.99,
        "margin": 5.0,
        "proportion": 20.0,
        "population": None,
        "responses_needed": 425,
        "responses": None,
        "margin_given": None,
    }


def test_the_page_gives_the_responses_needed_and_the_margin_in_hand(client, db):
    signed_in(client)
    page = client.get(
        URL, {"confidence": "0.95", "margin": "3", "proportion": "50", "responses": "400"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="needed">1068<' in html
    assert "± 4.9 %" in html


def test_the_empty_page_shows_the_form_only(client, db):
    signed_in(client)
    page = client.get(URL)
    assert page.status_code == 200
    assert 'data-testid="needed"' not in page.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"margin": "0", "proportion": "50", "confidence": "0.95"}, "margin"),
        ({"margin": "3", "proportion": "120", "confidence": "0.95"}, "proportion"),
        ({"margin": "3", "proportion": "50", "confidence": "0.5"}, "confidence"),
        (
            {
                "margin": "3",
                "proportion": "50",
                "confidence": "0.95",
                "population": "100",
                "responses": "200",
            },
            "responses",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, db, query, field):
    signed_in(client)
    page = client.get(URL, query)
    assert page.status_code == 400
    assert page.context["form"].errors[field]


def test_the_dashboard_links_to_the_planner(client, db):
    signed_in(client)
    assert URL in client.get("/reports/").content.decode()
