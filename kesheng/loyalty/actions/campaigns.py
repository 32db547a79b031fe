"""Campaigns with a control group (docs/loyalty.md, "Campaigns"): create a draft, launch it
(the audience is frozen and split into treatment and control), give the treatment group the
offer and the message.

The split is reproducible: each member's draw is a hash of the campaign id and the customer
(``campaign_maths.control_draw``), control when below the control share. Launching twice
changes nothing; giving the offer is idempotent per member (the ledger's request number, the
message's idempotency key), so a delivery run interrupted half-way is simply run again.
Every treatment member gets the offer; the message goes only to those whose consent allows
marketing (the others' message is recorded as suppressed). All treatment members are counted
in the results whatever happened to their message: intention to treat.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.core.errors import DomainError, FieldError, InvalidInput, NotFound
from kesheng.core.events import emit
from kesheng.core.ingest import chunked
from kesheng.customers.models import Customer
from kesheng.loyalty.actions.grants import GIFTABLE_KINDS, gift_points, gift_reward_coupon
from kesheng.loyalty.campaign_maths import control_draw, fill_placeholders, is_control
from kesheng.loyalty.member_messages import member_language, reachable_channels, send_member_message
from kesheng.loyalty.models import (
    Campaign,
    CampaignGroup,
    CampaignMember,
    CampaignState,
    OfferKind,
    Reward,
)
from kesheng.messaging.models import MessageChannel, MessagePurpose

logger = logging.getLogger(__name__)

DEFAULT_CONTROL_SHARE = Decimal("0.10")
MAX_CONTROL_SHARE = Decimal("0.9")
MAX_BONUS_POINTS = 1_000_000
DELIVERY_CHUNK = 200
SYSTEM = "campaign"


class CampaignRefused(DomainError):
    """A campaign that cannot be launched (its window is over): 422, nothing changed."""


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _day(value: Any, field: str, errors: list[FieldError]) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.append(FieldError(field, _("must be a date as YYYY-MM-DD")))
        return None


def _text(value: Any, field: str, max_length: int, errors: list[FieldError], required: bool):
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        errors.append(FieldError(field, _("is required")))
    elif len(text) > max_length:
        errors.append(FieldError(field, _("at most %(max)s characters") % {"max": max_length}))
    return text


def _check_fields(values: dict) -> dict:
    """The campaign's fields checked together; InvalidInput names every bad field."""
    from kesheng.customers.segments import validate_rules

    errors: list[FieldError] = []
    out: dict = {
        "name": _text(values.get("name"), "name", 120, errors, True),
        "description": _text(values.get("description"), "description", 2000, errors, False),
        "subject_zh": _text(values.get("subject_zh"), "subject_zh", 200, errors, False),
        "body_zh": _text(values.get("body_zh"), "body_zh", 2000, errors, True),
        "subject_en": _text(values.get("subject_en"), "subject_en", 200, errors, False),
        "body_en": _text(values.get("body_en"), "body_en", 2000, errors, True),
    }
    try:
        out["rules"] = validate_rules(values.get("rules"), path="rules")
    except InvalidInput as error:
        errors.extend(error.errors)
    starts_on = _day(values.get("starts_on"), "starts_on", errors)
    ends_on = _day(values.get("ends_on"), "ends_on", errors)
    if starts_on and ends_on and ends_on < starts_on:
        errors.append(FieldError("ends_on", _("must not be before the start")))
    out["starts_on"], out["ends_on"] = starts_on, ends_on
    channel = values.get("channel") or MessageChannel.EMAIL
    if channel not in MessageChannel.values:
        errors.append(
            FieldError("channel", _("must be one of %(c)s") % {"c": ", ".join(MessageChannel)})
        )
    out["channel"] = channel
    share = values.get("control_share", DEFAULT_CONTROL_SHARE)
    try:
        share = Decimal(str(share))
        if not share.is_finite() or not Decimal("0") <= share <= MAX_CONTROL_SHARE:
            raise InvalidOperation
        out["control_share"] = share.quantize(Decimal("0.001"))
    except (InvalidOperation, ValueError):
        errors.append(FieldError("control_share", _("must be a share from 0 to 0.9")))
    offer = values.get("offer_kind")
    out["offer_kind"], out["bonus_points"], out["reward"] = offer, None, None
    if offer == OfferKind.POINTS:
        points = values.get("bonus_points")
        if isinstance(points, bool) or not isinstance(points, int):
            try:
                points = int(str(points))
            except ValueError:
                points = None
        if points is None or not 1 <= points <= MAX_BONUS_POINTS:
            errors.append(
                FieldError(
                    "bonus_points",
                    _("must be a whole number from 1 to %(max)s") % {"max": MAX_BONUS_POINTS},
                )
            )
        out["bonus_points"] = points
    elif offer == OfferKind.COUPON:
        reward_id = values.get("reward")
        reward = None
        if isinstance(reward_id, Reward):
            reward = reward_id
        elif reward_id not in (None, ""):
            lookup = {"pk": reward_id} if str(reward_id).isdigit() else {"code": str(reward_id)}
            reward = Reward.objects.filter(**lookup).first()
        if reward is None or reward.kind not in GIFTABLE_KINDS:
            errors.append(FieldError("reward", _("choose a coupon or gift of the catalogue")))
        out["reward"] = reward
    else:
        errors.append(
            FieldError("offer_kind", _("must be one of %(c)s") % {"c": ", ".join(OfferKind)})
        )
    if errors:
        raise InvalidInput(errors)
    return out


