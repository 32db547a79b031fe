"""``GET /api/v1/metrics/{metric}``: the same JSON as the CLI and the queries; 401, 403, 422."""

import json

import pytest

from kesheng.analytics.queries import (
    CROSS_CHOICES,
    MetricFilters,
    compute_crosstab,
    compute_metric,
    compute_metric_by,
)


def test_one_score_is_what_the_queries_compute(api_client, survey):
    answer = api_client("metrics:read").get(f"/api/v1/metrics/nps?survey={survey.pk}")
    assert answer.status_code == 200
    assert answer.json() == compute_metric("nps", MetricFilters(survey_ids=(survey.pk,))).to_json()


def test_by_month_with_dates(api_client, survey):
    answer = api_client("metrics:read").get(
        f"/api/v1/metrics/nps?survey={survey.pk}&by=month&from=2026-10-01&to=2026-11-30"
    )
    assert answer.status_code == 200
    expected = compute_metric_by("nps", MetricFilters(survey_ids=(survey.pk,)), "month")
    assert answer.json() == [group.to_json() for group in expected]
    assert [group["group"] for group in answer.json()] == ["2026-10-01", "2026-11-01"]


def test_filters_by_store(api_client, survey):
    answer = api_client("metrics:read").get("/api/v1/metrics/csat?store=sh01")
    assert (answer.json()["score"], answer.json()["n"]) == (60.0, 5)


def test_a_key_is_required_with_its_scope(client, api_client, survey):
    assert client.get("/api/v1/metrics/nps").status_code == 401
    answer = api_client("customers:read").get("/api/v1/metrics/nps")
    assert answer.status_code == 403
    assert answer.json() == {"detail": "this API key needs scope metrics:read"}


def test_bad_parameters_are_422_with_the_field(api_client, survey):
    answer = api_client("metrics:read").get("/api/v1/metrics/nps?from=yesterday&by=weather")
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "from", "reason": "expected a date as YYYY-MM-DD"}]
    answer = api_client("metrics:read").get("/api/v1/metrics/nps?by=weather")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "by"


def test_an_unknown_metric_or_survey(api_client, survey):
    assert api_client("metrics:read").get("/api/v1/metrics/roi").status_code == 422
    assert api_client("metrics:read").get("/api/v1/metrics/nps?survey=999").status_code == 404


def test_crosstab_is_the_same_json_as_the_command(api_client, survey):
    from io import StringIO

    from django.core.management import call_command

    query = f"survey={survey.pk}&by=store&cross=month&from=2026-10-01&to=2026-11-30"
    answer = api_client("metrics:read").get(f"/api/v1/metrics/nps?{query}")
    assert answer.status_code == 200
    printed = StringIO()
    call_command(
        "analytics",
        "nps",
        *("--survey", str(survey.pk), "--by", "store", "--cross", "month"),
        *("--from", "2026-10-01", "--to", "2026-11-30", "--json"),
        stdout=printed,
    )
    assert answer.json() == json.loads(printed.getvalue())
    expected = compute_crosstab("nps", MetricFilters(survey_ids=(survey.pk,)), "store", "month")
    assert answer.json() == expected.to_json()
    assert [
        (cell["row"], cell["column"], cell["score"], cell["n"]) for cell in answer.json()["cells"]
    ] == [
        ("bj01", "2026-10-01", 100.0, 1),
        ("bj01", "2026-11-01", -100.0, 2),
        ("sh01", "2026-11-01", 40.0, 5),
    ]


def test_crosstab_labels_follow_the_language(api_client, survey):
    answer = api_client("metrics:read").get(
        "/api/v1/metrics/nps?by=city&cross=store", headers={"Accept-Language": "en"}
    )
    assert answer.status_code == 200
    assert answer.json()["rows"] == [
        {"key": "上海", "label": "上海"},
        {"key": "北京", "label": "北京"},
    ]
    assert answer.json()["columns"] == [
        {"key": "bj01", "label": "Beijing 1"},
        {"key": "sh01", "label": "Shanghai 1"},
    ]
    assert [
        (cell["row"], cell["column"], cell["score"], cell["n"]) for cell in answer.json()["cells"]
    ] == [
        ("上海", "sh01", 40.0, 5),
        ("北京", "bj01", -33.3333, 3),
    ]


def test_without_cross_the_breakdown_is_unchanged(api_client, survey):
    answer = api_client("metrics:read").get(f"/api/v1/metrics/nps?survey={survey.pk}&by=store")
    assert isinstance(answer.json(), list)
    assert [group["group"] for group in answer.json()] == ["bj01", "sh01"]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            "cross=month",
            [
                {
                    "field": "cross",
                    "reason": "needs by as well (by gives the rows, cross the columns)",
                }
            ],
        ),
        (
            "by=month&cross=month",
            [{"field": "cross", "reason": "must not be the same breakdown as by"}],
        ),
        (
            "by=store&cross=weather",
            [
                {
                    "field": "cross",
                    "reason": f"expected one of {', '.join(CROSS_CHOICES)}",
                }
            ],
        ),
        (
            "by=store&cross=question:comment",
            [
                {
                    "field": "cross",
                    "reason": "no single-choice, dropdown or yes/no question named 'comment'",
                }
            ],
        ),
    ],
)
def test_a_bad_cross_is_422_naming_cross(api_client, survey, query, errors):
    answer = api_client("metrics:read").get(f"/api/v1/metrics/nps?{query}")
    assert answer.status_code == 422
    assert answer.json()["errors"] == errors
