"""``kesheng report cx|loyalty --from DATE --to DATE --format pdf|xlsx --output PATH``: the
monthly CX report or the loyalty report as a file (docs/reports.md, docs/loyalty.md). Prints
the path written; bad input exits with code 2 and writes nothing."""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from kesheng.analytics.queries import parse_metric_filters
from kesheng.core.errors import DomainError, FieldError, InvalidInput
from kesheng.reports.actions import render_cx_report
from kesheng.reports.loyalty_report import render_loyalty_report

FORMATS = ("pdf", "xlsx")
LANGUAGES = ("zh-hans", "en")


class Command(BaseCommand):
    help = _(
        "Write the CX report of a period: headline NPS, CSAT and CES with intervals and change, "
        "trends, touchpoints, stores, drivers, importance-performance and comments."
    )

    def add_arguments(self, parser):
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
        cx = kinds.add_parser("cx", help=_("the customer-experience report"))
        cx.add_argument("--from", dest="date_from", required=True, metavar="DATE")
        cx.add_argument("--to", dest="date_to", required=True, metavar="DATE")
        cx.add_argument("--format", required=True, choices=FORMATS)
        cx.add_argument("--output", required=True, metavar="PATH")
        cx.add_argument("--survey", metavar="ID", help=_("survey ids, comma-separated"))
        cx.add_argument("--store", metavar="CODES", help=_("store codes, comma-separated"))
        cx.add_argument("--language", choices=LANGUAGES, default="zh-hans")
        loyalty = kinds.add_parser("loyalty", help=_("the loyalty programme report"))
        loyalty.add_argument("--from", dest="date_from", required=True, metavar="DATE")
        loyalty.add_argument("--to", dest="date_to", required=True, metavar="DATE")
        loyalty.add_argument("--format", required=True, choices=FORMATS)
        loyalty.add_argument("--output", required=True, metavar="PATH")
        loyalty.add_argument("--language", choices=LANGUAGES, default="zh-hans")

    def handle(self, *args, **options):
        try:
            render = self._loyalty if options["kind"] == "loyalty" else self._cx
            content = render(options)
        except InvalidInput as invalid:
            reasons = "; ".join(f"--{error.field}: {error.reason}" for error in invalid.errors)
            raise CommandError(reasons, returncode=2) from None
        except DomainError as error:
            raise CommandError(str(error), returncode=2) from None
        output = Path(options["output"])
        try:
            output.write_bytes(content)
        except OSError as error:
            raise CommandError(f"--output: {error.strerror}", returncode=2) from None
        self.stdout.write(str(output))

    def _loyalty(self, options) -> bytes:
        problems = []
        dates = {}
        for name in ("from", "to"):
            try:
                dates[name] = date.fromisoformat(options[f"date_{name}"])
            except ValueError:
                problems.append(FieldError(name, _("expected a date as YYYY-MM-DD")))
        if problems:
            raise InvalidInput(problems)
        with translation.override(options["language"]):
            return render_loyalty_report(
                date_from=dates["from"], date_to=dates["to"], file_format=options["format"]
            )

    def _cx(self, options) -> bytes:
        filters = parse_metric_filters(
            survey=options["survey"],
            date_from=options["date_from"],
            date_to=options["date_to"],
            store=options["store"],
        )
        with translation.override(options["language"]):
            return render_cx_report(filters=filters, file_format=options["format"])