def create_campaign(*, values: dict, segment=None, created_by: str = "") -> Campaign:
    """Save a draft campaign from ``values`` (name, description, rules, starts_on, ends_on,
    offer_kind, bonus_points or reward, channel, subject_zh, body_zh, subject_en, body_en,
    control_share). Without ``rules``, the ``segment``'s rules are copied. InvalidInput names
    every bad field and nothing is saved. Emits ``loyalty.campaign_created``."""
    values = dict(values)
    if not values.get("rules") and segment is not None:
        values["rules"] = segment.rules
    checked = _check_fields(values)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            segment=segment, created_by=(created_by or "")[:150], **checked
        )
        emit("loyalty.campaign_created", {"campaign_id": campaign.pk, "name": campaign.name})
    return campaign


def update_campaign(*, campaign: Campaign, values: dict, segment=None) -> Campaign:
    """Change a draft campaign (checked as ``create_campaign``); a launched campaign is
    refused (CampaignRefused): its audience and offer are frozen."""
    values = dict(values)
    if not values.get("rules") and segment is not None:
        values["rules"] = segment.rules
    checked = _check_fields(values)
    with transaction.atomic():
        # The row as it is now, locked: a launch in between must not be overwritten.
        current = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if current.state != CampaignState.DRAFT:
            raise CampaignRefused(_("a launched campaign cannot be changed"), field="state")
        for name, value in checked.items():
            setattr(current, name, value)
        current.segment = segment
        current.save()
    return current


@dataclass(frozen=True)
class LaunchResult:
    campaign: Campaign
    launched: bool  # False: it had been launched before, nothing changed

    def as_dict(self) -> dict:
        return {
            "campaign_id": self.campaign.pk,
            "launched": self.launched,
            "audience": self.campaign.audience_size,
            "treatment": self.campaign.treatment_size,
            "control": self.campaign.control_size,
        }


