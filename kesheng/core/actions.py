"""State changes of the core: the leases of the in-process scheduler's periodic jobs.

Each function is one statement or one short transaction, so processes sharing a database
(two ``kesheng serve`` on one SQLite file, several gunicorn workers) can call them at the
same moment: the database decides who wins, never a read followed by a write.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q

from kesheng.core.models import ScheduledJob


def register_scheduled_job(*, name: str, last_run_at: datetime | None) -> ScheduledJob:
    """The job's row, made with ``last_run_at`` (None: due at once) if it does not exist yet.
    Changes nothing for a job already known; emits nothing."""
    job, _created = ScheduledJob.objects.get_or_create(
        name=name, defaults={"last_run_at": last_run_at}
    )
    return job


def claim_scheduled_job(
    *,
    name: str,
    seen_last_run_at: datetime | None,
    now: datetime,
    lease_seconds: float,
    owner: str,
) -> bool:
    """Take the run of the job due since ``seen_last_run_at`` (what the caller read): sets
    ``last_run_at`` to ``now`` and leases the job to ``owner`` for ``lease_seconds``. True
    when this caller got it; False when another process already started this run (the
    job's ``last_run_at`` moved on) or still holds an unexpired lease. One UPDATE, so of
    two processes claiming at once exactly one wins. Emits nothing."""
    same_run = (
        Q(last_run_at__isnull=True) if seen_last_run_at is None else Q(last_run_at=seen_last_run_at)
    )
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)
    updated = ScheduledJob.objects.filter(same_run & free, name=name).update(
        last_run_at=now,
        lease_owner=owner,
        lease_expires_at=now + timedelta(seconds=lease_seconds),
    )
    return updated == 1


def release_scheduled_job(*, name: str, owner: str, now: datetime, error: str = "") -> bool:
    """End ``owner``'s run of the job: clears the lease, records when it finished, counts
    the run and keeps the error text of a failed run (empty after a good one). False when
    the lease was no longer ``owner``'s (it expired and another process took the job).
    Emits nothing."""
    with transaction.atomic():
        updated = ScheduledJob.objects.filter(name=name, lease_owner=owner).update(
            lease_owner="",
            lease_expires_at=None,
            last_finished_at=now,
            last_error=error[:10_000],
            run_count=F("run_count") + 1,
        )
    return updated == 1


def renew_scheduled_job(*, name: str, owner: str, now: datetime, lease_seconds: float) -> bool:
    """Extend ``owner``'s lease of the running job to ``lease_seconds`` from ``now`` (the
    heartbeat of a job still running). False when the lease is no longer ``owner``'s.
    Emits nothing."""
    updated = ScheduledJob.objects.filter(name=name, lease_owner=owner).update(
        lease_expires_at=now + timedelta(seconds=lease_seconds)
    )
    return updated == 1
