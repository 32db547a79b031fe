"""Replies to the customer by email or SMS from templates with placeholders (through the
outbox, consent checked, delivered to a real local SMTP server), refusals that change nothing,
and the customer told when the case is resolved."""

import json

import pytest

from kesheng.cases.actions import close_case, open_case, reply_to_customer, resolve_case
from kesheng.cases.models import Case, CaseEvent, ReplyTemplate
from kesheng.core.errors import InvalidInput
from kesheng.customers.actions import set_consent
from kesheng.messaging.models import Message
from tests.messaging.smtp import text_part
from tests.staff_fixtures import create_staff_user

URL = "/api/v1/cases"


@pytest.fixture
def complaint(customer, stores):
    return open_case(
        category="complaint", customer=customer, summary="退款没到", store_id=stores["sh01"].pk
    )


@pytest.fixture
def apology(db):
    return ReplyTemplate.objects.create(
        key="apology",
        name="Apology",
        subject="关于您的工单 #{case_number}",
        body="{customer_name}您好，您在{store}的问题（工单 #{case_number}）由{agent_name}跟进。",
    )


def test_a_template_reply_is_emailed_with_placeholders_filled(
    complaint, apology, smtp_server, django_capture_on_commit_callbacks
):
    agent = create_staff_user("agent.li")
    agent.first_name = "丽"
    agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        event = reply_to_customer(case=complaint, actor=agent, template_key="apology")
    body = f"王芳您好，您在Shanghai 1的问题（工单 #{complaint.pk}）由丽跟进。"
    assert (event.kind, event.actor, event.to_value, event.text) == ("reply", agent, "email", body)
    message = Message.objects.get()
    assert (message.purpose, message.channel, message.status, message.idempotency_key) == (
        "service",
        "email",
        "sent",
        f"cases.reply:{event.pk}",
    )
    assert event.data == {
        "channel": "email",
        "template": "apology",
        "subject": f"关于您的工单 #{complaint.pk}",
        "message_id": message.pk,
        "message_status": "queued",
    }
    [mail] = smtp_server.messages
    assert (mail["To"], mail["Subject"]) == (
        "wang.fang@example.com",
        f"关于您的工单 #{complaint.pk}",
    )
    assert text_part(mail).startswith(body)
    complaint.refresh_from_db()
    assert complaint.first_responded_at == event.created_at


def test_a_typed_reply_goes_by_sms_when_asked(complaint):
    event = reply_to_customer(
        case=complaint, actor=None, text="{customer_name}，已退款。", channel="sms"
    )
    message = Message.objects.get()
    assert (message.channel, message.recipient, event.text) == (
        "sms",
        "+8613800138000",
        "王芳，已退款。",
    )
    assert message.body_text.startswith("王芳，已退款。")


def test_a_case_without_a_customer_is_replied_to_on_record_only(db):
    case = open_case(category="complaint", summary="anonymous")
    event = reply_to_customer(case=case, actor=None, text="called back")
    assert (event.to_value, Message.objects.count()) == ("none", 0)


@pytest.mark.parametrize(
    ("change", "arguments", "field", "reason"),
    [
        ("close", {"text": "x"}, "status", "the case is closed; reopen it to reply"),
        (None, {"template_key": "nope"}, "template", "no reply template 'nope'"),
        (None, {"text": "  "}, "text", "is required (or choose a template)"),
        (
            None,
            {"text": "Hi {custmer_name}"},
            "text",
            "unknown placeholder {custmer_name}; known: {customer_name}, {case_number}, "
            "{store}, {agent_name}, {category}",
        ),
        (
            None,
            {"text": "x", "channel": "fax"},
            "channel",
            "'fax' is not one of auto, email, sms, none",
        ),
        ("no_phone", {"text": "x", "channel": "sms"}, "channel", "the customer has no SMS address"),
        (
            "refuse_email",
            {"text": "x", "channel": "email"},
            "channel",
            "the customer refused service messages by email",
        ),
    ],
)
def test_refused_replies_change_nothing(complaint, make_customer, change, arguments, field, reason):
    case = complaint
    if change == "close":
        close_case(case=case, actor=None)
    elif change == "no_phone":
        case = open_case(
            category="complaint",
            customer=make_customer("C002", name="李雷", email="li.lei@example.com"),
            summary="s",
        )
    elif change == "refuse_email":
        set_consent(
            customer=case.customer,
            channel="email",
            purpose="service",
            is_granted=False,
            source="call",
        )
    before = CaseEvent.objects.count()
    case.refresh_from_db()
    first_response = case.first_responded_at
    with pytest.raises(InvalidInput) as refused:
        reply_to_customer(case=case, actor=None, **arguments)
    assert [error.as_dict() for error in refused.value.errors] == [
        {"field": field, "reason": reason}
    ]
    assert (CaseEvent.objects.count(), Message.objects.count()) == (before, 0)
    case.refresh_from_db()
    assert case.first_responded_at == first_response


