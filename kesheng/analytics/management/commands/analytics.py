"""``kesheng analytics nps|csat|ces --survey ID [--question NAME] [--by FIELD [--cross FIELD]]
[--from DATE --to DATE] [--json]``: the scores the dashboard shows, for scripts.

``--json`` prints one object ``{"score", "n", "ci_low", "ci_high", "small_sample", ...}``, or
with ``--by`` a list of them, each with its ``group`` and ``label``, or with ``--by`` and
``--cross`` a cross-tab ``{"metric", "by", "cross", "rows", "columns", "cells"}``. Bad input
exits with code 2 and the reason on stderr.
"""

import json
import time
import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kesheng.analytics.actions import recount_answers
from kesheng.analytics.metrics import METRICS, MetricResult
from kesheng.analytics.queries import (
    BY_CHOICES,
    CROSS_CHOICES,
    CrossTab,
    check_by,
    compute_crosstab,
    compute_metric,
    compute_metric_by,
    parse_metric_filters,
)
from kesheng.core.errors import DomainError, InvalidInput


def _figure(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _line(label: str, result: MetricResult) -> str:
    score = result.score
    interval = f"[{_figure(score.low)}, {_figure(score.high)}]"
    flag = _("  (n < 30: read with care)") if score.is_small_sample else ""
    return f"{label:<24} {_figure(score.value):>7}  {interval:<18} n={score.n}{flag}"


def _cell(result: MetricResult | None) -> str:
    """A cross-tab cell: the score and n, starred under 30 answers; a dash without answers."""
    if result is None:
        return "—"
    mark = "*" if result.score.is_small_sample else ""
    return f"{_figure(result.score.value)} n={result.score.n}{mark}"


def _display_width(text: str) -> int:
    # Chinese characters take two columns of a terminal.
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _left(text: str, width: int) -> str:
    return text + " " * max(width - _display_width(text), 0)


def _right(text: str, width: int) -> str:
    return " " * max(width - _display_width(text), 0) + text


def _crosstab_lines(table: CrossTab) -> list[str]:
    """The cross-tab as text: one line per row group, one column per column group."""
    if not table.rows:
        return [_("No answers match.")]
    first = max(24, *(_display_width(label) + 2 for _key, label in table.rows))
    width = max(16, *(_display_width(label) + 2 for _key, label in table.columns))
    header = _left(table.metric.upper(), first) + "".join(
        _right(label, width) for _key, label in table.columns
    )
    lines = [header]
    for row_key, row_label in table.rows:
        cells = [_cell(table.cells.get((row_key, key))) for key, _label in table.columns]
        lines.append(_left(row_label, first) + "".join(_right(cell, width) for cell in cells))
    if any(result.score.is_small_sample for result in table.cells.values()):
        lines.append(_("* n < 30: read with care"))
    return lines


RECOUNT = "recount"


class Command(BaseCommand):
    help = _(
        "NPS, CSAT or CES of completed survey responses with n and the 95 %% interval, whole "
        "or by store, city, staff member, channel, touchpoint, survey, language, day, week, "
        "month or a choice question (question:NAME). 'kesheng analytics recount' rebuilds the "
        "pre-counted answer tables the metrics read."
    )

    def add_arguments(self, parser):
        parser.add_argument("metric", choices=[*METRICS, RECOUNT])
        parser.add_argument(
            "--survey", metavar="ID", help=_("survey id (several: 1,2); default every survey")
        )
        parser.add_argument(
            "--question", metavar="NAME", help=_("one question; default every question of the type")
        )
        parser.add_argument("--by", metavar="FIELD", help=", ".join(BY_CHOICES))
        parser.add_argument(
            "--cross",
            metavar="FIELD",
            help=_(
                "a second breakdown for the columns of a cross-tab (the rows are --by): %(fields)s"
            )
            % {"fields": ", ".join(CROSS_CHOICES)},
        )
        parser.add_argument("--from", dest="date_from", metavar="DATE", help="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", metavar="DATE", help="YYYY-MM-DD")
        parser.add_argument("--store", metavar="CODES", help=_("store codes, comma-separated"))
        parser.add_argument("--channel", metavar="CODES", help=_("channel codes"))
        parser.add_argument("--touchpoint", metavar="CODES", help=_("touchpoint codes"))
        parser.add_argument("--segment", metavar="ID", help=_("customer segment id"))
        parser.add_argument(
            "--staff", metavar="CODES", help=_("staff member codes, comma-separated")
        )
        parser.add_argument("--json", action="store_true", help=_("print JSON"))

    def handle(self, *args, **options):
        metric = options["metric"]
        if metric == RECOUNT:
            self._recount(as_json=options["json"])
            return
        try:
            filters = parse_metric_filters(
                survey=options["survey"],
                question=options["question"],
                date_from=options["date_from"],
                date_to=options["date_to"],
                store=options["store"],
                channel=options["channel"],
                touchpoint=options["touchpoint"],
                segment=options["segment"],
                staff=options["staff"],
            )
            if options["cross"]:
                table = compute_crosstab(metric, filters, options["by"] or "", options["cross"])
            elif options["by"]:
                groups = compute_metric_by(metric, filters, check_by(options["by"]))
            else:
                result = compute_metric(metric, filters)
        except InvalidInput as invalid:
            reasons = "; ".join(f"--{error.field}: {error.reason}" for error in invalid.errors)
            raise CommandError(reasons, returncode=2) from None
        except DomainError as error:
            raise CommandError(str(error), returncode=2) from None
        if options["cross"]:
            self._write_crosstab(table, as_json=options["json"])
            return
        if options["json"]:
            document = [group.to_json() for group in groups] if options["by"] else result.to_json()
            self.stdout.write(json.dumps(document, ensure_ascii=False))
            return
        self.stdout.write(f"{metric.upper():<24} {_('score'):>7}  {_('95 % interval'):<18} n")
        if options["by"]:
            for group in groups:
                self.stdout.write(_line(group.label, group.result))
            if not groups:
                self.stdout.write(_("No answers match."))
        else:
            self.stdout.write(_line(_("all"), result))

    def _write_crosstab(self, table: CrossTab, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(table.to_json(), ensure_ascii=False))
            return
        for line in _crosstab_lines(table):
            self.stdout.write(line)

    def _recount(self, *, as_json: bool) -> None:
        started = time.perf_counter()
        counted = recount_answers()
        seconds = round(time.perf_counter() - started, 1)
        if as_json:
            self.stdout.write(json.dumps({"responses": counted, "seconds": seconds}))
            return
        self.stdout.write(
            _("Counted the answers of %(count)d completed responses in %(seconds)s s.")
            % {"count": counted, "seconds": seconds}
        )
