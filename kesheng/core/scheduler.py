"""The in-process scheduler of embedded mode: Celery beat's job without a broker.

Without ``REDIS_URL`` every task runs in-process and there is no ``celery beat``, so nothing
would run the periodic jobs of ``settings.CELERY_BEAT_SCHEDULE`` (queued messages, reminders,
scheduled distributions, delayed invitations, domain-event redispatch). ``kesheng serve``
therefore starts this scheduler in a daemon thread, and ``kesheng scheduler`` runs it alone.

- ``settings.CELERY_BEAT_SCHEDULE`` is the only list of jobs: an entry added there runs here
  too, with its ``args`` and ``kwargs``.
- When an entry is due is Celery's own decision (``schedule.is_due``), for every kind the
  schedule may use: seconds, a ``timedelta``, ``celery.schedules.schedule`` or ``crontab``
  (in ``CELERY_TIMEZONE``). An interval job that never ran runs at the first check; a crontab
  job waits for its next time.
- State lives in the database (``core.ScheduledJob``), shared by every process: a due run is
  claimed with one conditional UPDATE, so two ``kesheng serve`` processes on one SQLite file
  (or several gunicorn workers) run it once, and a lease keeps a job from running in two
  processes at once. A restart does not rerun what already ran.
- A job that raises is logged with its traceback and its error kept on the row; the scheduler
  goes on with the other jobs and runs it again at its next time.
"""

import copy
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from kesheng.core.actions import (
    claim_scheduled_job,
    register_scheduled_job,
    release_scheduled_job,
    renew_scheduled_job,
)

logger = logging.getLogger("kesheng.scheduler")

# The scheduler looks again at least this often, so a job another process let go of, or a
# clock that jumped, is noticed within a minute.
LONGEST_WAIT_SECONDS = 60.0
SHORTEST_WAIT_SECONDS = 1.0
# A process running a job renews its lease every HEARTBEAT_SECONDS; a lease not renewed for
# LEASE_SECONDS (the process died) lets another process take the job. So a job, however long,
# never runs in two processes at once, and a killed process blocks it for 5 minutes at most.
LEASE_SECONDS = 300.0
HEARTBEAT_SECONDS = 60.0

TaskRunner = Callable[[str, tuple, dict], Any]


@dataclass(frozen=True)
class Entry:
    name: str
    task: str
    schedule: Any  # a celery.schedules.BaseSchedule whose clock is the scheduler's
    args: tuple
    kwargs: dict
    runs_at_start: bool  # an interval: due at once if it never ran


def _celery_app():
    from kesheng.celery import app

    return app


def load_entries(
    beat_schedule: Mapping[str, Mapping], clock: Callable[[], datetime]
) -> list[Entry]:
    """The entries of a ``CELERY_BEAT_SCHEDULE``-shaped mapping, each schedule a copy that
    reads ``clock``. Raises ValueError naming an entry without a task or a schedule."""
    from celery.schedules import crontab, maybe_schedule

    app = _celery_app()
    entries = []
    for name, spec in beat_schedule.items():
        if not spec.get("task") or spec.get("schedule") is None:
            raise ValueError(f"CELERY_BEAT_SCHEDULE[{name!r}] needs a task and a schedule")
        schedule = copy.copy(maybe_schedule(spec["schedule"], app=app))
        schedule.nowfun = clock
        schedule.app = app
        entries.append(
            Entry(
                name=name,
                task=spec["task"],
                schedule=schedule,
                args=tuple(spec.get("args") or ()),
                kwargs=dict(spec.get("kwargs") or {}),
                runs_at_start=not isinstance(schedule, crontab),
            )
        )
    return entries


def run_task_in_process(task_name: str, args: tuple, kwargs: dict) -> Any:
    """Run the registered Celery task here and now, as a worker would (its request context,
    its retries), raising what it raises."""
    app = _celery_app()
    app.loader.import_default_modules()
    task = app.tasks[task_name]
    return task.apply(args=args, kwargs=kwargs, throw=True).result


def _default_clock() -> datetime:
    return timezone.now()


