"""The monthly report email: sent once a month to a real local SMTP server, with the file;
store managers get their stores only; never twice."""

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from kesheng.commerce.actions import grant_store_access
from kesheng.reports.actions import send_due_reports
from kesheng.reports.models import ReportDelivery, ReportSchedule
from tests.messaging.smtp import running_smtp_server
from tests.staff_fixtures import create_staff_user

# 2 December 2026 in Shanghai: November's report is due on the 1st.
DECEMBER_2 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def smtp_server(settings):
    with running_smtp_server(settings) as handler:
        yield handler


@pytest.fixture
def schedule(survey):
    schedule = ReportSchedule.objects.create(
        name="月度客户体验报告",
        file_format="xlsx",
        language="en",
        day_of_month=1,
        extra_emails="ceo@example.com\n",
    )
    analyst = create_staff_user("analyst.chen", role="analyst")
    analyst.email = "chen@example.com"
    analyst.save()
    manager = create_staff_user("manager.wang", role="store_manager")
    manager.email = "wang@example.com"
    manager.save()
    grant_store_access(user=manager, store_codes=["bj01"])
    schedule.recipients.add(analyst, manager)
    return schedule


def attachment_headline_n(message) -> int:
    attachment = next(message.iter_attachments())
    workbook = load_workbook(io.BytesIO(attachment.get_content()))
    return list(workbook["Headline"].iter_rows(values_only=True))[1][2]


def test_the_report_is_emailed_once_with_each_persons_stores(smtp_server, schedule):
    assert send_due_reports(now=DECEMBER_2) == 1
    assert send_due_reports(now=DECEMBER_2) == 0  # the month is sent: never twice
    by_recipient = {
        tuple(sorted(envelope.rcpt_tos)): message
        for envelope, message in zip(smtp_server.envelopes, smtp_server.messages, strict=True)
    }
    assert set(by_recipient) == {("ceo@example.com", "chen@example.com"), ("wang@example.com",)}
    everyone = by_recipient[("ceo@example.com", "chen@example.com")]
    assert everyone["Subject"] == "Kesheng CX report 2026-11"
    assert attachment_headline_n(everyone) == 7  # every store's November NPS answers
    assert attachment_headline_n(by_recipient[("wang@example.com",)]) == 2  # Beijing only
    delivery = ReportDelivery.objects.get()
    assert (delivery.period_start.isoformat(), delivery.recipient_count) == ("2026-11-01", 3)


def test_nothing_is_sent_before_the_day(smtp_server, schedule):
    schedule.day_of_month = 5
    schedule.save()
    assert send_due_reports(now=DECEMBER_2) == 0
    assert smtp_server.messages == []


def test_a_failed_send_leaves_the_month_unsent_for_the_next_run(settings, schedule):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    assert send_due_reports(now=DECEMBER_2) == 0
    assert ReportDelivery.objects.count() == 0
