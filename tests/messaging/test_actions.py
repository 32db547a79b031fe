import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from kesheng.core.errors import InvalidInput
from kesheng.customers.models import Consent
from kesheng.messaging.actions import (
    MAX_SEND_ATTEMPTS,
    queue_message,
    record_delivery_report,
    send_message,
)
from kesheng.messaging.models import Message
from kesheng.messaging.tasks import send_queued_messages
from tests.messaging.smtp import free_port, html_part, text_part

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def consenting(make_customer):
    return make_customer(
        "C100",
        name="Li Lei",
        email="li.lei@example.com",
        phone="13800138001",
        consents={"email:surveys": True, "sms:surveys": True},
    )


def queue(customer, key="k1", **overrides):
    fields = {
        "customer": customer,
        "channel": "email",
        "purpose": "surveys",
        "subject": "How did we do?",
        "body_text": "Hello Li Lei, please answer.",
        "body_html": "<html><body><p>Hello Li Lei</p></body></html>",
        "language": "en",
        "idempotency_key": key,
    }
    return queue_message(**{**fields, **overrides})


def test_email_goes_through_a_real_smtp_server_with_unsubscribe_link_and_headers(
    consenting, smtp_server, public_url, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(consenting)
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.attempts == 1
    assert message.delivered_at is not None
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["Subject"] == "How did we do?"
    assert received["To"] == "li.lei@example.com"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header_url = received["List-Unsubscribe"].strip().strip("<>")
    assert header_url.startswith("http://testserver/m/unsubscribe/")
    assert received["Message-ID"] == message.provider_message_id
    text = text_part(received)
    assert text.startswith("Hello Li Lei, please answer.")
    assert f"To stop receiving these messages, open this link:\n{header_url}" in text
    assert f'<a href="{header_url}">Unsubscribe</a></p></body>' in html_part(received)
    assert smtp_server.envelopes[0].rcpt_tos == ["li.lei@example.com"]


def test_unsubscribe_link_in_the_email_withdraws_consent_end_to_end(
    consenting, smtp_server, public_url, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queue(consenting)
    text = text_part(smtp_server.messages[0])
    path = re.search(r"http://testserver(/m/unsubscribe/\S+/)", text).group(1)
    browser = Client()
    page = browser.get(path)
    assert page.status_code == 200
    assert "Stop receiving surveys by email?" in page.content.decode()
    assert Consent.objects.get(customer=consenting, channel="email", purpose="surveys").is_granted
    done = browser.post(path)
    assert done.status_code == 200
    assert "You will not receive surveys by email any more." in done.content.decode()
    consent = Consent.objects.get(customer=consenting, channel="email", purpose="surveys")
    assert consent.is_granted is False
    assert consent.source == "unsubscribe link"
    # SMS consent for surveys is a separate decision and stays.
    assert Consent.objects.get(customer=consenting, channel="sms", purpose="surveys").is_granted
    with django_capture_on_commit_callbacks(execute=True):
        again = queue(consenting, key="k2")
    assert again.status == "suppressed"
    assert len(smtp_server.messages) == 1


def test_customer_without_a_consent_record_gets_no_survey_email(
    make_customer, smtp_server, django_capture_on_commit_callbacks
):
    silent = make_customer("C200", email="silent@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(silent)
    assert message.status == "suppressed"
    assert message.error == "no consent for surveys by email"
    assert message.sent_at is None
    assert smtp_server.messages == []


def test_service_messages_need_no_consent_record_but_a_refusal_blocks_them(make_customer):
    plain = make_customer("C201", email="plain@example.com")
    refused = make_customer("C202", email="no@example.com", consents={"email:service": False})
    assert queue(plain, key="a", purpose="service").status == "queued"
    assert queue(refused, key="b", purpose="service").status == "suppressed"


def test_marketing_is_never_implied_even_when_the_setting_lists_it(make_customer, settings):
    settings.KESHENG_CONSENT_IMPLIED_PURPOSES = ["service", "surveys", "marketing"]
    plain = make_customer("C203", email="plain@example.com")
    assert queue(plain, key="a", purpose="marketing").status == "suppressed"
    assert queue(plain, key="b", purpose="surveys").status == "queued"


def test_same_idempotency_key_twice_writes_and_sends_once(
    consenting, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(consenting, key="order-1")
        second = queue(consenting, key="order-1", subject="Another subject")
    assert second.pk == first.pk
    assert Message.objects.count() == 1
    assert send_message(message_id=first.pk).status == "sent"
    assert len(smtp_server.messages) == 1


def test_consent_withdrawn_after_queueing_suppresses_the_send(consenting, smtp_server):
    from kesheng.customers.actions import set_consent

    message = queue(consenting)  # on_commit never runs here: the message waits in the outbox
    set_consent(
        customer=consenting, channel="email", purpose="surveys", is_granted=False, source="test"
    )
    sent = send_message(message_id=message.pk)
    assert sent.status == "suppressed"
    assert smtp_server.messages == []


def test_smtp_server_down_keeps_the_message_queued_until_the_last_attempt(consenting, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    message = queue(consenting)
    for attempt in range(1, MAX_SEND_ATTEMPTS):
        message = send_message(message_id=message.pk)
        assert (message.status, message.attempts) == ("queued", attempt)
        assert message.error.startswith("ConnectionRefusedError")
    message = send_message(message_id=message.pk)
    assert (message.status, message.attempts) == ("failed", MAX_SEND_ATTEMPTS)
    assert message.sent_at is None


def test_customer_without_an_address_on_the_channel_fails_with_the_reason(make_customer):
    no_email = make_customer("C204", phone="13800138004", consents={"email:surveys": True})
    message = queue(no_email)
    assert message.status == "failed"
    assert message.error == "the customer has no email address"


def test_bad_channel_and_purpose_are_refused_and_nothing_is_written(consenting):
    with pytest.raises(InvalidInput) as refused:
        queue(consenting, channel="pigeon", purpose="gossip")
    assert [error.field for error in refused.value.errors] == ["channel", "purpose"]
    assert Message.objects.count() == 0


def test_sms_file_backend_writes_the_text_with_the_unsubscribe_link(
    consenting, settings, tmp_path, public_url
):
    settings.KESHENG_SMS_BACKEND = "kesheng.messaging.backends.sms.FileSmsBackend"
    settings.KESHENG_SMS_FILE_DIR = tmp_path / "sms"
    message = queue(consenting, channel="sms", subject="", body_html="", body_text="您好，请评价")
    sent = send_message(message_id=message.pk)
    assert sent.status == "sent"
    written = (tmp_path / "sms" / f"{message.pk}.txt").read_text(encoding="utf-8")
    number, _, text = written.partition("\n\n")
    assert number == "+8613800138001"
    assert text.startswith("您好，请评价 Unsubscribe: http://testserver/m/unsubscribe/")
    assert sent.headers == {}


def test_console_sms_backend_prints_the_message(consenting, settings, capsys):
    settings.KESHENG_SMS_BACKEND = "kesheng.messaging.backends.sms.ConsoleSmsBackend"
    message = queue(consenting, channel="sms", body_text="Hi", language="zh-hans")
    assert send_message(message_id=message.pk).status == "sent"
    printed = capsys.readouterr().out
    assert printed.startswith(
        f"SMS #{message.pk} to +8613800138001\nHi 退订: "
    ) or printed.startswith(f"SMS #{message.pk} to +8613800138001\nHi Unsubscribe: ")


def test_a_delivery_report_marks_the_message_delivered_once(consenting, settings, tmp_path):
    settings.KESHENG_SMS_BACKEND = "kesheng.messaging.backends.sms.FileSmsBackend"
    settings.KESHENG_SMS_FILE_DIR = tmp_path
    message = send_message(message_id=queue(consenting, channel="sms").pk, now=NOW)
    Message.objects.filter(pk=message.pk).update(delivered_at=None)
    later = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    reported = record_delivery_report(
        provider_message_id=message.provider_message_id, delivered=True, now=later
    )
    assert reported.delivered_at == later
    again = record_delivery_report(
        provider_message_id=message.provider_message_id, delivered=True, now=NOW
    )
    assert again.delivered_at == later


def test_the_sweep_sends_messages_left_queued(consenting, smtp_server):
    message = queue(consenting, now=datetime(2020, 1, 1, tzinfo=UTC))
    assert send_queued_messages() == 1
    message.refresh_from_db()
    assert message.status == "sent"
    assert len(smtp_server.messages) == 1
    assert send_queued_messages() == 0