class Scheduler:
    """Runs the due entries of ``beat_schedule`` (default ``settings.CELERY_BEAT_SCHEDULE``)
    each time ``run_due`` is called; ``run_forever`` calls it until stopped."""

    def __init__(
        self,
        beat_schedule: Mapping[str, Mapping] | None = None,
        *,
        clock: Callable[[], datetime] = _default_clock,
        run_task: TaskRunner = run_task_in_process,
        owner: str | None = None,
        longest_wait_seconds: float = LONGEST_WAIT_SECONDS,
        lease_seconds: float = LEASE_SECONDS,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ):
        if beat_schedule is None:
            beat_schedule = settings.CELERY_BEAT_SCHEDULE
        self.clock = clock
        self.run_task = run_task
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.entries = load_entries(beat_schedule, clock)
        self.longest_wait_seconds = longest_wait_seconds
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.shortest_wait_seconds = min(SHORTEST_WAIT_SECONDS, longest_wait_seconds)
        self.wait_seconds = self.shortest_wait_seconds

    def run_due(self) -> list[str]:
        """Run every entry due now that no other process has taken; return their names in
        the order run. Sets ``wait_seconds``, how long until the next check is worthwhile."""
        ran: list[str] = []
        wait = self.longest_wait_seconds
        for entry in self.entries:
            now = self.clock()
            job = register_scheduled_job(
                name=entry.name, last_run_at=None if entry.runs_at_start else now
            )
            if job.last_run_at is None:
                is_due, next_seconds = True, self.longest_wait_seconds
            else:
                is_due, next_seconds = entry.schedule.is_due(job.last_run_at)
            wait = min(wait, float(next_seconds))
            if not is_due:
                continue
            claimed = claim_scheduled_job(
                name=entry.name,
                seen_last_run_at=job.last_run_at,
                now=now,
                lease_seconds=self.lease_seconds,
                owner=self.owner,
            )
            if claimed:
                self._run(entry)
                ran.append(entry.name)
        self.wait_seconds = max(self.shortest_wait_seconds, min(wait, self.longest_wait_seconds))
        return ran

    def _run(self, entry: Entry) -> None:
        logger.info("running scheduled job %s (%s)", entry.name, entry.task)
        finished = threading.Event()
        heartbeat = threading.Thread(
            target=self._renew_until, args=(entry.name, finished), daemon=True
        )
        heartbeat.start()
        error = ""
        try:
            self.run_task(entry.task, entry.args, entry.kwargs)
        except Exception as failure:  # a job's failure must not stop the others
            logger.exception("scheduled job %s (%s) failed", entry.name, entry.task)
            error = f"{type(failure).__name__}: {failure}"
        finally:
            finished.set()
            heartbeat.join()
        if not release_scheduled_job(
            name=entry.name, owner=self.owner, now=self.clock(), error=error
        ):
            logger.warning(
                "scheduled job %s outlived its lease; another process may have run it too",
                entry.name,
            )

    def _renew_until(self, name: str, finished: threading.Event) -> None:
        """Keep the lease of the running job alive (a thread of its own, so a job that takes
        long still holds it); its database connection is closed when the job ends."""
        try:
            while not finished.wait(self.heartbeat_seconds):
                try:
                    renew_scheduled_job(
                        name=name,
                        owner=self.owner,
                        now=self.clock(),
                        lease_seconds=self.lease_seconds,
                    )
                except Exception:  # a locked database: the next beat tries again
                    logger.exception("could not renew the lease of scheduled job %s", name)
        finally:
            connection.close()

    def run_forever(self, stop: threading.Event) -> None:
        """Check and run due jobs until ``stop`` is set; a failure of the check itself (the
        database locked or away) is logged and tried again at the next check."""
        logger.info(
            "in-process scheduler started: %s", ", ".join(e.name for e in self.entries) or "-"
        )
        while not stop.is_set():
            try:
                close_old_connections()
                self.run_due()
            except Exception:
                logger.exception("the in-process scheduler could not check its jobs")
                self.wait_seconds = self.longest_wait_seconds
            finally:
                close_old_connections()
            stop.wait(self.wait_seconds)


def start_in_background() -> tuple[threading.Thread, threading.Event]:
    """Start the scheduler on ``settings.CELERY_BEAT_SCHEDULE`` in a daemon thread of this
    process; set the returned event to stop it."""
    stop = threading.Event()
    scheduler = Scheduler()
    thread = threading.Thread(
        target=scheduler.run_forever, args=(stop,), name="kesheng-scheduler", daemon=True
    )
    thread.start()
    return thread, stop
