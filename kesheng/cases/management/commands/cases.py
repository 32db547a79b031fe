"""``kesheng cases kpis [--from DATE] [--to DATE] [--json]`` and ``kesheng cases scorecards``:
the case KPIs and staff scorecards of the cases opened in a period (default: the last 90 days),
the same figures as /cases/kpis/ and /cases/scorecards/. A bad date exits with code 2."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kesheng.cases.queries.kpis import case_kpis, staff_scorecards
from kesheng.cases.views_kpis import period_bounds


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("%(option)s: %(value)r is not a date like 2026-10-01")
            % {"option": option, "value": value},
            returncode=2,
        ) from None


def _minutes(summary: dict) -> str:
    if not summary["n"]:
        return "–"
    return f"{summary['median']:g}/{summary['p90']:g} (n={summary['n']})"


def _share(summary: dict) -> str:
    if not summary["n"]:
        return "–"
    return f"{summary['share'] * 100:.1f}% ({summary['count']}/{summary['n']})"


class Command(BaseCommand):
    help = _("Case KPIs and staff scorecards.")

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
        for name, text in (
            ("kpis", _("case KPIs overall and by store, category and agent")),
            ("scorecards", _("scorecards per agent, store and named staff member")),
        ):
            command = commands.add_parser(name, help=text)
            command.add_argument("--from", dest="opened_from", help=_("first day (YYYY-MM-DD)"))
            command.add_argument("--to", dest="opened_to", help=_("last day (YYYY-MM-DD)"))
            command.add_argument("--json", action="store_true", help=_("print JSON"))

    def handle(self, *args, **options):
        start = _date(options["opened_from"], "--from")
        end = _date(options["opened_to"], "--to")
        if start and end and end < start:
            raise CommandError(_("--to: is before --from"), returncode=2)
        opened_from, opened_to = period_bounds(start, end)
        compute = case_kpis if options["subcommand"] == "kpis" else staff_scorecards
        result = compute(opened_from=opened_from, opened_to=opened_to)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        if options["subcommand"] == "kpis":
            self._print_kpis(result)
        else:
            self._print_scorecards(result)

    def _print_kpis(self, result: dict) -> None:
        self.stdout.write(f"{result['period']['from']} – {result['period']['to']}")
        sections = [(_("all cases"), [{"key": "", **result["overall"]}])]
        sections += [
            (_("by store"), result["by_store"]),
            (_("by category"), result["by_category"]),
            (_("by agent"), result["by_agent"]),
        ]
        for title, rows in sections:
            self.stdout.write(f"\n{title}")
            for row in rows:
                rate = row["complaints_per_1000_orders"]
                self.stdout.write(
                    f"  {row['key'] or '*'}: {_('cases')} {row['cases']}"
                    f" · {_('per 1,000 orders')} {'–' if rate is None else rate}"
                    f" · {_('first response')} {_minutes(row['first_response_minutes'])}"
                    f" · {_('resolution')} {_minutes(row['resolution_minutes'])}"
                    f" · SLA {_share(row['sla_compliance'])}"
                    f" · {_('reopened')} {_share(row['reopen_rate'])}"
                    f" · {_('recovered')} {_share(row['recovered_detractors'])}"
                )

    def _print_scorecards(self, result: dict) -> None:
        for title, rows in ((_("agents"), result["agents"]), (_("stores"), result["stores"])):
            self.stdout.write(f"\n{title}")
            for row in rows:
                csat = row["handling_csat"]
                self.stdout.write(
                    f"  {row['key']}: {_('cases')} {row['cases']}"
                    f" · CSAT {'–' if csat['mean'] is None else csat['mean']} (n={csat['n']})"
                    f" · SLA {_share(row['sla_compliance'])}"
                )
        self.stdout.write(f"\n{_('staff members')}")
        for row in result["staff_members"]:
            self.stdout.write(
                f"  {row['key']}: {_('complaints')} {row['complaints']}"
                f" · {_('compliments')} {row['compliments']}"
            )
