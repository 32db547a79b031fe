"""Care messages (docs/loyalty.md, "Care messages"): birthday greetings with the tier's gift,
holiday greetings from the programme's calendar, a word when the tier changes and a reminder
before points expire — each through ``messaging``, in the member's language, sent once per
occasion (the message's idempotency key names the occasion), only to members whose consent
allows it (birthday and holidays are marketing; tier changes and expiring points are service
messages about the member's account).

The hourly beat job ``loyalty-care-messages`` runs ``run_care_messages``; greetings of the
day go out from the programme's ``care.send_hour`` (local time), and a run later the same day
finds them sent. The tier-change message answers the ``loyalty.tier_changed`` event. Nothing
is sent without a ``care`` key in the programme file.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q, Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation

from kesheng.core.errors import DomainError
from kesheng.core.ingest import chunked
from kesheng.customers.models import Customer
from kesheng.loyalty.actions.grants import gift_points, gift_reward_coupon
from kesheng.loyalty.campaign_maths import birthday_days, holidays_to_greet
from kesheng.loyalty.member_messages import (
    consenting_channels,
    member_language,
    send_member_message,
)
from kesheng.loyalty.models import Membership, PointsLot, Programme, Tier
from kesheng.messaging.models import Message, MessagePurpose

logger = logging.getLogger(__name__)

CHUNK = 500
SYSTEM = "care"


def care_settings() -> dict | None:
    """The programme's ``care`` settings (defaults filled in), None when care is off."""
    programme = Programme.objects.filter(pk=1).only("settings").first()
    if programme is None:
        return None
    return programme.settings.get("care") or None


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def render_care_message(kind: str, language: str, context: dict) -> tuple[str, str]:
    """(subject, body) of a care message from ``loyalty/care/<kind>.<language>.txt``: its
    first line is the subject, the rest the body."""
    with translation.override(language):
        text = render_to_string(f"loyalty/care/{kind}.{language}.txt", context)
    subject, _separator, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


@dataclass
class CareRun:
    birthday: int = 0
    birthday_gifts: int = 0
    holiday: int = 0
    points_expiry: int = 0
    campaign_offers: int = 0
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "birthday": self.birthday,
            "birthday_gifts": self.birthday_gifts,
            "holiday": self.holiday,
            "points_expiry": self.points_expiry,
            "campaign_offers": self.campaign_offers,
            "skipped": self.skipped,
        }


def _new_keys(keys_by_pk: dict[int, str]) -> dict[int, str]:
    """The entries whose message was not written yet (one query per chunk)."""
    written: set[str] = set()
    for chunk in chunked(list(keys_by_pk.values()), 900):
        written.update(
            Message.objects.filter(idempotency_key__in=chunk).values_list(
                "idempotency_key", flat=True
            )
        )
    return {pk: key for pk, key in keys_by_pk.items() if key not in written}


def _send(
    customer: Customer, *, kind: str, key: str, channel: str, purpose: str, context: dict, now
) -> None:
    language = member_language(customer)
    subject, body = render_care_message(kind, language, {"customer": customer, **context})
    send_member_message(
        customer=customer,
        channel=channel,
        purpose=purpose,
        subject=subject,
        body_text=body,
        language=language,
        idempotency_key=key,
        reference=f"loyalty.care:{kind}",
        now=now,
    )


# --- birthdays ---------------------------------------------------------------------------------


