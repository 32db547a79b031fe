"""The periodic SLA check over 100,000 open cases, on PostgreSQL.

Run it from the repository root (PostgreSQL must answer; trust or password in the URL):

    .venv/bin/python bench/cases.py
    .venv/bin/python bench/cases.py --cases 100000 --runs 3

It works in its own PostgreSQL database (``--database-url``, by default ``kesheng_bench_cases``
on 127.0.0.1, created when missing) and migrates it.

``--cases`` open cases are written in SQL (seconds, not minutes), opened over the last ten days
with the default 24-hour first response and 72-hour resolution deadlines, so that, at the
bench's fixed "now", most are not due yet, some were breached and warned in earlier checks
already, and a few percent have newly passed 75 % of a deadline (warning) or the deadline
itself (breach and escalation). Every case has an assignee with an email address and a team
whose lead has one, so every warning and escalation sends its email. As in production, the
check enqueues the mails and the domain events' dispatch on Redis (``--redis-url``, database
14 by default, emptied after each run; no worker listens there); with ``--redis-url ''`` Celery
runs them eagerly inside the check instead (Django's in-memory mail backend), which times the
workers' share too.

It times what the periodic task ``kesheng.cases.check_sla`` runs (``warn_before_deadlines``
then ``check_sla_breaches``): a first run that finds the new warnings and breaches, and a
second run at the same moment that finds nothing new. Each run starts from the generated state
(earlier runs' marks, history, events and mails are removed first). Target: the first run
under 5 s for 100,000 open cases.
"""

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import ROOT, ensure_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kesheng_bench_cases"
SUMMARY = "bench-sla"
# The bench's "now": fixed, so every run finds the same cases due.
NOW = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)
# Earlier checks saw everything due before NOW - SEEN_BEFORE; what fell due since is new (about
# 2 % of the cases for each resolution mark, less for first responses, most being answered).
SEEN_BEFORE = timedelta(hours=2)


def setup_django(database_url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "kesheng.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DEBUG"] = "false"
    # As in production: the check enqueues mails and event dispatches for the workers. No worker
    # listens here; the queue is emptied after each run. "" runs them eagerly inside the check.
    os.environ["REDIS_URL"] = redis_url
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def machine() -> str:
    import platform

    cpu = platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


def ensure_team() -> tuple[int, int, int]:
    """A team with a lead and an agent, both with email addresses; their ids."""
    from django.contrib.auth import get_user_model

    from kesheng.cases.models import Team

    users = get_user_model()
    lead, _created = users.objects.get_or_create(
        username="bench-lead", defaults={"email": "lead@bench.example"}
    )
    agent, _created = users.objects.get_or_create(
        username="bench-agent", defaults={"email": "agent@bench.example"}
    )
    team, _created = Team.objects.get_or_create(name="bench-sla", defaults={"lead": lead})
    return team.pk, lead.pk, agent.pk


