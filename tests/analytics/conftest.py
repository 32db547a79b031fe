"""A survey answered in two stores over two months, for the analytics tests."""

from datetime import UTC, datetime

import pytest

from kesheng.commerce.models import Store
from kesheng.customers.actions import CustomerRecord, upsert_customer
from kesheng.surveys.actions.distribution import create_distribution
from tests.surveys.results_fixtures import add_completed_response, make_sample_survey

OCTOBER = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)


@pytest.fixture
def survey(db):
    """Shanghai: NPS 10, 10, 9, 7, 3 in November (3 promoters, 1 passive, 1 detractor: 40);
    Beijing: 10 in October, 0 and 0 in November (1 promoter, 2 detractors: -33.3)."""
    survey = make_sample_survey()
    shanghai = Store.objects.create(
        code="sh01", name_zh="上海一店", name_en="Shanghai 1", city="上海"
    )
    beijing = Store.objects.create(
        code="bj01", name_zh="北京一店", name_en="Beijing 1", city="北京"
    )
    at_shanghai = create_distribution(survey=survey, kind="qr", store=shanghai)
    at_beijing = create_distribution(survey=survey, kind="qr", store=beijing)
    li = upsert_customer(record=CustomerRecord(email="li@example.com", city="上海")).customer
    for score, visit in [
        (10, "shop"),
        (10, "shop"),
        (9, "complaint"),
        (7, "shop"),
        (3, "complaint"),
    ]:
        add_completed_response(
            survey,
            {"nps": score, "visit": visit, "csat": 5 if score >= 9 else 2},
            distribution=at_shanghai,
            completed_at=NOVEMBER,
            customer=li if score == 3 else None,
        )
    add_completed_response(
        survey, {"nps": 10, "visit": "shop"}, distribution=at_beijing, completed_at=OCTOBER
    )
    for _ in range(2):
        add_completed_response(
            survey, {"nps": 0, "visit": "complaint"}, distribution=at_beijing, completed_at=NOVEMBER
        )
    survey.li = li
    survey.stores = {"sh01": shanghai.pk, "bj01": beijing.pk}
    return survey
