"""Celery entry points of case management."""

from celery import shared_task
from django.core.mail import send_mail, send_mass_mail

from kesheng.cases.actions import check_sla_breaches, warn_before_deadlines


@shared_task(name="kesheng.cases.check_sla", time_limit=600, soft_time_limit=580)
def check_sla() -> dict[str, dict[str, int]]:
    """Every five minutes (beat): warn at 75 % and mark missed deadlines of open cases (with
    the escalation to the team lead), each once."""
    return {"warned": warn_before_deadlines(), "breached": check_sla_breaches()}


@shared_task(name="kesheng.cases.email_staff", time_limit=60, soft_time_limit=50)
def email_staff(address: str, subject: str, body: str) -> int:
    """One email to a staff member (a deadline warning or an escalation)."""
    return send_mail(subject, body, None, [address])


@shared_task(name="kesheng.cases.email_staff_many", time_limit=300, soft_time_limit=280)
def email_staff_many(messages: list[list[str]]) -> int:
    """A batch of staff emails (a periodic check's warnings and escalations), each
    ``[address, subject, body]``, over one connection."""
    return send_mass_mail([(subject, body, None, [address]) for address, subject, body in messages])
