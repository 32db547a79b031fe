"""``kesheng loyalty referrals [--customer ID] [--json]`` and ``kesheng loyalty member-link ID``:
sub-commands of the loyalty command kept in their own module (docs/loyalty.md)."""

import json

from django.core.management.base import CommandError
from django.urls import reverse
from django.utils.translation import gettext as _

from kesheng.core.errors import NotFound
from kesheng.customers.queries import get_customer
from kesheng.loyalty.actions.members import member_link_token
from kesheng.loyalty.member_queries import get_referral_funnel, list_referral_funnels
from kesheng.messaging.unsubscribe import public_url


def add_referral_commands(commands) -> None:
    referrals = commands.add_parser(
        "referrals",
        help=_("the referral funnel: links opened, signed up, ordered, rewarded, refused"),
    )
    referrals.add_argument("--customer", help=_("one referrer's funnel (a customer id)"))
    referrals.add_argument("--json", action="store_true", help=_("print JSON"))
    link = commands.add_parser(
        "member-link",
        help=_("print a member's personal link to the member pages (valid for some days)"),
    )
    link.add_argument("customer_id", help=_("the customer id"))


def _customer(customer_id: str):
    try:
        return get_customer(customer_id)
    except NotFound as error:
        raise CommandError(error.message, returncode=2) from None


def handle_referrals(command, options) -> None:
    if options.get("customer"):
        customer = _customer(options["customer"])
        report = {
            "customer_id": customer.customer_id,
            **get_referral_funnel(referrer_pk=customer.pk),
        }
    else:
        report = {**get_referral_funnel(), "referrers": list_referral_funnels()}
    if options["json"]:
        command.stdout.write(json.dumps(report, ensure_ascii=False))
        return
    command.stdout.write(
        _(
            "Links opened %(shared)d, signed up %(signed_up)d, ordered %(ordered)d, "
            "rewarded %(rewarded)d, refused %(refused)d."
        )
        % report
    )
    for reason, count in report["refused_by_reason"].items():
        command.stdout.write(f"  {reason:<14} {count:>8}")
    for row in report.get("referrers", []):
        command.stdout.write(
            f"{row['customer_id']:<20} {row['code']:<8} {row['shared']:>6} {row['signed_up']:>6} "
            f"{row['ordered']:>6} {row['rewarded']:>6} {row['refused']:>6}"
        )


def handle_member_link(command, options) -> None:
    customer = _customer(options["customer_id"])
    token = member_link_token(customer.customer_id)
    command.stdout.write(public_url(reverse("loyalty_member:link", args=[token])))
