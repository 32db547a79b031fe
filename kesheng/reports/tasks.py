"""Celery entry points of the reports."""

from celery import shared_task

from kesheng.reports.actions import send_due_reports


@shared_task(name="kesheng.reports.send_due_reports", time_limit=1800)
def send_due_reports_task() -> int:
    return send_due_reports()
