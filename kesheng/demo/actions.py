"""Loading the demo data set through the same actions an import or the API uses."""

import zlib
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
from kesheng.analytics.actions import score_customers
from kesheng.commerce.actions import (
    grant_store_access,
    prepare_orders,
    save_product,
    save_staff_member,
    save_store,
    write_orders,
)
from kesheng.commerce.models import StaffMember, Store
from kesheng.core.ingest import chunked
from kesheng.customers.actions import (
    CustomerRecord,
    create_segment,
    normalized_identities,
    validate_profile,
)
from kesheng.customers.importing import ParsedCustomer, import_customers
from kesheng.customers.queries import list_customers, list_segments, map_customer_ids
from kesheng.demo import catalogue, survey_generator
from kesheng.demo.cases import load_demo_cases
from kesheng.demo.feedback import feedback_volume, generate_feedback
from kesheng.demo.generator import WINDOW_DAYS, Clock, DemoCustomer, DemoEvent, DemoOrder, generate
from kesheng.demo.help_articles import load_demo_help_articles
from kesheng.demo.loyalty import load_demo_loyalty, load_demo_points
from kesheng.feedback.actions import analyse_feedback_items, record_feedback
from kesheng.feedback.alerting import detect_feedback_alerts
from kesheng.surveys.actions.distribution import create_distribution
from kesheng.surveys.actions.history import (
    PastInvitation,
    PastResponse,
    load_invitation_history,
    load_response_history,
)
from kesheng.surveys.actions.surveys import set_survey_status
from kesheng.surveys.actions.templates import create_survey_from_template
from kesheng.surveys.models import DistributionKind, Survey, SurveyStatus
from kesheng.tracking.actions import prepare_events, write_events
from kesheng.tracking.models import Channel, Touchpoint

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
    surveys_created: int = 0
    responses_created: int = 0
    segments_created: int = 0
    loyalty_tiers: dict[str, int] = field(default_factory=dict)  # tier code -> members given it
    points_transactions: int = 0  # two years of points (earned, paid at the till, expired)
    feedback_items: int = 0  # reviews, social posts, call notes, complaints and emails
    cases: int = 0
    scored_customers: int = 0  # customers with RFM (and CLV) scores after the load
    staff_logins: list[tuple[str, str, str]] = field(default_factory=list)  # user, password, role


def has_customers() -> bool:
    return list_customers().exists()


def has_demo_login() -> bool:
    return get_user_model().objects.filter(username=SUPERUSER_NAME).exists()


