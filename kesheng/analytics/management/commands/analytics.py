"""``kesheng analytics nps|csat|ces --survey ID [--question NAME] [--by FIELD [--cross FIELD]]
[--from DATE --to DATE] [--json]``: the scores the dashboard shows, for scripts.

``--json`` prints one object ``{"score", "n", "ci_low", "ci_high", "small_sample", ...}``, or
with ``--by`` a list of them, each with its ``group`` and ``label``, or with ``--by`` and
``--cross`` a cross-tab ``{"metric", "by", "cross", "rows", "columns", "cells"}``. Bad input
exits with code 2 and the reason on stderr.

``kesheng analytics score|rfm|clv [--json]``: recompute every customer's stored RFM and CLV
scores; the customers and value per RFM segment; the lifetime-value fit (``--calibration-end
DATE --period day|week --horizon N``), exit 2 with the reason where the data cannot support it.

``kesheng analytics churn [--top N] [--json]``: the riskiest customers of the last scoring run,
riskiest first; ``--json`` prints a list of ``{"customer_id", "churn_risk", "reasons",
"method"}`` with the reasons in words in the active language.

``kesheng analytics winback [ID] [--days N] [--json]``: without ID the win-back lists, newest
first; with ID the list's win-back rate, treated against control, with the difference, its
95 %% interval and p-value (the body of ``GET /api/v1/analytics/winback/{id}``).

``kesheng analytics funnel --steps A,B,C [--window-days N]``, ``kesheng analytics paths --before
purchase|complaint [--length N] [--days N] [--top N]`` and ``kesheng analytics personas
[--recompute]``: journeys and personas (docs/analytics.md), with the API's JSON under ``--json``.
"""

import json
import time
import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kesheng.analytics.actions import recount_answers, score_customers
from kesheng.analytics.actions_personas import assign_personas
from kesheng.analytics.metrics import METRICS, MetricResult
from kesheng.analytics.queries import (
    BY_CHOICES,
    CROSS_CHOICES,
    CrossTab,
    check_by,
    compute_crosstab,
    compute_funnel_report,
    compute_metric,
    compute_metric_by,
    compute_path_report,
    fit_lifetime_value,
    get_win_back_result,
    list_churn_risk,
    list_personas,
    list_win_back_lists,
    parse_metric_filters,
    summarise_rfm_segments,
    win_back_result_json,
)
from kesheng.core.errors import DomainError, InvalidInput, NotFound


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
SCORE = "score"
RFM = "rfm"
CLV = "clv"
CHURN = "churn"
WINBACK = "winback"
FUNNEL = "funnel"
PATHS = "paths"
PERSONAS = "personas"


