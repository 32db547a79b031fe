"""Responses that say which staff member served the respondent: through a staff member's own
QR code (the distribution), through the API's ``staff`` code, and in the exports."""

import csv
import json

import pytest
from django.utils.translation import override

from kesheng.commerce.actions import save_staff_member, save_store
from kesheng.surveys.actions.distribution import create_qr_distributions
from kesheng.surveys.actions.responses import start_response, submit_first_page
from kesheng.surveys.exports import export_responses
from kesheng.surveys.models import Distribution, Response

# The fixtures (survey, make_survey, qr_distribution, store).
from tests.surveys.response_fixtures import *  # noqa: F403


@pytest.fixture
def chen(store):
    return save_staff_member(code="SH-NJ-01", name="陈静", store=store)


@pytest.fixture
def writer(api_client):
    return api_client("responses:write")


def post(client, survey_id, body):
    return client.post(
        f"/api/v1/surveys/{survey_id}/responses",
        data=json.dumps(body),
        content_type="application/json",
    )


def test_a_staff_members_qr_code_carries_them_and_their_store(survey, chen):
    with override("en"):
        (distribution,) = create_qr_distributions(survey=survey, stores=[], staff=[chen])
    assert (distribution.kind, distribution.store, distribution.staff, distribution.name) == (
        "qr",
        chen.store,
        chen,
        "QR code · Nanjing Road · 陈静",
    )


def test_qr_codes_for_stores_and_staff_members_at_once(survey, store, chen):
    other = save_store(code="bj-wfj", name_zh="王府井店")
    made = create_qr_distributions(survey=survey, stores=[other], staff=[chen])
    assert [(d.store.code, d.staff_id) for d in made] == [("bj-wfj", None), ("sh-nanjing", chen.pk)]


def test_nothing_chosen_makes_no_qr_code(survey):
    from kesheng.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        create_qr_distributions(survey=survey, stores=[], staff=[])
    assert [(e.field, e.reason) for e in refused.value.errors] == [
        ("stores", "choose at least one store or a touchpoint")
    ]
    assert Distribution.objects.count() == 0


def test_the_first_page_through_a_staff_members_code_records_them_at_no_extra_query(
    survey, qr_distribution, chen, django_assert_num_queries
):
    submitted = {"nps": 10, "visit": "buy"}
    # The same page through the store's code and through the staff member's code (the same
    # distribution with a staff member) costs the same queries: the staff id is copied as is.
    with django_assert_num_queries(3) as without_staff:
        plain = submit_first_page(
            survey=survey, page_name="p1", submitted=submitted, distribution=qr_distribution
        ).response
    qr_distribution.staff = chen
    qr_distribution.save(update_fields=["staff"])
    with django_assert_num_queries(len(without_staff.captured_queries)):
        served = submit_first_page(
            survey=survey, page_name="p1", submitted=submitted, distribution=qr_distribution
        ).response
    assert Response.objects.get(pk=plain.pk).staff_id is None
    stored = Response.objects.select_related("staff", "store").get(pk=served.pk)
    assert (stored.staff.code, stored.store.code) == ("SH-NJ-01", "sh-nanjing")


def test_a_response_started_without_a_distribution_has_no_staff_member(survey):
    assert start_response(survey=survey).staff_id is None


def test_the_api_records_the_staff_member_and_their_store(writer, survey, chen):
    answer = post(writer, survey.pk, {"answers": {"nps": 9, "visit": "buy"}, "staff": "SH-NJ-01"})
    assert answer.status_code == 201
    response = Response.objects.select_related("staff", "store").get()
    assert (response.staff.code, response.store.code) == ("SH-NJ-01", "sh-nanjing")


def test_the_api_keeps_a_store_given_with_the_staff_member(writer, survey, chen):
    other = save_store(code="bj-wfj", name_zh="王府井店")
    answer = post(
        writer,
        survey.pk,
        {"answers": {"nps": 9, "visit": "buy"}, "staff": "SH-NJ-01", "store": "bj-wfj"},
    )
    assert answer.status_code == 201
    assert Response.objects.values_list("staff_id", "store_id").get() == (chen.pk, other.pk)


def test_the_api_refuses_an_unknown_staff_code_on_that_field(writer, survey, chen):
    # Codes are case-sensitive, like store codes.
    answer = post(writer, survey.pk, {"answers": {"nps": 9, "visit": "buy"}, "staff": "sh-nj-01"})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "staff", "reason": "unknown code sh-nj-01"}]
    long_code = post(writer, survey.pk, {"answers": {"nps": 9, "visit": "buy"}, "staff": "x" * 41})
    assert long_code.status_code == 422
    assert [error["field"] for error in long_code.json()["errors"]] == ["staff"]
    assert Response.objects.count() == 0


def test_the_export_has_the_staff_code_next_to_the_store(writer, survey, chen, tmp_path):
    post(writer, survey.pk, {"answers": {"nps": 9, "visit": "buy"}, "staff": "SH-NJ-01"})
    post(writer, survey.pk, {"answers": {"nps": 3, "visit": "buy", "problem": "slow"}})
    path = tmp_path / "responses.csv"
    assert export_responses(survey=survey, format="csv", path=path) == 2
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    header = list(rows[0])
    assert header[header.index("store") + 1] == "staff"
    assert [(row["store"], row["staff"], row["nps"]) for row in rows] == [
        ("sh-nanjing", "SH-NJ-01", "9"),
        ("", "", "3"),
    ]