def launch_campaign(
    *, campaign_id: int, launched_by: str, now: datetime | None = None
) -> LaunchResult:
    """Freeze the audience of a draft campaign: its rules are evaluated once, every customer
    they select becomes a member, drawn into control (draw < control share) or treatment.
    After commit the treatment group gets the offer and message (``deliver_campaign_offers``
    as a task). A campaign launched before is returned unchanged (``launched`` False).
    Refused (CampaignRefused) once its window is over. Emits ``loyalty.campaign_launched``."""
    from kesheng.customers.segments import compile_rules

    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            raise NotFound(_("no campaign %(id)s") % {"id": campaign_id}, field="campaign_id")
        if campaign.state == CampaignState.LAUNCHED:
            return LaunchResult(campaign=campaign, launched=False)
        if campaign.ends_on < timezone.localtime(now, _zone()).date():
            raise CampaignRefused(
                _("the campaign's window ended on %(day)s") % {"day": campaign.ends_on},
                field="ends_on",
            )
        audience = list(
            Customer.objects.filter(compile_rules(campaign.rules, now=now))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        share = float(campaign.control_share)
        rows = []
        for customer_pk in audience:
            draw = control_draw(campaign.pk, customer_pk)
            group = CampaignGroup.CONTROL if is_control(draw, share) else CampaignGroup.TREATMENT
            rows.append(
                CampaignMember(campaign=campaign, customer_id=customer_pk, group=group, draw=draw)
            )
        CampaignMember.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        control = sum(1 for row in rows if row.group == CampaignGroup.CONTROL)
        campaign.state = CampaignState.LAUNCHED
        campaign.launched_at = now
        campaign.launched_by = launched_by[:150]
        campaign.audience_size = len(rows)
        campaign.control_size = control
        campaign.treatment_size = len(rows) - control
        campaign.save()
        emit(
            "loyalty.campaign_launched",
            {
                "campaign_id": campaign.pk,
                "audience": len(rows),
                "treatment": len(rows) - control,
                "control": control,
            },
        )
        transaction.on_commit(lambda: _enqueue_delivery(campaign.pk))
    return LaunchResult(campaign=campaign, launched=True)


def _enqueue_delivery(campaign_pk: int) -> None:
    from kesheng.loyalty.tasks import deliver_campaign_task

    try:
        deliver_campaign_task.delay(campaign_pk)
    except Exception:  # broker down: the hourly care run delivers what is left
        logger.exception("could not enqueue the delivery of campaign %s", campaign_pk)


@dataclass
class DeliveryRun:
    offered: int = 0
    refused: int = 0
    messages: int = 0

    def as_dict(self) -> dict:
        return {"offered": self.offered, "refused": self.refused, "messages": self.messages}


def deliver_campaign_offers(*, campaign_id: int, now: datetime | None = None) -> DeliveryRun:
    """Give every treatment member of a launched campaign not yet handled the offer (bonus
    points through the ledger, or the reward's coupon as a gift, request number
    ``campaign.<id>.<customer pk>``) and queue the message in their language (key
    ``loyalty.campaign:<id>:<customer pk>``, consent checked by messaging). Each member in
    their own transaction; a member whose offer is refused (reward out of stock) is marked
    handled without it and counted in ``refused``. Control members get nothing. Running it
    again gives nothing twice."""
    run = DeliveryRun()
    campaign = Campaign.objects.select_related("reward").filter(pk=campaign_id).first()
    if campaign is None or campaign.state != CampaignState.LAUNCHED:
        return run
    pending = list(
        CampaignMember.objects.filter(
            campaign=campaign, group=CampaignGroup.TREATMENT, offered_at__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    channels = [campaign.channel] + [c for c in MessageChannel.values if c != campaign.channel]
    for chunk in chunked(pending, DELIVERY_CHUNK):
        members = list(CampaignMember.objects.select_related("customer").filter(pk__in=chunk))
        reachable = reachable_channels(
            [member.customer_id for member in members], channels, MessagePurpose.MARKETING
        )
        for member in members:
            _deliver_one(campaign, member, reachable[member.customer_id], now, run)
    return run


def _deliver_one(
    campaign: Campaign, member: CampaignMember, channel: str, now, run: DeliveryRun
) -> None:
    customer = member.customer
    request_no = f"campaign.{campaign.pk}.{customer.pk}"
    reason = _("campaign %(name)s") % {"name": campaign.name}
    placeholders = {
        "name": customer.name,
        "campaign": campaign.name,
        "points": str(campaign.bonus_points or ""),
        "reward": "",
        "coupon_code": "",
        "ends_on": campaign.ends_on.isoformat(),
    }
    with transaction.atomic():
        locked = CampaignMember.objects.select_for_update().get(pk=member.pk)
        if locked.offered_at is not None:
            return
        try:
            if campaign.offer_kind == OfferKind.POINTS:
                result = gift_points(
                    customer_id=customer.customer_id,
                    request_no=request_no,
                    points=campaign.bonus_points or 0,
                    reason=str(reason),
                    created_by=SYSTEM,
                    now=now,
                )
                locked.points_transaction_id = result.transaction_id
            else:
                gifted = gift_reward_coupon(
                    customer_pk=customer.pk,
                    reward_id=campaign.reward_id,
                    request_no=request_no,
                    reason=str(reason),
                    created_by=SYSTEM,
                    now=now,
                )
                locked.coupon = gifted.coupon
                placeholders["coupon_code"] = gifted.coupon.code
                placeholders["reward"] = (
                    gifted.coupon.reward.name_en
                    if member_language(customer) == "en"
                    else gifted.coupon.reward.name_zh
                )
        except DomainError as error:
            logger.warning("campaign %s: no offer for %s: %s", campaign.pk, customer.pk, error)
            locked.offered_at = now or timezone.now()
            locked.save(update_fields=["offered_at"])
            run.refused += 1
            return
        language = member_language(customer)
        english = language == "en"
        message = send_member_message(
            customer=customer,
            channel=channel,
            purpose=MessagePurpose.MARKETING,
            subject=fill_placeholders(
                (campaign.subject_en if english else campaign.subject_zh) or campaign.name,
                placeholders,
            ),
            body_text=fill_placeholders(
                campaign.body_en if english else campaign.body_zh, placeholders
            ),
            language=language,
            idempotency_key=f"loyalty.campaign:{campaign.pk}:{customer.pk}",
            reference=f"loyalty.campaign:{campaign.pk}",
            now=now,
        )
        locked.message = message
        locked.offered_at = now or timezone.now()
        locked.save(update_fields=["offered_at", "points_transaction", "coupon", "message"])
        run.offered += 1
        run.messages += 1


def deliver_pending_campaigns(*, now: datetime | None = None) -> int:
    """Finish the delivery of every launched campaign with treatment members not yet handled
    (a delivery task lost with its broker); how many members were handled."""
    campaign_pks = (
        CampaignMember.objects.filter(group=CampaignGroup.TREATMENT, offered_at__isnull=True)
        .values_list("campaign_id", flat=True)
        .distinct()
    )
    handled = 0
    for campaign_pk in list(campaign_pks):
        run = deliver_campaign_offers(campaign_id=campaign_pk, now=now)
        handled += run.offered + run.refused
    return handled


def merge_campaign_members(merged_pk: int, surviving_pk: int) -> None:
    """Merge handler: the merged profile's campaign memberships move to the surviving one,
    except in campaigns where the survivor is a member already (their own draw stands)."""
    taken = CampaignMember.objects.filter(customer_id=surviving_pk).values("campaign_id")
    CampaignMember.objects.filter(customer_id=merged_pk, campaign_id__in=taken).delete()
    CampaignMember.objects.filter(customer_id=merged_pk).update(customer_id=surviving_pk)