def generate(count: int, team_id: int, agent_id: int) -> None:
    """``count`` open cases opened at an even spread over the ten days before NOW. A case
    opened ``age`` hours ago has its first response due at 24 h (warning at 18 h) and its
    resolution due at 72 h (warning at 54 h); the generation marks earlier checks' warnings and
    breaches on cases whose moment passed more than an hour before NOW, so only the last two
    hours' are new. Most cases (about 90 %) were answered already; a few wait on the customer."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM cases_case WHERE summary = %s", [SUMMARY])
        if cursor.fetchone()[0] == count:
            return
        print(f"generating {count:,} open cases ...", flush=True)
        started = time.perf_counter()
        cursor.execute(
            "DELETE FROM cases_caseevent WHERE case_id IN "
            "(SELECT id FROM cases_case WHERE summary = %s)",
            [SUMMARY],
        )
        cursor.execute("DELETE FROM cases_case WHERE summary = %s", [SUMMARY])
        # age: hours since opening, spread over 0..96 h for most cases (the open queue of a
        # busy chain), with a long tail to 240 h of old, long-breached ones.
        cursor.execute(
            """
            INSERT INTO cases_case (
                category, urgency, summary, team, handling_team_id, assignee_id, status,
                opened_at, updated_at, first_responded_at, paused_at, sla_terms,
                first_response_due, resolution_due, first_response_warn_at, resolution_warn_at,
                first_response_breached_at, resolution_breached_at,
                first_response_warned_at, resolution_warned_at, escalated_at)
            SELECT
                'product_quality', 'P3', %(summary)s, '', %(team)s, %(agent)s,
                CASE WHEN n %% 20 = 0 THEN 'waiting_on_customer'
                     WHEN n %% 3 = 0 THEN 'in_progress' ELSE 'acknowledged' END,
                opened, opened,
                CASE WHEN n %% 10 <> 0 THEN opened + interval '2 hours' END,
                CASE WHEN n %% 20 = 0 THEN %(now)s - interval '30 minutes' END,
                '{"name": "default", "policy": null, "first_response_minutes": 1440,
                  "resolution_minutes": 4320, "business_hours": {}, "holidays": [],
                  "make_up_days": []}'::jsonb,
                opened + interval '24 hours', opened + interval '72 hours',
                opened + interval '18 hours', opened + interval '54 hours',
                CASE WHEN n %% 10 = 0 AND opened + interval '24 hours' < %(seen)s
                     THEN opened + interval '24 hours' END,
                CASE WHEN opened + interval '72 hours' < %(seen)s
                     THEN opened + interval '72 hours' END,
                CASE WHEN n %% 10 = 0 AND opened + interval '18 hours' < %(seen)s
                     THEN opened + interval '18 hours' END,
                CASE WHEN opened + interval '54 hours' < %(seen)s
                     THEN opened + interval '54 hours' END,
                CASE WHEN (n %% 10 = 0 AND opened + interval '24 hours' < %(seen)s)
                       OR opened + interval '72 hours' < %(seen)s
                     THEN LEAST(opened + interval '24 hours', opened + interval '72 hours') END
            FROM (
                SELECT n, %(now)s - (CASE WHEN n %% 50 = 0 THEN random() * 240
                                          ELSE random() * 96 END) * interval '1 hour' AS opened
                FROM generate_series(1, %(count)s) AS n
            ) AS generated
            """,
            {
                "summary": SUMMARY,
                "team": team_id,
                "agent": agent_id,
                "now": NOW,
                "seen": NOW - SEEN_BEFORE,
                "count": count,
            },
        )
        cursor.execute("ANALYZE cases_case")
        print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)


def reset() -> None:
    """Undo what a previous run marked: the last two hours' warnings, breaches and escalations,
    their history, domain events and mails."""
    from django.core import mail
    from django.db import connection

    seen = NOW - SEEN_BEFORE
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM cases_caseevent WHERE created_at = %s AND case_id IN "
            "(SELECT id FROM cases_case WHERE summary = %s)",
            [NOW, SUMMARY],
        )
        for deadline in ("first_response", "resolution"):
            cursor.execute(
                f"UPDATE cases_case SET {deadline}_warned_at = NULL "
                f"WHERE summary = %s AND {deadline}_warned_at = %s",
                [SUMMARY, NOW],
            )
            cursor.execute(
                f"UPDATE cases_case SET {deadline}_breached_at = NULL "
                f"WHERE summary = %s AND {deadline}_breached_at >= %s",
                [SUMMARY, seen],
            )
        cursor.execute(
            "UPDATE cases_case SET escalated_at = NULL, escalated_to_id = NULL "
            "WHERE summary = %s AND escalated_at = %s",
            [SUMMARY, NOW],
        )
        cursor.execute(
            "DELETE FROM core_domainevent WHERE name LIKE 'case.%%' AND created_at >= %s",
            [datetime.now(UTC).replace(hour=0, minute=0)],
        )
    mail.outbox = []
    empty_queue()


def empty_queue() -> None:
    """Drop the tasks a run enqueued (nobody works on the bench's Redis database)."""
    from django.conf import settings

    if settings.REDIS_URL:
        import redis

        redis.Redis.from_url(settings.REDIS_URL).delete("celery")


def queued() -> int:
    from django.conf import settings

    if not settings.REDIS_URL:
        return 0
    import redis

    return redis.Redis.from_url(settings.REDIS_URL).llen("celery")


def timed_check() -> tuple[float, dict]:
    """What the periodic task ``kesheng.cases.check_sla`` runs, in its order, at the bench's
    NOW (the task itself asks the clock)."""
    from kesheng.cases.actions import check_sla_breaches, warn_before_deadlines

    started = time.perf_counter()
    found = {"warned": warn_before_deadlines(now=NOW), "breached": check_sla_breaches(now=NOW)}
    return time.perf_counter() - started, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/14",
        help="Celery broker for the enqueued mails and events ('' runs them inside the check)",
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1, help="first/second pairs (1)")
    arguments = parser.parse_args()
    ensure_database(arguments.database_url)
    setup_django(arguments.database_url, arguments.redis_url)
    from django.core import mail

    from kesheng.cases.models import OPEN_STATUSES, Case

    print(f"machine: {machine()}")
    team_id, _lead_id, agent_id = ensure_team()
    generate(arguments.cases, team_id, agent_id)
    open_cases = Case.objects.filter(summary=SUMMARY, status__in=OPEN_STATUSES).count()
    for _run in range(arguments.runs):
        reset()
        first, found = timed_check()
        mails, tasks = len(mail.outbox), queued()
        second, again = timed_check()
        warned, breached = found["warned"], found["breached"]
        print(
            f"SLA check over {open_cases:,} open cases: first run {first:.2f} s "
            f"(warned {warned['first_response']:,} first response + "
            f"{warned['resolution']:,} resolution, breached "
            f"{breached['first_response']:,} + {breached['resolution']:,}; "
            f"{mails:,} mails sent, {tasks:,} tasks enqueued); "
            f"second run {second:.2f} s (found "
            f"{sum(again['warned'].values()) + sum(again['breached'].values())}); "
            f"target: first run < 5 s"
        )


if __name__ == "__main__":
    main()
