"""Making and sending reports."""

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesheng.analytics.queries import MetricFilters
from kesheng.commerce.queries import visible_store_ids
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.core.events import emit
from kesheng.reports.content import build_cx_report
from kesheng.reports.documents import render_pdf, render_xlsx
from kesheng.reports.models import ReportDelivery, ReportSchedule

RENDERERS = {"pdf": render_pdf, "xlsx": render_xlsx}
logger = logging.getLogger(__name__)
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def render_cx_report(*, filters: MetricFilters, file_format: str, store_ids=None) -> bytes:
    """The CX report for the filters' period (both dates required) as PDF or XLSX bytes, in
    the active language. Changes nothing."""
    problems = []
    if filters.date_from is None:
        problems.append(FieldError("from", "is required"))
    if filters.date_to is None:
        problems.append(FieldError("to", "is required"))
    if file_format not in RENDERERS:
        problems.append(FieldError("format", "expected pdf or xlsx"))
    if problems:
        raise InvalidInput(problems)
    report = build_cx_report(
        date_from=filters.date_from,  # type: ignore[arg-type]
        date_to=filters.date_to,  # type: ignore[arg-type]
        filters=filters,
        store_ids=store_ids,
    )
    return RENDERERS[file_format](report)


def _previous_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _recipient_groups(schedule: ReportSchedule) -> dict[frozenset[int] | None, list[str]]:
    """Email addresses by the stores they may see (None: every store)."""
    groups: dict[frozenset[int] | None, list[str]] = defaultdict(list)
    for user in schedule.recipients.filter(is_active=True).exclude(email=""):
        groups[visible_store_ids(user)].append(user.email)
    for line in schedule.extra_emails.splitlines():
        if line.strip():
            groups[None].append(line.strip())
    return groups


def send_report(*, schedule: ReportSchedule, today: date) -> ReportDelivery | None:
    """Email the previous month's report of ``schedule`` unless it was sent already: the
    delivery row is written first under its unique (schedule, month) constraint, in the same
    transaction as the sending, so two runs never both send it, and a failed send leaves no
    row and is tried again at the next run. Emits ``report.sent``."""
    start, end = _previous_month(today)
    groups = _recipient_groups(schedule)
    if not groups:
        return None
    filters = MetricFilters(
        survey_ids=(schedule.survey_id,) if schedule.survey_id else (),
        date_from=start,
        date_to=end,
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = ReportDelivery.objects.create(
                    schedule=schedule,
                    period_start=start,
                    sent_at=timezone.now(),
                    recipient_count=sum(len(emails) for emails in groups.values()),
                )
        except IntegrityError:
            return None  # another run sent it
        with translation.override(schedule.language):
            subject = _("Kesheng CX report %(month)s") % {"month": f"{start:%Y-%m}"}
            body = _(
                "The customer-experience report of %(start)s to %(end)s is attached (%(name)s)."
            ) % {"start": start, "end": end, "name": schedule.name}
            for store_ids, emails in groups.items():
                content = render_cx_report(
                    filters=filters, file_format=schedule.file_format, store_ids=store_ids
                )
                message = EmailMessage(subject=subject, body=body, to=emails)
                message.attach(
                    f"kesheng-cx-{start:%Y-%m}.{schedule.file_format}",
                    content,
                    CONTENT_TYPES[schedule.file_format],
                )
                message.send()
        emit("report.sent", {"schedule_id": schedule.pk, "month": f"{start:%Y-%m}"})
    return delivery


def send_due_reports(*, now: datetime | None = None) -> int:
    """Send every active schedule whose day of the month has come and whose previous month
    has not been sent; returns how many were sent. Safe to run as often as wanted."""
    today = timezone.localdate(now or timezone.now())
    sent = 0
    due = ReportSchedule.objects.filter(is_active=True, day_of_month__lte=today.day)
    for schedule in due.exclude(deliveries__period_start=_previous_month(today)[0]):
        try:
            if send_report(schedule=schedule, today=today) is not None:
                sent += 1
        except Exception:
            # One schedule's failure (a mail server refusing) must not stop the others; the
            # month stays unsent and is tried again at the next run.
            logger.exception("report schedule %s failed", schedule.pk)
    return sent