def send_birthday_greetings(*, now: datetime | None = None) -> tuple[int, int]:
    """Greet the members whose birthday is today (local; 29 February on the 28th in other
    years), once a year each, with their tier's gift: the gift configured for the tier in
    ``care.birthday.gifts`` (a reward's coupon or bonus points, request number
    ``care.birthday.<year>.<customer pk>``) issued with the message, and the tier's
    ``birthday_gift`` text in it. Only members whose consent allows marketing are greeted
    (and given the configured gift). Returns (greetings, gifts)."""
    care = care_settings()
    now = now or timezone.now()
    if not care or care.get("birthday") is False:
        return 0, 0
    today = timezone.localtime(now, _zone()).date()
    if timezone.localtime(now, _zone()).hour < care["send_hour"]:
        return 0, 0
    days = Q()
    for month, day in birthday_days(today):
        days |= Q(customer__birthday__month=month, customer__birthday__day=day)
    customer_pks = list(Membership.objects.filter(days).values_list("customer_id", flat=True))
    gifts_by_tier = care["birthday"].get("gifts", {})
    greeted = gifted = 0
    for chunk in chunked(customer_pks, CHUNK):
        keys = _new_keys({pk: f"loyalty.care.birthday:{today.year}:{pk}" for pk in chunk})
        if not keys:
            continue
        channels = consenting_channels(list(keys), care["channels"], MessagePurpose.MARKETING)
        memberships = Membership.objects.select_related("customer", "tier").filter(
            customer_id__in=list(channels)
        )
        for membership in memberships:
            customer = membership.customer
            gift = gifts_by_tier.get(membership.tier.code)
            context: dict = {"tier": membership.tier, "gift_text": membership.tier.birthday_gift}
            request_no = f"care.birthday.{today.year}.{customer.pk}"
            with transaction.atomic():
                try:
                    if gift and "reward" in gift:
                        coupon = gift_reward_coupon(
                            customer_pk=customer.pk,
                            reward_id=gift["reward"],
                            request_no=request_no,
                            reason="birthday gift",
                            created_by=SYSTEM,
                            now=now,
                        ).coupon
                        context["coupon"] = coupon
                        gifted += 1
                    elif gift and "points" in gift:
                        gift_points(
                            customer_id=customer.customer_id,
                            request_no=request_no,
                            points=gift["points"],
                            reason="birthday gift",
                            created_by=SYSTEM,
                            now=now,
                        )
                        context["points"] = gift["points"]
                        gifted += 1
                except DomainError as error:  # out of stock: greet without it
                    logger.warning("no birthday gift for %s: %s", customer.pk, error)
                _send(
                    customer,
                    kind="birthday",
                    key=keys[customer.pk],
                    channel=channels[customer.pk],
                    purpose=MessagePurpose.MARKETING,
                    context=context,
                    now=now,
                )
                greeted += 1
    return greeted, gifted


# --- holidays ----------------------------------------------------------------------------------


def send_holiday_greetings(*, now: datetime | None = None) -> int:
    """Greet every member whose consent allows marketing on the holidays of the programme's
    calendar that fall ``care.holidays.days_before`` days from today (local), once per
    holiday (key ``loyalty.care.holiday:<code>:<date>:<customer pk>``)."""
    care = care_settings()
    now = now or timezone.now()
    if not care or care.get("holidays") is False:
        return 0
    local = timezone.localtime(now, _zone())
    if local.hour < care["send_hour"]:
        return 0
    holidays = holidays_to_greet(
        care["holidays"]["calendar"], local.date(), care["holidays"]["days_before"]
    )
    sent = 0
    for holiday in holidays:
        customer_pks = list(
            Membership.objects.order_by("customer_id").values_list("customer_id", flat=True)
        )
        for chunk in chunked(customer_pks, CHUNK):
            keys = _new_keys(
                {
                    pk: f"loyalty.care.holiday:{holiday.code}:{holiday.day.isoformat()}:{pk}"
                    for pk in chunk
                }
            )
            if not keys:
                continue
            channels = consenting_channels(list(keys), care["channels"], MessagePurpose.MARKETING)
            for customer in Customer.objects.filter(pk__in=list(channels)):
                _send(
                    customer,
                    kind="holiday",
                    key=keys[customer.pk],
                    channel=channels[customer.pk],
                    purpose=MessagePurpose.MARKETING,
                    context={"holiday": holiday},
                    now=now,
                )
                sent += 1
    return sent


