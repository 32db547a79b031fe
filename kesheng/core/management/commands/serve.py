"""``kesheng serve``: run the web UI and API on one machine (the embedded default)."""

import os
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve the web UI and API. Without --production, Django's threaded server with static "
        "files; with it, gunicorn with several workers (see docs/deploy.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--production",
            action="store_true",
            help="run under gunicorn (static files through WhiteNoise)",
        )
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "3")))

    def handle(self, *args, **options):
        address = f"{options['host']}:{options['port']}"
        if options["production"]:
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
                ],
            )
        self.stdout.write(f"Kesheng is serving on http://{address}/ (Ctrl+C stops it)")
        call_command("runserver", address, use_reloader=False, use_threading=True)
