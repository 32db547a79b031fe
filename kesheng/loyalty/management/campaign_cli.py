"""``kesheng loyalty campaign list|launch ID|results ID`` and ``kesheng loyalty care``: the
campaign and care-message faces of the loyalty command (docs/loyalty.md). Thin: parse, one
action or query, print; an unknown campaign exits with code 2."""

import json

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from kesheng.core.errors import DomainError


def add_campaign_parsers(commands) -> None:
    campaign = commands.add_parser("campaign", help=_("campaigns with a control group"))
    actions = campaign.add_subparsers(dest="campaign_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help=_("list the campaigns"))
    listing.add_argument("--json", action="store_true", help=_("print JSON"))
    launch = actions.add_parser(
        "launch",
        help=_("freeze a draft campaign's audience and give the treatment group the offer"),
    )
    launch.add_argument("campaign_id", help=_("the campaign's id"))
    launch.add_argument("--json", action="store_true", help=_("print JSON"))
    results = actions.add_parser(
        "results", help=_("treatment against control over the window, with 95 %% intervals")
    )
    results.add_argument("campaign_id", help=_("the campaign's id"))
    results.add_argument("--json", action="store_true", help=_("print JSON"))
    care = commands.add_parser(
        "care",
        help=_("send the care messages due now (birthdays, holidays, expiring points)"),
    )
    care.add_argument("--json", action="store_true", help=_("print JSON"))


def _refuse(error: DomainError) -> CommandError:
    return CommandError(error.message, returncode=2)


def handle_campaign(command, options) -> None:
    from kesheng.loyalty.actions.campaigns import launch_campaign
    from kesheng.loyalty.campaign_queries import get_campaign, get_campaign_results, list_campaigns

    action = options["campaign_command"]
    if action == "list":
        rows = [
            {
                "id": campaign.pk,
                "name": campaign.name,
                "state": campaign.state,
                "starts_on": campaign.starts_on.isoformat(),
                "ends_on": campaign.ends_on.isoformat(),
                "audience": campaign.audience_size,
            }
            for campaign in list_campaigns()
        ]
        if options["json"]:
            command.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            command.stdout.write(
                f"{row['id']}\t{row['state']}\t{row['starts_on']}..{row['ends_on']}\t"
                f"{row['audience'] if row['audience'] is not None else '-'}\t{row['name']}"
            )
        return
    try:
        campaign = get_campaign(options["campaign_id"])
        if action == "launch":
            result = launch_campaign(campaign_id=campaign.pk, launched_by="cli")
            if options["json"]:
                command.stdout.write(json.dumps(result.as_dict()))
            else:
                command.stdout.write(
                    _(
                        "%(name)s: %(audience)s members, %(treatment)s treatment, "
                        "%(control)s control"
                    )
                    % {
                        "name": result.campaign.name,
                        "audience": result.campaign.audience_size,
                        "treatment": result.campaign.treatment_size,
                        "control": result.campaign.control_size,
                    }
                    + ("" if result.launched else " " + _("(launched before; nothing changed)"))
                )
            return
        results = get_campaign_results(campaign)
    except DomainError as error:
        raise _refuse(error) from None
    if options["json"]:
        command.stdout.write(json.dumps(results.as_dict(), ensure_ascii=False))
        return
    command.stdout.write(
        f"{campaign.name} ({results.start.date()} – {results.end.date()}): "
        + _("treatment n = %(treated)s, control n = %(control)s")
        % {"treated": results.treatment.n, "control": results.control.n}
    )
    for metric in results.metrics:
        command.stdout.write(f"- {metric.verdict}")


def handle_care(command, options) -> None:
    from kesheng.loyalty.actions.care import run_care_messages

    run = run_care_messages()
    if options["json"]:
        command.stdout.write(json.dumps(run.as_dict()))
        return
    command.stdout.write(
        _(
            "%(birthday)s birthday greetings (%(gifts)s gifts), %(holiday)s holiday greetings, "
            "%(expiry)s reminders of expiring points, %(offers)s campaign offers delivered."
        )
        % {
            "birthday": run.birthday,
            "gifts": run.birthday_gifts,
            "holiday": run.holiday,
            "expiry": run.points_expiry,
            "offers": run.campaign_offers,
        }
    )
