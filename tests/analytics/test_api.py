"""``GET /api/v1/metrics/{metric}``: the same JSON as the CLI and the queries; 401, 403, 422."""

from kesheng.analytics.queries import MetricFilters, compute_metric, compute_metric_by


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
