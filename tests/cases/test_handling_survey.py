"""After a case closes the customer gets the built-in handling survey (a personal invitation);
a CSAT of 1-2 reopens the case with the reason, a good answer is kept on the case."""

import pytest

from kesheng.cases.actions import close_case, open_case, resolve_case
from kesheng.cases.models import Case
from kesheng.customers.actions import set_consent
from kesheng.messaging.models import Message
from kesheng.surveys.actions.responses import complete_response, start_response
from kesheng.surveys.models import Invitation, Survey
from tests.messaging.smtp import text_part


@pytest.fixture
def closed_case(customer, stores, smtp_server, django_capture_on_commit_callbacks):
    set_consent(
        customer=customer, channel="email", purpose="surveys", is_granted=True, source="web"
    )
    case = open_case(
        category="complaint", customer=customer, summary="退款没到", store_id=stores["sh01"].pk
    )
    with django_capture_on_commit_callbacks(execute=True):
        resolve_case(case=case, actor=None)
        close_case(case=case, actor=None)
    return Case.objects.get(pk=case.pk)


def _answer(invitation, answers, django_capture_on_commit_callbacks):
    response = start_response(survey=invitation.distribution.survey, invitation=invitation)
    response.answers = answers
    response.save(update_fields=["answers"])
    with django_capture_on_commit_callbacks(execute=True):
        return complete_response(response=response)


def test_closing_sends_the_handling_survey_once(closed_case, smtp_server):
    survey = Survey.objects.get(template_key="case_handling")
    assert (survey.status, survey.title) == ("open", "问题处理满意度")
    invitation = Invitation.objects.get()
    closing = closed_case.events.get(kind="status", to_value="closed")
    assert (invitation.customer_id, invitation.status, invitation.trigger_key) == (
        closed_case.customer_id,
        "delivered",
        f"case:{closed_case.pk}:{closing.pk}",
    )
    sent = closed_case.events.get(kind="survey_sent")
    assert (sent.to_value, sent.data) == (
        "sent",
        {"invitation_id": invitation.pk, "channel": "email", "sent": True},
    )
    # The resolution notice (service) and the invitation (surveys), both by email.
    assert sorted(Message.objects.values_list("purpose", flat=True)) == ["service", "surveys"]
    assert any(f"/r/{invitation.token}/" in text_part(mail) for mail in smtp_server.messages)


def test_the_handling_survey_ignores_fatigue_but_not_consent(customer, make_customer, db):
    from kesheng.cases.actions import send_handling_survey

    refused = make_customer("C009", name="赵敏", email="zhao.min@example.com")
    case = open_case(category="complaint", customer=refused, summary="s")
    close_case(case=case, actor=None)
    closing = case.events.get(kind="status", to_value="closed")
    send_handling_survey({"case_id": case.pk, "event_id": closing.pk})
    assert Invitation.objects.get().status == "skipped_consent"
    assert case.events.get(kind="survey_sent").to_value == "skipped_consent"
    # Redelivered: nothing new.
    send_handling_survey({"case_id": case.pk, "event_id": closing.pk})
    assert (Invitation.objects.count(), case.events.filter(kind="survey_sent").count()) == (1, 1)


def test_a_low_handling_answer_reopens_the_case(closed_case, django_capture_on_commit_callbacks):
    invitation = Invitation.objects.get()
    response = _answer(
        invitation,
        {"handling_csat": 2, "handling_comment": "还是没退款"},
        django_capture_on_commit_callbacks,
    )
    case = Case.objects.get()  # no new low-satisfaction case was opened
    assert (case.pk, case.status, case.handling_csat, case.handling_response_id) == (
        closed_case.pk,
        "reopened",
        2,
        response.pk,
    )
    answered = case.events.get(kind="survey_answered")
    assert (answered.to_value, answered.text) == ("2", "还是没退款")
    reopened = case.events.get(kind="status", to_value="reopened")
    assert (reopened.from_value, reopened.actor, reopened.text) == (
        "closed",
        None,
        "the customer rated the handling 2 of 5: 还是没退款",
    )


def test_a_good_handling_answer_is_kept_and_the_case_stays_closed(
    closed_case, django_capture_on_commit_callbacks
):
    _answer(Invitation.objects.get(), {"handling_csat": 5}, django_capture_on_commit_callbacks)
    case = Case.objects.get()
    assert (case.status, case.handling_csat) == ("closed", 5)
    assert not case.events.filter(kind="status", to_value="reopened").exists()


def test_a_closing_replayed_from_the_past_sends_no_survey(
    customer, stores, smtp_server, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    set_consent(
        customer=customer, channel="email", purpose="surveys", is_granted=True, source="web"
    )
    case = open_case(category="complaint", customer=customer, summary="历史工单")
    long_ago = timezone.now() - timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        resolve_case(case=case, actor=None, tell_customer=False, now=long_ago)
        close_case(case=case, actor=None, now=long_ago + timedelta(hours=1))
    assert Invitation.objects.count() == 0
    assert not Case.objects.get(pk=case.pk).events.filter(kind="survey_sent").exists()
