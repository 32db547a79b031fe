"""``kesheng serve``: run the web UI and API on one machine (the embedded default).

Without ``REDIS_URL`` (no broker, so no Celery beat) it also runs the periodic jobs of
``settings.CELERY_BEAT_SCHEDULE`` in-process (``kesheng.core.scheduler``): in a thread beside
Django's server, or in each gunicorn worker with ``--production`` (the database leases make
each job run once). ``--no-scheduler`` leaves them to a separate ``kesheng scheduler``.
"""

import argparse
import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


def port_number(value: str) -> int:
    """An argparse type: a TCP port. Checked here, because the server would otherwise fail
    with a traceback (OverflowError from bind) or gunicorn would start and exit at once."""
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            _("%(value)s is not a port number (1 to 65535)") % {"value": value}
        )
    return port


def worker_count(value: str) -> int:
    try:
        workers = int(value)
    except ValueError:
        workers = 0
    if workers < 1:
        raise argparse.ArgumentTypeError(
            _("%(value)s is not a whole number of at least 1") % {"value": value}
        )
    return workers


class Command(BaseCommand):
    help = _(
        "Serve the web UI and API. Without --production, Django's threaded server with static "
        "files; with it, gunicorn with several workers (see docs/deploy.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--host",
            default=os.environ.get("HOST", "127.0.0.1"),
            help=_("the address to listen on (default: $HOST or 127.0.0.1)"),
        )
        # String defaults go through ``type`` too, so a bad PORT in the environment is reported
        # like a bad --port instead of failing while the parser is built.
        parser.add_argument(
            "--port",
            type=port_number,
            default=os.environ.get("PORT", "8000"),
            help=_("the TCP port (default: $PORT or 8000)"),
        )
        parser.add_argument(
            "--production",
            action="store_true",
            help=_("run under gunicorn (static files through WhiteNoise)"),
        )
        parser.add_argument(
            "--workers",
            type=worker_count,
            default=os.environ.get("WEB_WORKERS", "3"),
            help=_("web worker processes with --production (default: $WEB_WORKERS or 3)"),
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help=_(
                "without REDIS_URL, do not run the periodic jobs in this process (run "
                "kesheng scheduler instead); with REDIS_URL, Celery beat runs them anyway"
            ),
        )

    def handle(self, *args, **options):
        address = f"{options['host']}:{options['port']}"
        with_scheduler = not settings.REDIS_URL and not options["no_scheduler"]
        if options["production"]:
            scheduler_config = (
                ["--config", "python:kesheng.core.gunicorn_config"] if with_scheduler else []
            )
            # ``python -m gunicorn`` with this interpreter: .venv/bin need not be on PATH.
            os.execv(
                sys.executable,
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "kesheng.wsgi",
                    "--bind",
                    address,
                    "--workers",
                    str(options["workers"]),
                    "--access-logfile",
                    "-",
                    *scheduler_config,
                ],
            )
        if with_scheduler:
            from kesheng.core.scheduler import start_in_background

            start_in_background()
            self.stdout.write(
                _("Periodic jobs run in this process (no REDIS_URL, so no Celery beat).")
            )
        self.stdout.write(
            _("Kesheng is serving on %(url)s (Ctrl+C stops it)") % {"url": f"http://{address}/"}
        )
        call_command("runserver", address, use_reloader=False, use_threading=True)
