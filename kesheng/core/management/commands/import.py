"""``kesheng import KIND FILE``: load customers, orders, staff members or events from a file.

The rules (row numbers, encodings, one transaction, --skip-invalid, --dry-run) live in
``kesheng.core.importing``; the formats are documented in docs/import-formats.md.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kesheng.core.importing import (
    ImportRefused,
    print_problems,
    progress_stream_for,
    registered_importers,
    run_import,
)


class Command(BaseCommand):
    help = _(
        "Import a file of customers (CSV), orders (CSV), staff members (CSV) or events (JSONL); "
        "the formats are in docs/import-formats.md. Every row is checked before anything is "
        "written: if any row is bad, each problem is printed as 'row N, column C: reason', the "
        "exit code is 2 and the database is unchanged. The whole import is one transaction, and "
        "importing the same file again changes nothing."
    )

    def add_arguments(self, parser):
        importers = registered_importers()
        parser.add_argument(
            "kind",
            choices=sorted(importers),
            help=_("what the file holds: %(kinds)s")
            % {
                "kinds": "; ".join(
                    f"{kind} ({importer.file_format.upper()}): {importer.description}"
                    for kind, importer in importers.items()
                )
            },
        )
        parser.add_argument("file", help=_("the file to import (CSV: UTF-8 or GBK; JSONL: UTF-8)"))
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help=_(
                "load the good rows and write the bad ones, with a reason column, to the "
                "rejected file instead of refusing the whole file"
            ),
        )
        parser.add_argument(
            "--rejected",
            metavar="PATH",
            help=_(
                "where --skip-invalid writes the rejected rows "
                "(default: FILE.rejected.csv, or FILE.rejected.jsonl for JSONL)"
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("check every row and report what the import would do, writing nothing"),
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help=_(
                "print the summary (or, when the file is refused, its problems) as one JSON "
                "object on stdout"
            ),
        )

    def handle(self, *args, **options):
        try:
            report = run_import(
                options["kind"],
                options["file"],
                skip_invalid=options["skip_invalid"],
                dry_run=options["dry_run"],
                rejected_path=options["rejected"],
                progress_stream=progress_stream_for(self.stderr._out),
            )
        except ImportRefused as refusal:
            print_problems(refusal.problems, self.stderr)
            if options["json"]:
                # A script reading --json gets the refusal in the same shape as a summary.
                self.stdout.write(
                    json.dumps(
                        {
                            "kind": options["kind"],
                            "file": options["file"],
                            "refused": True,
                            "message": refusal.message,
                            "problems": [problem.as_dict() for problem in refusal.problems],
                        },
                        ensure_ascii=False,
                    )
                )
            raise CommandError(refusal.message, returncode=2) from None
        if report.rejected and not report.dry_run:
            self.stderr.write(
                _("%(count)d rejected rows were written to %(path)s")
                % {"count": report.rejected, "path": report.rejected_file}
            )
        elif report.rejected:
            print_problems(report.problems, self.stderr)
            self.stderr.write(_("%(count)d rows would be rejected") % {"count": report.rejected})
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write(report.summary_line())
