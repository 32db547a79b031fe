"""``kesheng demo-data``: load the demo retail chain (customers, orders, events, staff logins)."""

import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kesheng.demo.actions import (
    DEMO_PASSWORD,
    SUPERUSER_NAME,
    has_customers,
    has_demo_login,
    load_demo_data,
)
from kesheng.demo.catalogue import BRAND_EN, BRAND_ZH


class Command(BaseCommand):
    help = _(
        "Load a demo data set: a fictional retail chain with stores in several cities, about "
        "5,000 customers and two years of orders and touchpoint events. Running it again adds "
        "nothing; ids are derived from the seed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=5000,
            help=_("how many customers to generate (default 5000)"),
        )
        parser.add_argument(
            "--seed", type=int, default=42, help=_("random seed; the same seed gives the same data")
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=_("do nothing when the database already holds customers (used by make demo)"),
        )
        parser.add_argument("--json", action="store_true", help=_("print the figures as JSON"))

    def handle(self, *args, **options):
        customer_count = options["customers"]
        if customer_count < 1 or customer_count > 1_000_000:
            raise CommandError(_("--customers must be between 1 and 1000000"), returncode=2)
        if options["seed"] < 0:
            raise CommandError(_("--seed must be 0 or more"), returncode=2)
        if options["if_empty"] and has_customers():
            message = _(
                "The database already holds customers; demo data not loaded "
                "(run without --if-empty to add it anyway)."
            )
            if options["json"]:
                self.stdout.write(json.dumps({"skipped": True, "reason": message}))
                return
            self.stdout.write(message)
            if has_demo_login():
                self.stdout.write(
                    _("Staff login of the demo: %(user)s / %(password)s (unless changed since)")
                    % {"user": SUPERUSER_NAME, "password": DEMO_PASSWORD}
                )
            return
        started = time.monotonic()
        summary = load_demo_data(customer_count=customer_count, seed=options["seed"])
        seconds = time.monotonic() - started
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "skipped": False,
                        "customers_created": summary.customers_created,
                        "orders_created": summary.orders_created,
                        "events_created": summary.events_created,
                        "stores": summary.stores,
                        "products": summary.products,
                        "surveys_created": summary.surveys_created,
                        "responses_created": summary.responses_created,
                        "seconds": round(seconds, 1),
                        "logins": [
                            {"username": user, "password": password, "role": role}
                            for user, password, role in summary.staff_logins
                        ],
                    }
                )
            )
            return
        self.stdout.write(
            _(
                "Demo data for %(brand_zh)s (%(brand_en)s) loaded in %(seconds).1f s: "
                "%(customers)d new customers, %(orders)d new orders, %(events)d new events, "
                "%(stores)d stores, %(products)d products."
            )
            % {
                "brand_zh": BRAND_ZH,
                "brand_en": BRAND_EN,
                "seconds": seconds,
                "customers": summary.customers_created,
                "orders": summary.orders_created,
                "events": summary.events_created,
                "stores": summary.stores,
                "products": summary.products,
            }
        )
        self.stdout.write(
            _("Surveys: %(surveys)d new, with %(responses)d responses (history: nothing was sent).")
            % {"surveys": summary.surveys_created, "responses": summary.responses_created}
        )
        self.stdout.write(
            _("Staff logins (password for all: %(password)s):")
            % {"password": summary.staff_logins[0][1]}
        )
        for username, _password, role in summary.staff_logins:
            self.stdout.write(f"  {username:<20} {role}")
