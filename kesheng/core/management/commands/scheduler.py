"""``kesheng scheduler``: run the periodic jobs of ``settings.CELERY_BEAT_SCHEDULE`` in this
process, in the foreground (embedded mode, where ``kesheng serve`` otherwise runs them in a
thread). With ``REDIS_URL`` Celery beat runs them (``kesheng worker``), so it refuses."""

import json
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kesheng.core.scheduler import Scheduler


class Command(BaseCommand):
    help = _(
        "Run the periodic jobs (settings.CELERY_BEAT_SCHEDULE) in this process until stopped, "
        "for embedded mode without REDIS_URL; --once runs the jobs due now and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help=_("run the jobs due now, then exit")
        )
        parser.add_argument(
            "--json", action="store_true", help=_("with --once: print the jobs run as JSON")
        )

    def handle(self, *args, **options):
        if settings.REDIS_URL:
            raise CommandError(
                _(
                    "REDIS_URL is set, so Celery beat runs the periodic jobs (kesheng worker); "
                    "running them here as well could run them twice."
                ),
                returncode=2,
            )
        scheduler = Scheduler()
        if options["once"]:
            ran = scheduler.run_due()
            if options["json"]:
                self.stdout.write(json.dumps({"ran": ran}))
            else:
                self.stdout.write(
                    _("Jobs run: %(names)s") % {"names": ", ".join(ran) or _("none due")}
                )
            return
        self.stdout.write(
            _("Running %(count)s periodic jobs in this process (Ctrl+C stops it)")
            % {"count": len(scheduler.entries)}
        )
        self.stdout.flush()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            scheduler.run_forever(stop)
        except KeyboardInterrupt:
            stop.set()
