"""Loading the demo data set through the same actions an import or the API uses."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from kesheng.accounts.models import Role
from kesheng.commerce.actions import prepare_orders, save_product, save_store, write_orders
from kesheng.core.ingest import chunked
from kesheng.customers.actions import CustomerRecord, normalized_identities, validate_profile
from kesheng.customers.importing import ParsedCustomer, import_customers
from kesheng.customers.queries import list_customers, map_customer_ids
from kesheng.demo import catalogue
from kesheng.demo.generator import DemoCustomer, DemoEvent, DemoOrder, generate
from kesheng.tracking.actions import prepare_events, write_events

DEMO_SOURCE = "demo"
DEMO_PASSWORD = "kesheng-demo"
SUPERUSER_NAME = "demo"
BATCH_SIZE = 5000


@dataclass
class DemoLoadSummary:
    customers_created: int = 0
    orders_created: int = 0
    events_created: int = 0
    stores: int = 0
    products: int = 0
    staff_logins: list[tuple[str, str, str]] = field(default_factory=list)  # user, password, role


def has_customers() -> bool:
    return list_customers().exists()


def has_demo_login() -> bool:
    return get_user_model().objects.filter(username=SUPERUSER_NAME).exists()


def load_demo_data(*, customer_count: int, seed: int, now: datetime | None = None):
    """Load the demo retail chain: stores, products, customers, two years of orders and events,
    and one staff login per role, in one transaction.

    Every row is keyed by an id derived from ``seed`` and the customer's number, so loading
    again adds nothing (existing customers, orders and events are recognised by their ids).
    Customers go through the customer import's bulk path (identity resolution included);
    orders and events through ``write_orders`` and ``write_events``, which emit one
    ``orders.imported`` / ``events.recorded`` per batch rather than one event per row: this is
    history, and today's automation rules should not fire for it.
    """
    now = now or timezone.now()
    data = generate(
        customer_count=customer_count, seed=seed, now=now, zone=ZoneInfo(settings.TIME_ZONE)
    )
    summary = DemoLoadSummary()
    with transaction.atomic():
        summary.stores = _save_stores()
        summary.products = _save_products()
        summary.customers_created = _save_customers(data.customers)
        summary.orders_created = _save_orders(data.orders)
        summary.events_created = _save_events(data.events)
        summary.staff_logins = ensure_demo_staff()
    return summary


def _save_stores() -> int:
    for code, city, district, name_zh, name_en, address, opened_on in catalogue.STORES:
        save_store(
            code=code,
            name_zh=name_zh,
            name_en=f"{catalogue.BRAND_EN} {name_en}",
            city=city,
            region=district,
            address=f"{city}市{district}{address}",
            opened_on=date.fromisoformat(opened_on),
        )
    return len(catalogue.STORES)


def _save_products() -> int:
    category_names = {code: name_zh for code, name_zh, *_ in catalogue.CATEGORIES}
    for sku, category, name_zh, name_en, price in catalogue.PRODUCTS:
        save_product(
            sku=sku,
            name_zh=name_zh,
            name_en=name_en,
            category=category_names[category],
            price=Decimal(price),
        )
    return len(catalogue.PRODUCTS)


def _customer_record(customer: DemoCustomer) -> CustomerRecord:
    return CustomerRecord(
        customer_id=customer.customer_id,
        phone=customer.phone,
        email=customer.email,
        wechat_openid=customer.wechat_openid,
        name=customer.name,
        gender=customer.gender,
        birthday=customer.birthday,
        city=customer.city,
        occupation=customer.occupation,
        income_band=customer.income_band,
        signed_up_at=customer.signed_up_at,
        attributes=customer.attributes,
        tags=customer.tags,
        consents=customer.consents,
        source=DEMO_SOURCE,
    )


def _save_customers(customers: list[DemoCustomer]) -> int:
    # A demo customer already loaded is the same person again (the generator is deterministic),
    # so only the missing ones are written; a second load then costs one lookup.
    existing = map_customer_ids(customer.customer_id for customer in customers)
    parsed = []
    for number, customer in enumerate(customers, start=1):
        if customer.customer_id in existing:
            continue
        record = _customer_record(customer)
        validate_profile(record)
        parsed.append(
            ParsedCustomer(
                row=number, record=record, identities=tuple(normalized_identities(record))
            )
        )
    return import_customers(parsed).created


def _order_item(order: DemoOrder) -> dict:
    return {
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "ordered_at": order.ordered_at,
        "amount": order.amount,
        "currency": "CNY",
        "store": order.store,
        "channel": order.channel,
        "status": order.status,
        "lines": [
            {"sku": sku, "quantity": quantity, "unit_price": price}
            for sku, quantity, price in order.lines
        ],
    }


def _save_orders(orders: list[DemoOrder]) -> int:
    created = 0
    for batch in chunked(orders, BATCH_SIZE):
        prepared = prepare_orders([_order_item(order) for order in batch])
        _refuse_rejections(prepared.rejected, "order")
        created += write_orders(prepared, fast=True, emit_each=False).accepted
    return created


def _event_item(event: DemoEvent) -> dict:
    return {
        "event_id": event.event_id,
        "customer_id": event.customer_id,
        "type": event.type,
        "touchpoint": event.touchpoint,
        "occurred_at": event.occurred_at,
        "properties": event.properties,
    }


def _save_events(events: list[DemoEvent]) -> int:
    created = 0
    for batch in chunked(events, BATCH_SIZE):
        prepared = prepare_events([_event_item(event) for event in batch])
        _refuse_rejections(prepared.rejected, "event")
        created += write_events(prepared, fast=True).accepted
    return created


def _refuse_rejections(rejections, kind: str) -> None:
    # The generator's own output being refused is a bug in the generator, not bad user input.
    if rejections:
        first = rejections[0]
        raise AssertionError(f"demo {kind} {first.item_id} refused: {first.field}: {first.reason}")


def ensure_demo_staff() -> list[tuple[str, str, str]]:
    """The superuser ``demo`` and one user per staff role (``demo_<role>``), all with the demo
    password. Existing users keep their password, so a changed one is not reset."""
    user_model = get_user_model()
    # one slow password hash shared by the six users instead of six (each takes ~0.4 s)
    password_hash = make_password(DEMO_PASSWORD)
    logins = []
    if not user_model.objects.filter(username=SUPERUSER_NAME).exists():
        superuser = user_model.objects.create_superuser(SUPERUSER_NAME, "demo@example.com")
        superuser.password = password_hash
        superuser.save(update_fields=["password"])
    logins.append((SUPERUSER_NAME, DEMO_PASSWORD, "superuser"))
    for role in Role:
        username = f"demo_{role.value}"
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_user(
                username, f"{username}@example.com", is_staff=role == Role.ADMIN
            )
            user.password = password_hash
            user.save(update_fields=["password"])
        group, _ = Group.objects.get_or_create(name=role.value)
        user.groups.add(group)
        logins.append((username, DEMO_PASSWORD, role.value))
    return logins
