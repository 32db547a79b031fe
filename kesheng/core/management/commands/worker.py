"""``kesheng worker``: run background work on Redis (Celery worker and beat).

Without ``REDIS_URL`` there is nothing to start: every task already runs in-process, inside the
web or command process that sends it. With it:

- ``kesheng worker`` starts a worker with the beat scheduler embedded (``celery worker -B``):
  the right shape for one machine;
- ``kesheng worker --no-beat`` starts a worker only: run as many of these as the load needs;
- ``kesheng worker --beat-only`` starts the beat scheduler only. A deployment runs exactly one
  beat (one embedded or one separate), or scheduled tasks run once per beat.
"""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class Command(BaseCommand):
    help = _(
        "Start a Celery worker on Redis (REDIS_URL), with the beat scheduler embedded unless "
        "--no-beat; --beat-only starts the scheduler alone. See docs/deploy.md."
    )

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--no-beat",
            action="store_true",
            help=_("worker only; run the one beat elsewhere (kesheng worker --beat-only)"),
        )
        mode.add_argument(
            "--beat-only", action="store_true", help=_("the beat scheduler only, no worker")
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=None,
            help=_("worker processes (default: one per CPU)"),
        )
        parser.add_argument(
            "--loglevel", default="INFO", choices=LOG_LEVELS, help=_("log level (default INFO)")
        )

    def handle(self, *args, **options):
        if not settings.REDIS_URL:
            raise CommandError(
                _(
                    "REDIS_URL is not set, so there is no broker to work for: tasks run "
                    "in-process in the web and command processes, and no worker is needed. "
                    "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run tasks on workers."
                ),
                returncode=2,
            )
        if options["concurrency"] is not None and options["concurrency"] < 1:
            raise CommandError(_("--concurrency must be 1 or more"), returncode=2)
        arguments = celery_arguments(
            beat_only=options["beat_only"],
            with_beat=not options["no_beat"],
            concurrency=options["concurrency"],
            loglevel=options["loglevel"],
            schedule_file=str(settings.VAR_DIR / "celerybeat-schedule"),
        )
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        if options["beat_only"]:
            what = _("the Celery beat scheduler")
        elif options["no_beat"]:
            what = _("a Celery worker")
        else:
            what = _("a Celery worker with the beat scheduler")
        self.stdout.write(
            _("Starting %(what)s on %(broker)s")
            % {"what": what, "broker": _redacted(settings.REDIS_URL)}
        )
        self.stdout.flush()
        # Replace this process so signals (SIGTERM from systemd, Ctrl+C) reach Celery directly.
        os.execv(sys.executable, [sys.executable, *arguments])


def celery_arguments(
    *,
    beat_only: bool,
    with_beat: bool,
    concurrency: int | None,
    loglevel: str,
    schedule_file: str,
) -> list[str]:
    """The ``python`` arguments that start Celery in the requested shape."""
    base = ["-m", "celery", "--app", "kesheng.celery"]
    if beat_only:
        return [*base, "beat", "--loglevel", loglevel, "--schedule", schedule_file]
    arguments = [*base, "worker", "--loglevel", loglevel]
    if concurrency:
        arguments += ["--concurrency", str(concurrency)]
    if with_beat:
        arguments += ["--beat", "--schedule", schedule_file]
    return arguments


def _redacted(url: str) -> str:
    """The broker URL without its password, for the start-up line."""
    scheme, separator, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return scheme + separator + rest
