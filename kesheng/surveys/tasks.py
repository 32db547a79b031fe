"""Celery entry points of surveys: thin, idempotent, named ``kesheng.surveys.<task>``, each with
a time limit, each calling one action."""

import logging
import threading
import time

from celery import shared_task
from django.db import connection, connections

logger = logging.getLogger(__name__)

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


BACKGROUND_THREAD_PREFIX = "kesheng-send-invitations-"


def start_sending_invitations(distribution_id: int) -> None:
    """Start sending a distribution's pending invitations without holding up the caller.

    With a broker (``REDIS_URL``) this enqueues the task for a worker. In-process (eager)
    mode, ``.delay()`` would run the whole send inside the web request (about 25 s per 1,000
    emails), so the task runs in a background thread of this process instead, named
    ``kesheng-send-invitations-<id>``; a send cut short by a restart leaves the rest pending
    ("Send the pending invitations" resumes it). It runs inline only while the invitations are
    not committed yet (a caller inside a transaction, as in tests), since a thread's own
    database connection could not see them."""
    if not send_invitations_task.app.conf.task_always_eager or connection.in_atomic_block:
        send_invitations_task.delay(distribution_id)
        return
    thread = threading.Thread(
        target=_send_in_background,
        args=(distribution_id,),
        name=f"{BACKGROUND_THREAD_PREFIX}{distribution_id}",
        daemon=True,
    )
    thread.start()


def _send_in_background(distribution_id: int) -> None:
    try:
        send_invitations_task.apply(args=(distribution_id,), throw=True)
    except Exception:  # nobody waits for this thread: say what went wrong in the log
        logger.exception("sending the invitations of distribution %s failed", distribution_id)
    finally:
        connections.close_all()  # this thread's connections, which Django would not close


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
