from datetime import UTC, datetime, timedelta

import pytest

from kesheng.core.errors import InvalidInput
from kesheng.core.models import DomainEvent
from kesheng.messaging.models import Message
from kesheng.surveys.actions.history import (
    PastInvitation,
    PastResponse,
    load_invitation_history,
    load_response_history,
)
from kesheng.surveys.models import (
    Distribution,
    DistributionKind,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    ResponseValue,
)
from tests.surveys.response_fixtures import *  # noqa: F403

SENT = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def email_distribution(survey):
    return Distribution.objects.create(
        survey=survey, kind=DistributionKind.EMAIL, name="Wave 1", key="wave-1"
    )


def test_past_invitations_keep_their_times_and_status(email_distribution, make_customer):
    agreed = make_customer("C1", email="a@example.com", consents={"email:surveys": True})
    opened = SENT + timedelta(hours=3)
    created = load_invitation_history(
        distribution=email_distribution,
        invitations=[
            PastInvitation(customer_pk=agreed.pk, sent_at=SENT, opened_at=opened),
        ],
    )
    invitation = Invitation.objects.get(pk=created[agreed.pk].pk)
    assert invitation.status == InvitationStatus.OPENED
    assert (invitation.sent_at, invitation.opened_at, invitation.created_at) == (
        SENT,
        opened,
        SENT,
    )
    assert invitation.expires_at == SENT + timedelta(days=30)
    assert Message.objects.count() == 0


def test_a_past_invitation_without_consent_is_recorded_as_skipped(
    email_distribution, make_customer
):
    refused = make_customer("C2", email="b@example.com", consents={"email:surveys": False})
    load_invitation_history(
        distribution=email_distribution,
        invitations=[PastInvitation(customer_pk=refused.pk, sent_at=SENT, opened_at=SENT)],
    )
    invitation = Invitation.objects.get(customer=refused)
    assert (invitation.status, invitation.sent_at, invitation.opened_at) == (
        InvitationStatus.SKIPPED_CONSENT,
        None,
        None,
    )


def test_past_responses_are_stored_with_their_values_and_one_event(survey, customer):
    completed = PastResponse(
        external_id="old-1",
        answers={"nps": 6, "visit": "buy", "problem": "排队太久"},
        started_at=SENT,
        completed_at=SENT + timedelta(minutes=4),
        customer_pk=customer.pk,
    )
    left = PastResponse(
        external_id="old-2",
        answers={"nps": 3, "visit": "browse"},
        started_at=SENT,
        current_page="p2",
    )
    assert load_response_history(survey=survey, responses=[completed, left]) == 2
    stored = Response.objects.get(external_id="old-1")
    assert (stored.status, stored.customer, stored.completed_at) == (
        ResponseStatus.COMPLETED,
        customer,
        SENT + timedelta(minutes=4),
    )
    assert sorted(
        ResponseValue.objects.filter(response=stored).values_list("question", "number", "text")
    ) == [("nps", 6.0, ""), ("problem", None, "排队太久"), ("visit", None, "buy")]
    in_progress = Response.objects.get(external_id="old-2")
    assert (in_progress.status, in_progress.current_page, in_progress.answers) == (
        ResponseStatus.IN_PROGRESS,
        "p2",
        {"nps": 3, "visit": "browse"},
    )
    assert not ResponseValue.objects.filter(response=in_progress).exists()
    assert list(DomainEvent.objects.values_list("name", flat=True)).count("responses.imported") == 1
    assert not DomainEvent.objects.filter(name="response.completed").exists()


def test_loading_the_same_responses_again_adds_nothing(survey):
    past = PastResponse(
        external_id="old-1",
        answers={"nps": 9, "visit": "buy"},
        started_at=SENT,
        completed_at=SENT,
    )
    load_response_history(survey=survey, responses=[past])
    assert load_response_history(survey=survey, responses=[past]) == 0
    assert Response.objects.count() == 1


def test_an_invalid_past_answer_is_refused_by_id_and_question_and_nothing_is_stored(survey):
    good = PastResponse(
        external_id="old-1", answers={"nps": 9, "visit": "buy"}, started_at=SENT, completed_at=SENT
    )
    bad = PastResponse(
        external_id="old-2", answers={"nps": 11, "visit": "buy"}, started_at=SENT, completed_at=SENT
    )
    with pytest.raises(InvalidInput) as raised:
        load_response_history(survey=survey, responses=[good, bad])
    assert [error.field for error in raised.value.errors] == ["old-2.answers.nps"]
    assert Response.objects.count() == 0
    assert ResponseValue.objects.count() == 0


def test_an_anonymous_survey_keeps_no_customer(make_survey, customer):
    survey = make_survey(slug="anonymous", is_anonymous=True)
    load_response_history(
        survey=survey,
        responses=[
            PastResponse(
                external_id="old-1",
                answers={"nps": 9, "visit": "buy"},
                started_at=SENT,
                completed_at=SENT,
                customer_pk=customer.pk,
            )
        ],
    )
    assert Response.objects.get().customer is None