def load_demo_data(*, customer_count: int, seed: int, now: datetime | None = None):
    """Load the demo retail chain: stores, products, customers, two years of orders and events,
    one staff login per role, six open surveys with their distributions, the NPS survey's
    email invitations and two years of responses, and a few customer segments, in one
    transaction.

    Every row is keyed by an id derived from ``seed`` and the customer's number, so loading
    again adds nothing (existing customers, orders and events are recognised by their ids).
    Customers go through the customer import's bulk path (identity resolution included);
    orders and events through ``write_orders`` and ``write_events``, which emit one
    ``orders.imported`` / ``events.recorded`` per batch rather than one event per row: this is
    history, and today's automation rules should not fire for it. For the same reason survey
    invitations and responses are written by the surveys' history load: nothing is sent.
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
        _assign_demo_store_manager()
        summary.surveys_created, summary.responses_created = _save_surveys(data, seed=seed, now=now)
        summary.segments_created = _save_segments()
        summary.loyalty_tiers = load_demo_loyalty(now=now).by_tier
        summary.points_transactions = load_demo_points(seed=seed, now=now).transactions
        # The 360 page and the RFM API have something to show at once, not after the first
        # nightly run (a second or two for the default 5,000 customers).
        summary.scored_customers = score_customers(now=now).customers
        summary.feedback_items = _save_feedback(data, seed=seed, now=now)
        summary.cases = load_demo_cases(now=now)
        load_demo_help_articles()
        # Spikes in the demo's own feedback show on the inbox and dashboard (no email).
        detect_feedback_alerts(now=now)
    return summary


def _save_stores() -> int:
    for index, (code, city, district, name_zh, name_en, address, opened_on) in enumerate(
        catalogue.STORES
    ):
        store = save_store(
            code=code,
            name_zh=name_zh,
            name_en=f"{catalogue.BRAND_EN} {name_en}",
            city=city,
            region=district,
            address=f"{city}市{district}{address}",
            opened_on=date.fromisoformat(opened_on),
        )
        for staff_code, staff_name in catalogue.staff_of_store(index, code):
            save_staff_member(code=staff_code, name=staff_name, store=store)
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


def _save_feedback(data, *, seed: int, now: datetime) -> int:
    """Reviews, social posts, call notes, complaints and emails through the feedback API's
    action: analysed after commit, and the recent complaints and low reviews open cases by the
    rule (older ones are history and open nothing)."""
    items = generate_feedback(
        seed=seed,
        now=now,
        customer_ids=[customer.customer_id for customer in data.customers],
        volume=feedback_volume(len(data.customers)),
    )
    result = record_feedback(items=items)
    _refuse_rejections(result.rejected, "feedback")
    # Analysed now rather than after the commit, so that the alert check at the end of the
    # load reads their sentiment and categories (last week's spike at one store).
    analyse_feedback_items(item_ids=result.created_ids)
    return result.accepted


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


# The demo store manager runs the Shanghai Jing'an and Xujiahui stores: their dashboard and
# reports show only those two.
DEMO_MANAGED_STORES = ("sh-jingan", "sh-xuhui")


def _assign_demo_store_manager() -> None:
    manager = get_user_model().objects.get(username=f"demo_{Role.STORE_MANAGER.value}")
    grant_store_access(user=manager, store_codes=list(DEMO_MANAGED_STORES))


# --- segments ------------------------------------------------------------------------------------


def _condition(field_key: str, op: str, value, days: int | None = None) -> dict:
    condition = {"field": field_key, "op": op, "value": value}
    if days is not None:
        condition["days"] = days
    return condition


TAGS = catalogue.TAGS
DEMO_SEGMENTS = [
    (
        "上海的金卡候选",
        "Shanghai gold-card candidates: spent 1,000 CNY or more in the last year, not VIP yet.",
        {
            "all": [
                _condition("city", "eq", "上海"),
                _condition("orders.total_spent", "gte", 1000, days=365),
                _condition("tag", "has_not", TAGS["vip"]),
            ]
        },
    ),
    (
        "近90天高消费客户",
        "High spenders: 1,500 CNY or more in the last 90 days.",
        {"all": [_condition("orders.total_spent", "gte", 1500, days=90)]},
    ),
    (
        "上季度贬损者",
        "Detractors last quarter: the latest NPS answer of the last 90 days was 0-6.",
        {"all": [_condition("surveys.nps_group", "eq", "detractor", days=90)]},
    ),
    (
        "沉睡客户",
        "Lapsed customers: two or more orders, none in the last 180 days (win-back list).",
        {
            "all": [
                _condition("orders.count", "gte", 2),
                _condition("orders.last_ordered_at", "not_within_last_days", 180),
            ]
        },
    ),
    (
        "可微信调研的常客",
        "Store regulars or online shoppers who accept surveys on WeChat and never complained.",
        {
            "all": [
                {
                    "any": [
                        _condition("tag", "has", TAGS["store_regular"]),
                        _condition("tag", "has", TAGS["online_shopper"]),
                    ]
                },
                _condition("consent.wechat.surveys", "is", True),
                {"not": _condition("tag", "has", TAGS["complained"])},
            ]
        },
    ),
]


def _save_segments() -> int:
    """The demo segments that do not exist yet (by name); returns how many were created."""
    existing = set(list_segments().values_list("name", flat=True))
    created = 0
    for name, description, rules in DEMO_SEGMENTS:
        if name not in existing:
            create_segment(name=name, description=description, rules=rules)
            created += 1
    return created


# --- surveys -------------------------------------------------------------------------------------


def _save_surveys(data, *, seed: int, now: datetime) -> tuple[int, int]:
    """Open the demo surveys (built-in templates), their distributions, the NPS survey's email
    invitations and two years of responses. A survey already loaded (found by its link name) is
    left as it is, with everything under it, so loading again adds nothing.

    Invitations and responses go through the history load of ``surveys.actions.history``: no
    message is sent or queued, and no ``response.completed`` fires incentives for the past.
    Returns (surveys created, responses created)."""
    existing = set(
        Survey.objects.filter(slug__in=survey_generator.SURVEYS.values()).values_list(
            "slug", flat=True
        )
    )
    missing = [key for key, slug in survey_generator.SURVEYS.items() if slug not in existing]
    if not missing:
        return 0, 0
    generated = survey_generator.generate_surveys(
        data, seed=seed, clock=Clock(now, ZoneInfo(settings.TIME_ZONE))
    )
    superuser = get_user_model().objects.filter(username=SUPERUSER_NAME).first()
    customers = map_customer_ids(customer.customer_id for customer in data.customers)
    stores = {store.code: store for store in Store.objects.all()}
    staff_of_store: dict[str, list[int]] = {}
    for store_code, staff_pk in StaffMember.objects.order_by("code").values_list(
        "store__code", "pk"
    ):
        staff_of_store.setdefault(store_code, []).append(staff_pk)
    channels = {channel.code: channel for channel in Channel.objects.all()}
    touchpoints = {touchpoint.code: touchpoint for touchpoint in Touchpoint.objects.all()}
    responses_created = 0
    for key in missing:
        survey = create_survey_from_template(
            key=key,
            slug=survey_generator.SURVEYS[key],
            is_anonymous=key in survey_generator.ANONYMOUS_SURVEYS,
            created_by=superuser,
        )
        set_survey_status(survey=survey, status=SurveyStatus.OPEN)
        distributions = _create_distributions(survey, key, stores, channels, touchpoints, superuser)
        invitations = {}
        if key == "nps_relationship":
            invitations = _save_nps_invitations(generated, distributions, customers)
        past = []
        for response in generated.responses:
            if response.survey != key:
                continue
            customer_pk = customers.get(response.customer_id) if response.customer_id else None
            invitation = invitations.get((response.distribution, customer_pk))
            if response.distribution.startswith("email:") and invitation is None:
                continue  # the customer could not be invited (no consent): no answer either
            distribution = distributions.get(response.distribution)
            store = stores.get(response.store) if response.store else None
            past.append(
                PastResponse(
                    external_id=response.external_id,
                    answers=response.answers,
                    started_at=response.started_at,
                    completed_at=response.completed_at,
                    current_page=response.current_page,
                    customer_pk=customer_pk,
                    distribution_id=distribution.pk if distribution else None,
                    invitation_id=invitation.pk if invitation else None,
                    channel_id=channels[response.channel].pk if response.channel else None,
                    touchpoint_id=(
                        touchpoints[response.touchpoint].pk if response.touchpoint else None
                    ),
                    store_id=store.pk if store else None,
                    staff_id=_served_by(staff_of_store.get(response.store), response.external_id),
                    language=response.language,
                    device_type=response.device_type,
                )
            )
        for batch in chunked(past, BATCH_SIZE):
            responses_created += load_response_history(survey=survey, responses=batch)
    return len(missing), responses_created


def _served_by(staff_pks: list[int] | None, external_id: str) -> int | None:
    """One of the store's staff members for a response, the same on every load: chosen by a
    checksum of the response's id rather than the generator's random numbers, so adding staff
    changed none of the demo's answers or figures."""
    if not staff_pks:
        return None
    return staff_pks[zlib.crc32(external_id.encode()) % len(staff_pks)]


