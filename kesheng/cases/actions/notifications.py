"""Emails to staff about their cases (a deadline warning, an escalation). Staff are users, not
customers, so these go by Django's mail settings, not the customer outbox; each is sent by a
task after the transaction that decided it commits."""

from __future__ import annotations

import logging

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kesheng.cases.models import Case
from kesheng.messaging.unsubscribe import public_url

logger = logging.getLogger(__name__)


def _deadline_label(deadline: str) -> str:
    return _("first response") if deadline == "first_response" else _("resolution")


def case_link(case: Case) -> str:
    return public_url(reverse("cases:detail", args=[case.pk]))


def notify_staff(*, user, subject: str, body: str) -> bool:
    """Email one staff user after commit; False (nothing sent) when they have no address."""
    if user is None or not user.email:
        return False
    address = user.email

    def enqueue() -> None:
        from kesheng.cases.tasks import email_staff

        try:
            email_staff.delay(address, subject, body)
        except Exception:  # broker down: the history entry remains; the mail is lost
            logger.exception("could not enqueue the staff email %r to %s", subject, address)

    transaction.on_commit(enqueue)
    return True


# Staff emails sent by one task when a periodic check decides many at once.
MAIL_BATCH = 100


def notify_staff_many(messages: list[tuple[object, str, str]]) -> list[bool]:
    """``notify_staff`` for many (user, subject, body) at once, sent after commit by one task
    per ``MAIL_BATCH``; for each, whether it will be sent (False: no user or no address)."""
    sendable = [
        [user.email, subject, body]
        for user, subject, body in messages
        if user is not None and user.email
    ]
    if sendable:

        def enqueue() -> None:
            from kesheng.cases.tasks import email_staff_many

            for start in range(0, len(sendable), MAIL_BATCH):
                try:
                    email_staff_many.delay(sendable[start : start + MAIL_BATCH])
                except Exception:  # broker down: the history entries remain; the mails are lost
                    logger.exception("could not enqueue %d staff emails", len(sendable))

        transaction.on_commit(enqueue)
    return [user is not None and bool(user.email) for user, _subject, _body in messages]


def warning_message(case: Case, deadline: str, due) -> tuple[str, str]:
    values = {"id": case.pk, "deadline": _deadline_label(deadline), "due": due.isoformat()}
    subject = _("Case #%(id)s: the %(deadline)s deadline is close") % values
    body = "\n\n".join(
        [
            _("Case #%(id)s has used 75 %% of the time to its %(deadline)s deadline, due %(due)s.")
            % values,
            case_link(case),
        ]
    )
    return subject, body


def escalation_message(case: Case, deadline: str, due) -> tuple[str, str]:
    values = {
        "id": case.pk,
        "deadline": _deadline_label(deadline),
        "due": due.isoformat(),
        "assignee": case.assignee.get_username() if case.assignee else _("nobody"),
    }
    subject = _("Escalated: case #%(id)s missed its %(deadline)s deadline") % values
    body = "\n\n".join(
        [
            _(
                "Case #%(id)s missed its %(deadline)s deadline (due %(due)s) and is escalated "
                "to you as the team lead. Assignee: %(assignee)s."
            )
            % values,
            case_link(case),
        ]
    )
    return subject, body
