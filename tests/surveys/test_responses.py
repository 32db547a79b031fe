from datetime import timedelta

import pytest
from django.utils import timezone, translation

from kesheng.core.errors import Conflict, InvalidInput
from kesheng.core.models import DomainEvent
from kesheng.customers.queries import get_customer_360, list_timeline
from kesheng.surveys.actions.responses import (
    InvitationUnusable,
    ResponseFinished,
    SurveyUnavailable,
    complete_response,
    device_type_of,
    go_back,
    save_page,
    start_response,
    submit_complete_response,
)
from kesheng.surveys.models import (
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    ResponseValue,
    SurveyStatus,
)

# The fixtures (survey, make_survey, qr_distribution, make_invitation, store).
from tests.surveys.response_fixtures import *  # noqa: F403

IPHONE_WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x1800282a) NetType/WIFI"
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def values_of(response) -> list[tuple]:
    return sorted(
        ResponseValue.objects.filter(response=response).values_list(
            "question", "item", "number", "text"
        )
    )


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (IPHONE_WECHAT, "mobile"),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36",
            "mobile",
        ),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15", "tablet"),
        ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Safari/537.36", "tablet"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36",
            "desktop",
        ),
        ("", "unknown"),
    ],
)
def test_device_type_is_read_from_the_user_agent(agent, device):
    assert device_type_of(agent) == device


def test_start_records_the_distribution_language_device_and_start_time(qr_distribution):
    before = timezone.now()
    response = start_response(
        survey=qr_distribution.survey,
        distribution=qr_distribution,
        language="en",
        user_agent=IPHONE_WECHAT,
    )
    response.refresh_from_db()
    assert response.status == ResponseStatus.IN_PROGRESS
    assert response.current_page == "p1"
    assert response.channel.code == "store"
    assert response.touchpoint.code == "store_checkout"
    assert response.store.code == "sh-nanjing"
    assert response.language == "en"
    assert response.device_type == "mobile"
    assert response.customer is None
    assert before <= response.started_at <= timezone.now()
    assert len(response.resume_key) >= 43  # 32 random bytes


def test_start_falls_back_to_the_default_language_for_one_the_survey_lacks(survey):
    assert start_response(survey=survey, language="fr").language == "zh-hans"


def test_start_through_an_invitation_links_the_customer_and_marks_it_started(
    survey, customer, make_invitation
):
    invitation = make_invitation(survey, customer)
    response = start_response(survey=survey, invitation=invitation)
    invitation.refresh_from_db()
    assert response.customer == customer
    assert response.distribution == invitation.distribution
    assert response.channel.code == "email"
    assert invitation.status == InvitationStatus.STARTED
    assert invitation.started_at == response.started_at
    # Opening the link again resumes the same response.
    assert start_response(survey=survey, invitation=invitation).pk == response.pk
    assert Response.objects.count() == 1


def test_an_anonymous_survey_never_links_the_invited_customer(
    make_survey, customer, make_invitation
):
    survey = make_survey(is_anonymous=True)
    response = start_response(survey=survey, invitation=make_invitation(survey, customer))
    assert response.customer_id is None


@pytest.mark.parametrize(
    ("status", "reason"), [(SurveyStatus.DRAFT, "not_open"), (SurveyStatus.CLOSED, "closed")]
)
def test_start_is_refused_unless_the_survey_is_open(make_survey, status, reason):
    survey = make_survey(status=status)
    with pytest.raises(SurveyUnavailable) as refused:
        start_response(survey=survey)
    assert refused.value.reason == reason
    assert Response.objects.count() == 0


