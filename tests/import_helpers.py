"""Helpers shared by the import tests: run ``kesheng import`` in-process and snapshot the data."""

from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kesheng.commerce.models import Order, Store
from kesheng.core.models import DomainEvent
from kesheng.customers.models import Consent, Customer, CustomerMerge, Identity, Tag
from kesheng.tracking.models import Event, Touchpoint

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_import(*arguments: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``kesheng import ARGUMENTS``, in English."""
    stdout, stderr = StringIO(), StringIO()
    with translation.override("en"):
        try:
            call_command("import", *arguments, stdout=stdout, stderr=stderr)
            code = 0
        except CommandError as error:
            code = error.returncode
            stderr.write(f"{error}\n")
    return code, stdout.getvalue(), stderr.getvalue()


def database_snapshot() -> dict:
    """Everything an import could change, to assert that a refused import changed nothing."""
    return {
        "customers": sorted(
            Customer.objects.values_list(
                "customer_id", "name", "city", "gender", "birthday", "attributes", "updated_at"
            )
        ),
        "identities": sorted(Identity.objects.values_list("customer_id", "kind", "value")),
        "consents": sorted(
            Consent.objects.values_list("customer_id", "channel", "purpose", "is_granted")
        ),
        "tags": sorted(Tag.objects.values_list("name", flat=True)),
        "customer_tags": sorted(Customer.tags.through.objects.values_list("customer_id", "tag_id")),
        "merges": CustomerMerge.objects.count(),
        "orders": sorted(Order.objects.values_list("order_id", "customer_id", "amount")),
        "stores": sorted(Store.objects.values_list("code", flat=True)),
        "events": sorted(Event.objects.values_list("event_id", "customer_id")),
        "touchpoints": sorted(Touchpoint.objects.values_list("code", flat=True)),
        "domain_events": DomainEvent.objects.count(),
    }


def write_file(directory: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = directory / name
    path.write_bytes(text.encode(encoding))
    return path