# --- points about to expire --------------------------------------------------------------------


def send_expiry_reminders(*, now: datetime | None = None) -> int:
    """Remind each member whose points expire within ``care.points_expiry.days_before`` days
    how many and when (the soonest expiry date; the count is every point expiring in that
    time), once per member and expiry date (key ``loyalty.care.expiry:<customer pk>:<date>``).
    A service message. The points are summed per member in the database."""
    care = care_settings()
    now = now or timezone.now()
    if not care or care.get("points_expiry") is False:
        return 0
    horizon = now + timedelta(days=care["points_expiry"]["days_before"])
    rows = list(
        PointsLot.objects.filter(remaining__gt=0, expires_at__gt=now, expires_at__lte=horizon)
        .order_by()
        .values("customer_id")
        .annotate(points=Sum("remaining"), first=Min("expires_at"))
        .values_list("customer_id", "points", "first")
    )
    zone = _zone()
    expiring = {pk: (points, first) for pk, points, first in rows}
    sent = 0
    for chunk in chunked(sorted(expiring), CHUNK):
        keys = _new_keys(
            {
                pk: f"loyalty.care.expiry:{pk}:{timezone.localtime(expiring[pk][1], zone).date()}"
                for pk in chunk
            }
        )
        if not keys:
            continue
        channels = consenting_channels(list(keys), care["channels"], MessagePurpose.SERVICE)
        for customer in Customer.objects.filter(pk__in=list(channels)):
            points, first = expiring[customer.pk]
            _send(
                customer,
                kind="points_expiry",
                key=keys[customer.pk],
                channel=channels[customer.pk],
                purpose=MessagePurpose.SERVICE,
                context={"points": points, "expires_on": timezone.localtime(first, zone).date()},
                now=now,
            )
            sent += 1
    return sent


# --- tier changes ------------------------------------------------------------------------------

TOLD_REASONS = ("upgrade", "downgrade")


def tell_tier_change(payload: dict) -> None:
    """``loyalty.tier_changed``: tell the member about an upgrade or a downgrade (a service
    message, once per change: key ``loyalty.care.tier:<customer pk>:<tier>:<changed_at>``).
    First tiers and merges are not told."""
    care = care_settings()
    if not care or care.get("tier_change") is False:
        return
    if payload.get("reason") not in TOLD_REASONS:
        return
    customer = Customer.objects.filter(pk=payload.get("customer_pk")).first()
    tier = Tier.objects.filter(code=payload.get("to_tier")).first()
    if customer is None or tier is None:
        return
    key = f"loyalty.care.tier:{customer.pk}:{tier.code}:{payload.get('changed_at')}"[:200]
    channel = consenting_channels([customer.pk], care["channels"], MessagePurpose.SERVICE).get(
        customer.pk
    )
    if channel is None:  # no address or no consent on any channel: nothing to send
        return
    previous = Tier.objects.filter(code=payload.get("from_tier")).first()
    _send(
        customer,
        kind="tier_change",
        key=key,
        channel=channel,
        purpose=MessagePurpose.SERVICE,
        context={
            "tier": tier,
            "previous": previous,
            "upgrade": payload.get("reason") == "upgrade",
        },
        now=None,
    )


# --- the hourly run ----------------------------------------------------------------------------


def run_care_messages(*, now: datetime | None = None) -> CareRun:
    """Everything the hourly job does: birthday and holiday greetings of the day, reminders
    of expiring points, and the offers of launched campaigns still to deliver."""
    from kesheng.loyalty.actions.campaigns import deliver_pending_campaigns

    now = now or timezone.now()
    run = CareRun()
    run.birthday, run.birthday_gifts = send_birthday_greetings(now=now)
    run.holiday = send_holiday_greetings(now=now)
    run.points_expiry = send_expiry_reminders(now=now)
    run.campaign_offers = deliver_pending_campaigns(now=now)
    return run