class Command(BaseCommand):
    help = _(
        "NPS, CSAT or CES of completed survey responses with n and the 95 %% interval, whole "
        "or by store, city, staff member, channel, touchpoint, survey, language, day, week, "
        "month or a choice question (question:NAME). 'kesheng analytics recount' rebuilds the "
        "pre-counted answer tables the metrics read; 'score' recomputes every customer's RFM and "
        "CLV scores, 'rfm' prints the customers and value per RFM segment, 'clv' fits the "
        "lifetime-value models and checks them on a holdout, 'churn' lists the customers most "
        "at risk of leaving with the reasons, 'winback [ID]' the win-back lists or one list's "
        "win-back rate against its control group, 'funnel' and 'paths' read the customer "
        "journeys, 'personas' lists (or with --recompute re-forms) the groups of customers who "
        "behave alike."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "metric",
            choices=[*METRICS, RECOUNT, SCORE, RFM, CLV, CHURN, WINBACK, FUNNEL, PATHS, PERSONAS],
        )
        parser.add_argument(
            "list_id", nargs="?", metavar="ID", help=_("winback: the win-back list's number")
        )
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
        parser.add_argument(
            "--calibration-end",
            metavar="DATE",
            help=_("clv: end of the calibration period (YYYY-MM-DD); default two thirds in"),
        )
        parser.add_argument(
            "--period", default="day", help=_("clv: the models' unit of time, day or week")
        )
        parser.add_argument(
            "--horizon", default="12", metavar="N", help=_("clv: months of value (default 12)")
        )
        parser.add_argument(
            "--top",
            metavar="N",
            help=_("churn: how many customers (default 20); paths: how many paths (default 10)"),
        )
        parser.add_argument(
            "--steps",
            metavar="A,B,C",
            help=_("funnel: touchpoint codes or event types in order, comma-separated"),
        )
        parser.add_argument(
            "--window-days",
            metavar="N",
            help=_("funnel: days a customer may take from the first step to the last (default 30)"),
        )
        parser.add_argument("--before", metavar="WHAT", help=_("paths: purchase or complaint"))
        parser.add_argument("--length", metavar="N", help=_("paths: steps per path (default 3)"))
        parser.add_argument(
            "--days",
            metavar="N",
            help=_(
                "paths: purchases or complaints of the last N days (default 365); winback: "
                "ordered again within N days of the list (default 30)"
            ),
        )
        parser.add_argument(
            "--recompute",
            action="store_true",
            help=_("personas: re-form the personas now from the stored scores"),
        )
        parser.add_argument("--json", action="store_true", help=_("print JSON"))

    def handle(self, *args, **options):
        metric = options["metric"]
        if options["list_id"] is not None and metric != WINBACK:
            raise CommandError(
                _("unexpected argument %(value)s") % {"value": options["list_id"]}, returncode=2
            )
        if metric == WINBACK:
            self._winback(options)
            return
        if metric == RECOUNT:
            self._recount(as_json=options["json"])
            return
        if metric == SCORE:
            self._score(as_json=options["json"])
            return
        if metric == RFM:
            self._rfm(as_json=options["json"])
            return
        if metric == CLV:
            self._clv(options)
            return
        if metric == CHURN:
            self._churn(top=options["top"] or "20", as_json=options["json"])
            return
        if metric in (FUNNEL, PATHS, PERSONAS):
            self._journeys(metric, options)
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

    def _score(self, *, as_json: bool) -> None:
        summary = score_customers()
        if as_json:
            self.stdout.write(json.dumps(summary.to_json(), ensure_ascii=False))
            return
        self.stdout.write(
            _("Scored %(customers)d customers from %(orders)d orders in %(seconds)s s.")
            % {
                "customers": summary.customers,
                "orders": summary.orders,
                "seconds": summary.seconds,
            }
        )
        if summary.clv_error:
            self.stdout.write(
                _("P(alive) and CLV left empty: %(reason)s")
                % {"reason": summary.clv_error["message"]}
            )
        self._write_churn_method(summary.churn or {})
        groups = summary.personas or {}
        if groups.get("error"):
            self.stdout.write(_("No personas: %(reason)s") % {"reason": groups["error"]["message"]})
        elif groups.get("k"):
            self.stdout.write(
                _("%(k)d personas (k chosen by the silhouette): 'kesheng analytics personas'.")
                % {"k": groups["k"]}
            )

    def _write_churn_method(self, report: dict) -> None:
        evaluation = report.get("evaluation")
        if evaluation:
            self.stdout.write(
                _(
                    "Churn classifier on the held-out period: AUC %(auc).3f, lift at the top "
                    "decile %(lift).2f (%(customers)d customers)."
                )
                % {
                    "auc": evaluation["auc"],
                    "lift": evaluation["lift_top_decile"],
                    "customers": evaluation["test_customers"],
                }
            )
        if report.get("method") == "classifier":
            self.stdout.write(
                _("Churn risk from the classifier; %(count)d customers at risk.")
                % {"count": report["at_risk"]}
            )
        elif report:
            self.stdout.write(
                _("Churn risk from the rules (%(reason)s); %(count)d customers at risk.")
                % {"reason": report["fallback_reason"], "count": report["at_risk"]}
            )

    def _churn(self, *, top: str, as_json: bool) -> None:
        try:
            rows = list_churn_risk(top)
        except InvalidInput as invalid:
            reasons = "; ".join(f"--{error.field}: {error.reason}" for error in invalid.errors)
            raise CommandError(reasons, returncode=2) from None
        if as_json:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write(_("No scores yet: run 'kesheng analytics score'."))
            return
        for row in rows:
            reasons = "; ".join(row["reasons"]) or "—"
            self.stdout.write(
                _left(row["customer_id"], 24)
                + _right(f"{row['churn_risk']:.2f}", 6)
                + "  "
                + reasons
            )

    def _rfm(self, *, as_json: bool) -> None:
        summary = summarise_rfm_segments()
        if as_json:
            at = summary["computed_at"]
            document = {**summary, "computed_at": at.isoformat() if at else None}
            self.stdout.write(json.dumps(document, ensure_ascii=False))
            return
        if not summary["customers"]:
            self.stdout.write(_("No scores yet: run 'kesheng analytics score'."))
            return
        self.stdout.write(
            _left(_("segment"), 24)
            + _right(_("customers"), 11)
            + _right(_("share"), 8)
            + _right(_("spend"), 16)
            + _right(_("CLV"), 16)
        )
        for row in summary["segments"]:
            clv = "—" if row["clv"] is None else f"{row['clv']:.2f}"
            self.stdout.write(
                _left(row["label"], 24)
                + _right(str(row["customers"]), 11)
                + _right(f"{100 * row['share']:.1f} %", 8)
                + _right(f"{row['monetary']:.2f}", 16)
                + _right(clv, 16)
            )

    def _clv(self, options) -> None:
        try:
            report = fit_lifetime_value(
                calibration_end=options["calibration_end"],
                period=options["period"],
                horizon=options["horizon"],
            )
        except InvalidInput as invalid:
            reasons = "; ".join(f"--{error.field}: {error.reason}" for error in invalid.errors)
            raise CommandError(reasons, returncode=2) from None
        except DomainError as error:
            raise CommandError(
                _("cannot fit the lifetime-value models: %(reason)s") % {"reason": error},
                returncode=2,
            ) from None
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        bgnbd, spend = report["bgnbd"], report["gamma_gamma"]
        errors = report["standard_errors"]
        self.stdout.write(
            _("%(customers)d customers, %(repeat)d repeat buyers, per %(period)s, to %(end)s")
            % {
                "customers": report["customers"],
                "repeat": report["repeat_buyers"],
                "period": report["period"],
                "end": report["end"],
            }
        )
        for model, params in (("BG/NBD", bgnbd), ("Gamma-Gamma", spend)):
            key = "bgnbd" if model == "BG/NBD" else "gamma_gamma"
            figures = ", ".join(
                f"{name} {value:.4g} (± {errors[key][name]:.2g})" for name, value in params.items()
            )
            self.stdout.write(f"{model:<12} {figures}  LL {report['log_likelihood'][key]:.2f}")
        holdout = report["holdout"]
        if "error" in holdout:
            self.stdout.write(
                _("Holdout check not possible: %(reason)s")
                % {"reason": holdout["error"]["message"]}
            )
        else:
            self.stdout.write(
                _("Holdout %(start)s to %(end)s: %(actual).0f purchases, %(predicted).1f expected")
                % {
                    "start": holdout["calibration_end"],
                    "end": holdout["holdout_end"],
                    "actual": holdout["total"]["actual"],
                    "predicted": holdout["total"]["predicted"],
                }
            )
        self.stdout.write(
            _("CLV over %(months)d months: total %(total).2f, mean %(mean).2f %(currency)s")
            % {
                "months": report["horizon_months"],
                "total": report["clv"]["total"],
                "mean": report["clv"]["mean"],
                "currency": report["currency"],
            }
        )

    def _winback(self, options) -> None:
        if options["list_id"] is None:
            self._winback_lists(as_json=options["json"])
            return
        try:
            result = get_win_back_result(options["list_id"], days=options["days"] or "30")
        except InvalidInput as invalid:
            reasons = "; ".join(f"--{error.field}: {error.reason}" for error in invalid.errors)
            raise CommandError(reasons, returncode=2) from None
        except NotFound as error:
            raise CommandError(str(error), returncode=2) from None
        if options["json"]:
            self.stdout.write(json.dumps(win_back_result_json(result), ensure_ascii=False))
            return
        self.stdout.write(
            _("%(name)s (list %(id)d): ordered again within %(days)d days")
            % {"name": result["name"], "id": result["id"], "days": result["days"]}
        )
        for label, group in ((_("treated"), result["treated"]), (_("control"), result["control"])):
            rate = "—" if group["rate"] is None else f"{100 * group['rate']:.1f} %"
            self.stdout.write(
                _left(label, 12)
                + _right(f"{group['ordered']}/{group['members']}", 14)
                + _right(rate, 10)
            )
        difference = result["difference"]
        if difference["value"] is None:
            self.stdout.write(_("No difference: the list has no control group."))
        else:
            self.stdout.write(
                _(
                    "Difference %(value)+.1f points (95 %% interval %(low)+.1f to %(high)+.1f), "
                    "p = %(p).4f"
                )
                % {
                    "value": 100 * difference["value"],
                    "low": 100 * difference["low"],
                    "high": 100 * difference["high"],
                    "p": difference["p_value"],
                }
            )
        if not result["window_complete"]:
            self.stdout.write(
                _("The window runs until %(end)s: figures so far.")
                % {"end": result["window_end"].isoformat()}
            )

    def _winback_lists(self, *, as_json: bool) -> None:
        lists = list_win_back_lists()
        if as_json:
            document = [{**item, "created_at": item["created_at"].isoformat()} for item in lists]
            self.stdout.write(json.dumps(document, ensure_ascii=False))
            return
        if not lists:
            self.stdout.write(_("No win-back list yet."))
            return
        for item in lists:
            self.stdout.write(
                _right(str(item["id"]), 5)
                + "  "
                + _left(item["name"], 32)
                + f"{item['created_at']:%Y-%m-%d %H:%M}  "
                + _("%(treated)d treated, %(control)d control")
                % {"treated": item["treated"], "control": item["control"]}
            )

    def _journeys(self, metric: str, options) -> None:
        try:
            if metric == FUNNEL:
                report = compute_funnel_report(options["steps"], options["window_days"])
            elif metric == PATHS:
                report = compute_path_report(
                    options["before"], options["length"], options["days"], options["top"]
                )
            else:
                if options["recompute"]:
                    assign_personas()
                report = list_personas()
        except InvalidInput as invalid:
            reasons = "; ".join(
                f"--{error.field.replace('_', '-')}: {error.reason}" for error in invalid.errors
            )
            raise CommandError(reasons, returncode=2) from None
        if options["json"]:
            at = report.get("computed_at")
            document = {**report, "computed_at": at.isoformat()} if at else report
            self.stdout.write(json.dumps(document, ensure_ascii=False))
            return
        if metric == FUNNEL:
            self._write_funnel(report)
        elif metric == PATHS:
            self._write_paths(report)
        else:
            self._write_personas(report)

    def _write_funnel(self, report: dict) -> None:
        self.stdout.write(
            _left(_("step"), 28)
            + _right(_("customers"), 11)
            + _right(_("conversion"), 12)
            + _right(_("drop-off"), 10)
            + _right(_("median h"), 10)
            + _right(_("p90 h"), 10)
        )
        for step in report["steps"]:
            conversion = step["conversion"]
            self.stdout.write(
                _left(step["label"], 28)
                + _right(str(step["customers"]), 11)
                + _right("—" if conversion is None else f"{100 * conversion:.1f} %", 12)
                + _right(str(step["drop_off"]), 10)
                + _right(_figure(step["median_hours"]), 10)
                + _right(_figure(step["p90_hours"]), 10)
            )
        for row in report["by_channel"]:
            conversion = row["conversion"]
            self.stdout.write(
                _left(row["label"], 28)
                + "  "
                + " → ".join(str(count) for count in row["customers"])
                + ("" if conversion is None else f"  ({100 * conversion:.1f} %)")
            )

    def _write_paths(self, report: dict) -> None:
        self.stdout.write(
            _("%(with_path)d of %(anchors)d had touchpoints in the %(days)d days before.")
            % {
                "with_path": report["with_path"],
                "anchors": report["anchors"],
                "days": report["lookback_days"],
            }
        )
        for row in report["paths"]:
            self.stdout.write(
                _right(str(row["count"]), 8)
                + _right(f"{100 * row['share']:.1f} %", 9)
                + "  "
                + " → ".join(row["labels"])
            )

    def _write_personas(self, report: dict) -> None:
        if not report["personas"]:
            self.stdout.write(_("No personas yet: run 'kesheng analytics score'."))
            return
        for persona in report["personas"]:
            self.stdout.write(f"{persona['persona']}. {persona['name']}")
            self.stdout.write("   " + persona["description"])
