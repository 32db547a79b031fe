"""Celery entry points of case management."""

from celery import shared_task

from kesheng.cases.actions import check_sla_breaches


@shared_task(name="kesheng.cases.check_sla", time_limit=600, soft_time_limit=580)
def check_sla() -> dict[str, int]:
    """Every five minutes (beat): mark missed deadlines of open cases, each once."""
    return check_sla_breaches()
