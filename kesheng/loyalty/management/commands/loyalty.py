"""``kesheng loyalty configure FILE | recalc-tiers | tiers | expire | verify | liability``.

``configure`` loads the programme from a YAML or JSON file (docs/loyalty.md); a bad file exits
with code 2, one ``path: reason`` line per problem on stderr, and nothing changed.
``recalc-tiers`` runs the periodic review now. ``expire [--dry-run]`` expires lapsed points,
``verify`` rebuilds balances from the ledger (exit 1 on a difference), ``liability`` values the
outstanding points. All take ``--json``.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kesheng.loyalty.actions.ledger_runs import expire_points
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.actions.tiers import review_tiers
from kesheng.loyalty.management.campaign_cli import (
    add_campaign_parsers,
    handle_campaign,
    handle_care,
)
from kesheng.loyalty.programme import ProgrammeFileError, check_programme, read_programme_file
from kesheng.loyalty.queries import (
    get_points_liability,
    list_tiers,
    privileges_of,
    verify_points_ledger,
)
from kesheng.loyalty.referral_cli import (
    add_referral_commands,
    handle_member_link,
    handle_referrals,
)


class Command(BaseCommand):
    help = _(
        "The loyalty programme: load its settings from a file, run the tier review, list the tiers."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
        configure = commands.add_parser(
            "configure",
            help=_("load the programme settings (tiers, qualification, review) from a file"),
            description=_(
                "YAML or JSON, as in docs/loyalty.md. A bad file changes nothing and exits "
                "with code 2, naming each bad key by its path."
            ),
        )
        configure.add_argument("file", help=_("the programme file (.yaml, .yml or .json)"))
        configure.add_argument("--json", action="store_true", help=_("print JSON"))
        recalc = commands.add_parser(
            "recalc-tiers",
            help=_("run the periodic tier review now (upgrades, grace periods, downgrades)"),
        )
        recalc.add_argument("--json", action="store_true", help=_("print JSON"))
        tiers = commands.add_parser("tiers", help=_("list the programme's tiers"))
        tiers.add_argument("--json", action="store_true", help=_("print JSON"))
        expire = commands.add_parser(
            "expire", help=_("expire the points whose expiry date has passed, for every member")
        )
        expire.add_argument(
            "--dry-run", action="store_true", help=_("count what would expire, change nothing")
        )
        expire.add_argument("--json", action="store_true", help=_("print JSON"))
        verify = commands.add_parser(
            "verify",
            help=_(
                "rebuild every points balance from the ledger and compare (exit 1 if any differ)"
            ),
        )
        verify.add_argument("--json", action="store_true", help=_("print JSON"))
        liability = commands.add_parser(
            "liability",
            help=_("outstanding points and their value, by month of expiry"),
        )
        liability.add_argument("--json", action="store_true", help=_("print JSON"))
        add_referral_commands(commands)
        add_campaign_parsers(commands)

    def handle(self, *args, **options):
        handler = getattr(self, "handle_" + options["subcommand"].replace("-", "_"))
        handler(options)

    def handle_campaign(self, options):
        handle_campaign(self, options)

    def handle_care(self, options):
        handle_care(self, options)

    def handle_configure(self, options):
        path = options["file"]
        try:
            checked = check_programme(read_programme_file(path))
            result = configure_programme(programme_settings=checked, source=path)
        except ProgrammeFileError as error:
            for problem in error.problems:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(
                _("%(file)s: the programme was not changed (%(count)d problems)")
                % {"file": path, "count": len(error.problems)},
                returncode=2,
            ) from None
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "created": result.created,
                        "tiers": [tier.code for tier in checked.tiers],
                        "tiers_added": result.tiers_added,
                        "tiers_changed": result.tiers_changed,
                        "tiers_retired": result.tiers_retired,
                        "rewards": [item["code"] for item in checked.stored.get("rewards", [])],
                        "rewards_added": result.rewards_added,
                        "rewards_changed": result.rewards_changed,
                        "rewards_retired": result.rewards_retired,
                    }
                )
            )
            return
        self.stdout.write(
            _(
                "Programme loaded from %(file)s: %(count)d tiers (%(added)d new, %(changed)d "
                "changed, %(retired)d retired), qualification %(qualification)s, review "
                "%(period)s with %(grace)d days of grace."
            )
            % {
                "file": path,
                "count": len(checked.tiers),
                "added": result.tiers_added,
                "changed": result.tiers_changed,
                "retired": result.tiers_retired,
                "qualification": checked.qualification,
                "period": checked.review_period,
                "grace": checked.grace_days,
            }
        )
        rewards = checked.stored.get("rewards", [])
        if rewards or result.rewards_retired:
            self.stdout.write(
                _(
                    "Rewards: %(count)d (%(added)d new, %(changed)d changed, %(retired)d made "
                    "inactive)."
                )
                % {
                    "count": len(rewards),
                    "added": result.rewards_added,
                    "changed": result.rewards_changed,
                    "retired": result.rewards_retired,
                }
            )
        self.stdout.write(
            _("Run 'kesheng loyalty recalc-tiers' to apply it to every customer now.")
        )

    def handle_referrals(self, options):
        handle_referrals(self, options)

    def handle_member_link(self, options):
        handle_member_link(self, options)

    def handle_recalc_tiers(self, options):
        run = review_tiers(force=True)
        if not run.configured:
            raise CommandError(
                _("no loyalty programme yet: load one with 'kesheng loyalty configure FILE'"),
                returncode=2,
            )
        if options["json"]:
            self.stdout.write(json.dumps(run.as_dict()))
            return
        self.stdout.write(
            _(
                "Reviewed %(evaluated)d customers: %(assigned)d first tiers, %(upgraded)d "
                "upgrades, %(downgraded)d downgrades, %(started)d grace periods started, "
                "%(cleared)d ended by qualifying again."
            )
            % {
                "evaluated": run.evaluated,
                "assigned": run.assigned,
                "upgraded": run.upgraded,
                "downgraded": run.downgraded,
                "started": run.grace_started,
                "cleared": run.grace_cleared,
            }
        )

    def handle_tiers(self, options):
        tiers = list_tiers()
        if options["json"]:
            rows = [
                {
                    "code": tier.code,
                    "name": {"zh-Hans": tier.name_zh, "en": tier.name_en},
                    "threshold": str(tier.threshold),
                    "privileges": privileges_of(tier),
                }
                for tier in tiers
            ]
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        if not tiers:
            self.stdout.write(
                _("No tiers yet: load a programme with 'kesheng loyalty configure FILE'.")
            )
        for tier in tiers:
            self.stdout.write(f"{tier.code:<12} {tier.threshold:>14}  {tier.name}")

    def handle_expire(self, options):
        run = expire_points(dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(run.as_dict()))
            return
        message = (
            _("Would expire %(points)d points in %(lots)d lots of %(members)d members (dry run).")
            if run.dry_run
            else _("Expired %(points)d points in %(lots)d lots of %(members)d members.")
        )
        self.stdout.write(
            message % {"points": run.points, "lots": run.lots, "members": run.members}
        )

    def handle_verify(self, options):
        differences = verify_points_ledger()
        if options["json"]:
            self.stdout.write(json.dumps({"differences": differences}, ensure_ascii=False))
        elif not differences:
            self.stdout.write(_("Every balance equals its rebuild from the ledger."))
        else:
            for difference in differences:
                self.stdout.write(
                    _("%(customer)s: %(field)s stored %(stored)s, rebuilt %(rebuilt)s")
                    % {
                        "customer": difference["customer_id"],
                        "field": difference["field"],
                        "stored": difference["stored"],
                        "rebuilt": difference["rebuilt"],
                    }
                )
        if differences:
            raise CommandError(
                _("%(count)d differences between the balances and the ledger")
                % {"count": len(differences)},
                returncode=1,
            )

    def handle_liability(self, options):
        liability = get_points_liability()
        if options["json"]:
            self.stdout.write(json.dumps(liability))
            return
        currency = liability["currency"]
        self.stdout.write(
            _(
                "Outstanding: %(points)d points worth %(value)s %(currency)s "
                "(%(per_point)s per point); owed by members: %(owed)d points."
            )
            % {
                "points": liability["points"],
                "value": liability["value"],
                "currency": currency,
                "per_point": liability["value_per_point"],
                "owed": liability["owed_points"],
            }
        )
        for row in liability["by_expiry_month"]:
            month = row["month"] or _("never expire")
            self.stdout.write(f"{month:<12} {row['points']:>14} {row['value']:>16} {currency}")
