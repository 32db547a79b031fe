"""Celery entry points of surveys: thin, idempotent, named ``kesheng.surveys.<task>``, each with
a time limit, each calling one action."""

import time

from celery import shared_task

# One run of send_invitations works this long, then hands the rest to a fresh task, so a large
# distribution never meets the time limit and other work gets a turn.
SEND_BUDGET_SECONDS = 240


@shared_task(
    bind=True,
    name="kesheng.surveys.send_invitations",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
    time_limit=330,
    soft_time_limit=300,
)
def send_invitations_task(self, distribution_id: int) -> int:
    """Send a distribution's pending invitations, chunk by chunk; returns how many it handled."""
    from kesheng.surveys.actions.distribution import send_invitation_batch
    from kesheng.surveys.models import Distribution

    distribution = Distribution.objects.select_related("survey").filter(pk=distribution_id).first()
    if distribution is None:
        return 0
    started, handled = time.monotonic(), 0
    while True:
        count = send_invitation_batch(distribution=distribution)
        handled += count
        if count == 0:
            return handled
        if time.monotonic() - started > SEND_BUDGET_SECONDS and not self.request.is_eager:
            send_invitations_task.delay(distribution_id)
            return handled


@shared_task(
    name="kesheng.surveys.send_invitation",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
    time_limit=60,
    soft_time_limit=50,
)
def send_invitation_task(invitation_id: int) -> bool:
    """Send one triggered invitation when its countdown ends (nothing if not due or gone)."""
    from kesheng.surveys.actions.distribution import send_invitation

    return send_invitation(invitation_id=invitation_id)


@shared_task(name="kesheng.surveys.send_due_invitations", time_limit=900, soft_time_limit=870)
def send_due_invitations_task() -> int:
    from kesheng.surveys.actions.distribution import send_due_invitations

    return send_due_invitations()


@shared_task(name="kesheng.surveys.send_due_reminders", time_limit=900, soft_time_limit=870)
def send_due_reminders_task() -> int:
    from kesheng.surveys.actions.distribution import send_due_reminders

    return send_due_reminders()


@shared_task(name="kesheng.surveys.run_due_distributions", time_limit=900, soft_time_limit=870)
def run_due_distributions_task() -> int:
    from kesheng.surveys.actions.distribution import run_due_distributions

    return run_due_distributions()
