import json

import pytest

from kesheng.core.models import DomainEvent
from kesheng.surveys.models import Response, ResponseStatus, ResponseValue, SurveyStatus

# The fixtures (survey, make_survey, store).
from tests.surveys.response_fixtures import *  # noqa: F403


def url(survey_id) -> str:
    return f"/api/v1/surveys/{survey_id}/responses"


def post(client, survey_id, body):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url(survey_id), data=data, content_type="application/json")


@pytest.fixture
def writer(api_client):
    return api_client("responses:write")


def test_a_complete_response_is_stored(writer, survey, customer, store):
    answer = post(
        writer,
        survey.pk,
        {
            "answers": {"nps": 4, "visit": "return", "problem": "Slow refund", "refund_ok": True},
            "customer_id": "C001",
            "channel": "app",
            "touchpoint": "app_checkout",
            "store": "sh-nanjing",
            "language": "en",
            "submitted_at": "2025-03-01T14:30:00+08:00",
        },
    )
    assert answer.status_code == 201
    response = Response.objects.get()
    assert answer.json() == {
        "id": response.pk,
        "survey_id": survey.pk,
        "completed_at": "2025-03-01T06:30:00Z",
    }
    assert response.status == ResponseStatus.COMPLETED
    assert response.customer == customer
    assert (response.channel.code, response.touchpoint.code, response.store.code) == (
        "app",
        "app_checkout",
        "sh-nanjing",
    )
    assert ResponseValue.objects.filter(response=response).count() == 4
    assert DomainEvent.objects.filter(name="response.completed").count() == 1


def test_the_answer_to_a_hidden_question_is_discarded(writer, survey):
    answer = post(
        writer,
        survey.pk,
        {"answers": {"nps": 10, "visit": "buy", "problem": "none", "refund_ok": True}},
    )
    assert answer.status_code == 201
    assert Response.objects.get().answers == {"nps": 10, "visit": "buy"}


def test_each_bad_answer_is_named_and_nothing_is_stored(writer, survey):
    answer = post(
        writer,
        survey.pk,
        {"answers": {"nps": "ten", "visit": "teleport", "channels": "app", "colour": "blue"}},
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["errors"] == [
        {"field": "answers.colour", "reason": "is not a question of this survey"},
        {"field": "answers.nps", "reason": "must be a whole number from 0 to 10"},
        {"field": "answers.visit", "reason": "is not one of the choices offered"},
        {"field": "answers.problem", "reason": "is required"},
        {"field": "answers.channels", "reason": "must be a list of choices"},
    ]
    assert body["detail"].startswith("5 fields are invalid: answers.colour")
    assert Response.objects.count() == 0


def test_an_unknown_customer_store_or_language_is_422_on_that_field(writer, survey):
    answer = post(
        writer,
        survey.pk,
        {
            "answers": {"nps": 9, "visit": "buy"},
            "customer_id": "C404",
            "store": "nowhere",
            "language": "fr",
        },
    )
    assert answer.status_code == 422
    assert [error["field"] for error in answer.json()["errors"]] == [
        "customer_id",
        "store",
        "language",
    ]
    assert Response.objects.count() == 0


def test_a_malformed_body_is_refused_with_the_field(writer, survey):
    answer = post(writer, survey.pk, {"answers": [], "submitted_at": "2025-03-01T14:30:00"})
    assert answer.status_code == 422
    assert [error["field"] for error in answer.json()["errors"]] == ["answers", "submitted_at"]
    assert post(writer, survey.pk, "{not json").status_code == 400
    assert post(writer, survey.pk, {"answers": {}, "extra": 1}).status_code == 422
    assert Response.objects.count() == 0


def test_the_same_response_id_twice_stores_one_response(writer, survey):
    body = {"answers": {"nps": 9, "visit": "buy"}, "response_id": "kiosk-7-000123"}
    first = post(writer, survey.pk, body)
    again = post(writer, survey.pk, {**body, "answers": {"nps": 0, "visit": "browse"}})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Response.objects.get().answers == {"nps": 9, "visit": "buy"}
    assert DomainEvent.objects.filter(name="response.completed").count() == 1


def test_a_response_id_used_in_another_survey_is_409(writer, survey, make_survey):
    other = make_survey(slug="other")
    post(writer, survey.pk, {"answers": {"nps": 9, "visit": "buy"}, "response_id": "r1"})
    answer = post(writer, other.pk, {"answers": {"nps": 9, "visit": "buy"}, "response_id": "r1"})
    assert answer.status_code == 409
    assert Response.objects.count() == 1


def test_an_unknown_survey_is_404(writer, survey):
    answer = post(writer, survey.pk + 100, {"answers": {"nps": 9}})
    assert answer.status_code == 404
    assert answer.json() == {"detail": f"no survey with id {survey.pk + 100}"}


@pytest.mark.parametrize(
    "options",
    [{"status": SurveyStatus.CLOSED}, {"status": SurveyStatus.DRAFT}],
)
def test_a_survey_not_open_is_409(writer, make_survey, options):
    survey = make_survey(**options)
    answer = post(writer, survey.pk, {"answers": {"nps": 9, "visit": "buy"}})
    assert answer.status_code == 409
    assert Response.objects.count() == 0


def test_a_full_survey_is_409(writer, make_survey):
    survey = make_survey(response_cap=1)
    assert post(writer, survey.pk, {"answers": {"nps": 9, "visit": "buy"}}).status_code == 201
    answer = post(writer, survey.pk, {"answers": {"nps": 10, "visit": "buy"}})
    assert answer.status_code == 409
    assert answer.json() == {"detail": "this survey has received all the responses it needs"}
    assert Response.objects.count() == 1


def test_an_anonymous_survey_ignores_the_customer(writer, make_survey, customer):
    survey = make_survey(is_anonymous=True)
    answer = post(writer, survey.pk, {"answers": {"nps": 9, "visit": "buy"}, "customer_id": "C001"})
    assert answer.status_code == 201
    assert Response.objects.get().customer_id is None


def test_a_key_is_required(client, survey):
    answer = post(client, survey.pk, {"answers": {"nps": 9, "visit": "buy"}})
    assert answer.status_code == 401
    assert Response.objects.count() == 0


def test_a_key_without_the_scope_is_403(api_client, survey):
    answer = post(api_client("customers:write"), survey.pk, {"answers": {"nps": 9, "visit": "buy"}})
    assert answer.status_code == 403
    assert answer.json() == {"detail": "this API key needs scope responses:write"}
    assert Response.objects.count() == 0