def test_start_is_refused_after_the_close_date(make_survey):
    survey = make_survey(closes_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(SurveyUnavailable) as refused:
        start_response(survey=survey)
    assert refused.value.reason == "closed"


def test_an_expired_invitation_is_refused(survey, customer, make_invitation):
    invitation = make_invitation(survey, customer, expires_in=timedelta(seconds=-1))
    with pytest.raises(InvitationUnusable) as refused:
        start_response(survey=survey, invitation=invitation)
    assert refused.value.reason == "expired"
    assert Response.objects.count() == 0


def test_save_page_follows_the_skip_rule_for_a_promoter(survey):
    response = start_response(survey=survey)
    result = save_page(response=response, page_name="p1", submitted={"nps": 10, "visit": "buy"})
    response.refresh_from_db()
    assert result.errors == {}
    assert response.current_page == "p3"
    assert response.page_history == ["p1"]
    assert response.answers == {"nps": 10, "visit": "buy"}


def test_save_page_with_errors_saves_nothing(survey):
    response = start_response(survey=survey)
    result = save_page(
        response=response, page_name="p1", submitted={"nps": 11, "visit": "teleport"}
    )
    assert set(result.errors) == {"nps", "visit"}
    response.refresh_from_db()
    assert response.answers == {}
    assert response.current_page == "p1"


def test_save_page_drops_the_answer_to_a_hidden_question(survey):
    response = start_response(survey=survey)
    save_page(response=response, page_name="p1", submitted={"nps": 3, "visit": "buy"})
    save_page(
        response=response,
        page_name="p2",
        submitted={"problem": "Long queue", "refund_ok": True},
    )
    response.refresh_from_db()
    assert response.answers == {"nps": 3, "visit": "buy", "problem": "Long queue"}
    assert response.current_page == "p3"


def test_back_returns_to_the_previous_page_and_keeps_the_answers(survey):
    response = start_response(survey=survey)
    save_page(response=response, page_name="p1", submitted={"nps": 3, "visit": "buy"})
    go_back(response=response)
    response.refresh_from_db()
    assert response.current_page == "p1"
    assert response.page_history == []
    assert response.answers == {"nps": 3, "visit": "buy"}


def test_the_last_page_completes_the_response_with_its_values_and_event(survey, customer):
    response = start_response(survey=survey)
    save_page(response=response, page_name="p1", submitted={"nps": 10, "visit": "buy"})
    result = save_page(
        response=response,
        page_name="p3",
        submitted={"channels": ["app", "wechat"], "comment": "Great staff"},
    )
    response.refresh_from_db()
    assert result.completed
    assert response.status == ResponseStatus.COMPLETED
    assert response.completed_at is not None
    assert response.answers == {
        "nps": 10,
        "visit": "buy",
        "channels": ["app", "wechat"],
        "comment": "Great staff",
    }
    assert values_of(response) == [
        ("channels", "", None, "app"),
        ("channels", "", None, "wechat"),
        ("comment", "", None, "Great staff"),
        ("nps", "", 10.0, ""),
        ("visit", "", None, "buy"),
    ]
    event = DomainEvent.objects.get(name="response.completed")
    assert event.payload == {
        "response_id": response.pk,
        "survey_id": survey.pk,
        "customer_id": None,
        "customer_pk": None,
    }
    with pytest.raises(ResponseFinished):
        save_page(response=response, page_name="p3", submitted={})


def test_completion_marks_the_invitation_completed_so_the_link_is_single_use(
    survey, customer, make_invitation
):
    invitation = make_invitation(survey, customer)
    response = start_response(survey=survey, invitation=invitation)
    save_page(response=response, page_name="p1", submitted={"nps": 9, "visit": "buy"})
    save_page(response=response, page_name="p3", submitted={})
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.COMPLETED
    assert invitation.completed_at == Response.objects.get().completed_at
    assert DomainEvent.objects.get(name="response.completed").payload["customer_id"] == "C001"
    with pytest.raises(InvitationUnusable) as refused:
        start_response(survey=survey, invitation=invitation)
    assert refused.value.reason == "used"


def test_the_response_cap_refuses_completion_beyond_it(make_survey):
    survey = make_survey(response_cap=1)
    first = start_response(survey=survey)
    second = start_response(survey=survey)
    for response in (first, second):
        save_page(response=response, page_name="p1", submitted={"nps": 9, "visit": "buy"})
    save_page(response=first, page_name="p3", submitted={})
    with pytest.raises(SurveyUnavailable) as refused:
        save_page(response=second, page_name="p3", submitted={})
    assert refused.value.reason == "capped"
    second.refresh_from_db()
    assert second.status == ResponseStatus.IN_PROGRESS
    assert Response.objects.filter(status=ResponseStatus.COMPLETED).count() == 1
    assert ResponseValue.objects.filter(response=second).count() == 0


def test_completing_twice_changes_nothing(survey):
    response = start_response(survey=survey)
    save_page(response=response, page_name="p1", submitted={"nps": 9, "visit": "buy"})
    save_page(response=response, page_name="p3", submitted={})
    stale = Response.objects.get(pk=response.pk)
    stale.status = ResponseStatus.IN_PROGRESS  # a second request that read the row before
    complete_response(response=stale)
    assert ResponseValue.objects.filter(response=response).count() == 2
    assert DomainEvent.objects.filter(name="response.completed").count() == 1


def test_submit_complete_response_stores_a_whole_response(survey, customer, store):
    response, created = submit_complete_response(
        survey=survey,
        answers={"nps": 4, "visit": "return", "problem": "Slow refund", "refund_ok": False},
        customer_id="C001",
        channel="app",
        touchpoint="app_checkout",
        store="sh-nanjing",
        language="en",
        external_id="kiosk-1",
    )
    response.refresh_from_db()
    assert created
    assert response.status == ResponseStatus.COMPLETED
    assert response.customer == customer
    assert (response.channel.code, response.touchpoint.code, response.store.code) == (
        "app",
        "app_checkout",
        "sh-nanjing",
    )
    assert response.language == "en"
    assert response.device_type == "unknown"
    assert response.external_id == "kiosk-1"
    assert values_of(response) == [
        ("nps", "", 4.0, ""),
        ("problem", "", None, "Slow refund"),
        ("refund_ok", "", 0.0, ""),
        ("visit", "", None, "return"),
    ]


def test_submit_complete_response_is_idempotent_on_the_external_id(survey):
    first, created = submit_complete_response(
        survey=survey, answers={"nps": 9, "visit": "buy"}, external_id="app-77"
    )
    again, created_again = submit_complete_response(
        survey=survey, answers={"nps": 1, "visit": "browse"}, external_id="app-77"
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Response.objects.get().answers == {"nps": 9, "visit": "buy"}
    assert DomainEvent.objects.filter(name="response.completed").count() == 1


def test_an_external_id_of_another_survey_is_a_conflict(survey, make_survey):
    other = make_survey(slug="other")
    submit_complete_response(survey=survey, answers={"nps": 9, "visit": "buy"}, external_id="x")
    with pytest.raises(Conflict):
        submit_complete_response(survey=other, answers={"nps": 9, "visit": "buy"}, external_id="x")
    assert Response.objects.count() == 1


def test_submit_names_every_bad_answer_and_field_and_stores_nothing(survey):
    with pytest.raises(InvalidInput) as refused:
        submit_complete_response(
            survey=survey,
            answers={"nps": 12, "visit": "teleport", "colour": "blue"},
            customer_id="C404",
            store="nowhere",
            submitted_at=timezone.now() + timedelta(days=1),
        )
    assert [(error.field, error.reason) for error in refused.value.errors] == [
        ("answers.colour", "is not a question of this survey"),
        ("answers.nps", "must be from 0 to 10"),
        ("answers.visit", "is not one of the choices offered"),
        ("answers.problem", "is required"),  # a bad nps takes no skip: page 2 is on the path
        ("customer_id", "no customer has this customer_id"),
        ("store", "unknown code nowhere"),
        ("submitted_at", "is in the future"),
    ]
    assert Response.objects.count() == 0
    assert DomainEvent.objects.filter(name="response.completed").count() == 0


def test_submit_demands_the_required_answers_on_the_path(survey):
    with pytest.raises(InvalidInput) as refused:
        submit_complete_response(survey=survey, answers={"nps": 3, "visit": "buy"})
    assert [(error.field, error.reason) for error in refused.value.errors] == [
        ("answers.problem", "is required")
    ]


def test_submit_ignores_the_customer_of_an_anonymous_survey(make_survey, customer):
    survey = make_survey(is_anonymous=True)
    response, _created = submit_complete_response(
        survey=survey, answers={"nps": 9, "visit": "buy"}, customer_id="C001"
    )
    assert response.customer_id is None


def test_submit_refuses_a_closed_survey(make_survey):
    survey = make_survey(status=SurveyStatus.CLOSED)
    with pytest.raises(SurveyUnavailable):
        submit_complete_response(survey=survey, answers={"nps": 9, "visit": "buy"})
    assert Response.objects.count() == 0


def test_completed_responses_are_on_the_customer_timeline_and_360_page(survey, customer):
    response, _created = submit_complete_response(
        survey=survey, answers={"nps": 9, "visit": "buy"}, customer_id="C001", channel="app"
    )
    entries, _cursor = list_timeline(customer)
    entry = next(entry for entry in entries if entry.kind == "response")
    assert entry.id == response.pk
    assert entry.title == "Store visit"
    assert entry.channel == "app"
    assert entry.data["scores"] == {"nps": {"type": "nps", "value": 9}}
    profile = get_customer_360("C001")
    shown = next(item for item in profile.timeline if item.entry.kind == "response")
    assert shown.display.details == ("NPS 9",)


def test_in_progress_responses_are_not_on_the_timeline(survey, customer, make_invitation):
    start_response(survey=survey, invitation=make_invitation(survey, customer))
    entries, _cursor = list_timeline(customer)
    assert [entry for entry in entries if entry.kind == "response"] == []
    assert Invitation.objects.get().status == InvitationStatus.STARTED