def _create_distributions(survey, key, stores, channels, touchpoints, created_by) -> dict:
    """The demo's ways of reaching people, by the names the survey generator uses. Their names
    are demo content in the chain's language, like its store and product names."""
    made = {}
    if key == "store_visit" or key == "xvoc_supermarket":
        for code, store in stores.items():
            made[f"qr:{code}"] = create_distribution(
                survey=survey,
                kind=DistributionKind.QR,
                store=store,
                channel=channels["store"],
                touchpoint=touchpoints["store_checkout"],
                created_by=created_by,
            )
    elif key == "nps_relationship":
        for wave in range(_nps_wave_count()):
            made[f"email:{wave}"] = create_distribution(
                survey=survey,
                kind=DistributionKind.EMAIL,
                name=f"NPS 季度邮件 · 第 {wave + 1} 波",
                channel=channels["email"],
                touchpoint=touchpoints["email_campaign"],
                options={"expires_days": 30},
                created_by=created_by,
            )
    elif key == "post_purchase_csat":
        made["widget"] = create_distribution(
            survey=survey,
            kind=DistributionKind.WIDGET,
            name="下单后弹窗（网上商城、App、小程序）",
            created_by=created_by,
        )
    elif key == "ces_service_case":
        made["service"] = create_distribution(
            survey=survey,
            kind=DistributionKind.LINK,
            name="服务工单关闭后发送的链接",
            created_by=created_by,
        )
    else:
        made["link"] = create_distribution(
            survey=survey,
            kind=DistributionKind.LINK,
            name="网上商城页脚的匿名链接",
            channel=channels["web"],
            touchpoint=touchpoints["web_browse"],
            created_by=created_by,
        )
    return made


def _nps_wave_count() -> int:
    first = survey_generator.NPS_FIRST_WAVE_DAYS_AGO
    return len(range(first, WINDOW_DAYS, survey_generator.NPS_WAVE_EVERY_DAYS))


def _save_nps_invitations(generated, distributions, customers) -> dict:
    """The email invitations of each NPS wave, by (distribution name, customer pk)."""
    by_wave: dict[str, list[PastInvitation]] = {}
    for invitation in generated.nps_invitations:
        by_wave.setdefault(f"email:{invitation.wave}", []).append(
            PastInvitation(
                customer_pk=customers[invitation.customer_id],
                sent_at=invitation.sent_at,
                language=invitation.language,
                opened_at=invitation.opened_at,
                started_at=invitation.started_at,
                completed_at=invitation.completed_at,
            )
        )
    stored = {}
    for wave, invitations in by_wave.items():
        created = load_invitation_history(distribution=distributions[wave], invitations=invitations)
        for customer_pk, invitation in created.items():
            if invitation.sent_at is not None:
                stored[(wave, customer_pk)] = invitation
    return stored