def test_resolving_tells_the_customer(complaint, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        resolve_case(case=complaint, actor=None, note="退款完成")
    told = complaint.events.get(kind="customer_told")
    message = Message.objects.get()
    assert (told.to_value, told.data["message_id"], message.purpose, message.status) == (
        "email",
        message.pk,
        "service",
        "sent",
    )
    status_event = complaint.events.get(kind="status", to_value="resolved")
    assert message.idempotency_key == f"cases.resolved:{status_event.pk}"
    [mail] = smtp_server.messages
    assert mail["Subject"] == f"您的工单 #{complaint.pk} 已解决"
    assert f"尊敬的 王芳，您的工单 #{complaint.pk} 已解决。" in text_part(mail)


def test_resolving_uses_the_case_resolved_template_when_there_is_one(complaint):
    ReplyTemplate.objects.create(
        key="case_resolved", name="Resolved", body="{customer_name}，工单 #{case_number} 已解决。"
    )
    resolve_case(case=complaint, actor=None)
    assert Message.objects.get().body_text.startswith(f"王芳，工单 #{complaint.pk} 已解决。")


def test_resolving_without_telling_and_without_an_address(complaint, make_customer):
    resolve_case(case=complaint, actor=None, tell_customer=False)
    assert Message.objects.count() == 0
    silent = open_case(
        category="complaint", customer=make_customer("C003", name="无名"), summary="s"
    )
    resolve_case(case=silent, actor=None)
    assert silent.events.get(kind="customer_told").data == {"reason": "no address"}


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_api_reply_sends_from_a_template_and_refuses_bad_input(api_client, complaint, apology):
    client = api_client("cases:write")
    sent = post(client, f"{URL}/{complaint.pk}/reply", {"template": "apology", "channel": "email"})
    assert sent.status_code == 200
    assert sent.json()["history"][-1]["kind"] == "reply"
    assert Message.objects.get().channel == "email"
    unknown = post(client, f"{URL}/{complaint.pk}/reply", {"template": "nope"})
    assert (unknown.status_code, unknown.json()["errors"]) == (
        422,
        [{"field": "template", "reason": "no reply template 'nope'"}],
    )
    extra = post(client, f"{URL}/{complaint.pk}/reply", {"text": "x", "cc": "boss"})
    assert extra.status_code == 422
    close_case(case=complaint, actor=None)
    closed = post(client, f"{URL}/{complaint.pk}/reply", {"text": "x"})
    assert (closed.status_code, closed.json()["errors"][0]["field"]) == (422, "status")
    assert Message.objects.count() == 1
    assert Case.objects.get().status == "closed"


def test_case_page_sends_a_reply(client, complaint, apology):
    from tests.staff_fixtures import STAFF_PASSWORD

    create_staff_user("agent.li")
    client.login(username="agent.li", password=STAFF_PASSWORD)
    page = client.get(f"/cases/{complaint.pk}/")
    assert page.status_code == 200
    assert b'action="/cases/%d/reply/"' % complaint.pk in page.content
    done = client.post(
        f"/cases/{complaint.pk}/reply/", {"template": "apology", "channel": "auto", "text": ""}
    )
    assert done.status_code == 302
    assert Message.objects.get().recipient == "wang.fang@example.com"
    refused = client.post(f"/cases/{complaint.pk}/reply/", {"channel": "auto", "text": "Hi {nom}"})
    assert refused.status_code == 400
    assert Message.objects.count() == 1
