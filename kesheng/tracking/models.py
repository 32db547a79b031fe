"""Channels, touchpoints along the customer journey, and the events that happen at them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kesheng.core.models import LocalizedNameMixin
from kesheng.customers.models import Customer


class ChannelKind(models.TextChoices):
    ONLINE = "online", _("online")
    OFFLINE = "offline", _("offline")


class Channel(LocalizedNameMixin):
    """Where a customer meets the business: store, web shop, app, WeChat, call centre ..."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ChannelKind.choices)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["sort_order", "code"]


class JourneyStage(models.TextChoices):
    AWARENESS = "awareness", _("awareness")
    CONSIDERATION = "consideration", _("consideration")
    PURCHASE = "purchase", _("purchase")
    DELIVERY = "delivery", _("delivery and pickup")
    USAGE = "usage", _("use and service")
    LOYALTY = "loyalty", _("loyalty and advocacy")
    UNASSIGNED = "unassigned", _("unassigned")


JOURNEY_STAGE_ORDER = [stage.value for stage in JourneyStage]


class Touchpoint(LocalizedNameMixin):
    """A moment of contact on one channel, placed at a stage of the customer journey."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="touchpoints")
    journey_stage = models.CharField(
        _("journey stage"),
        max_length=20,
        choices=JourneyStage.choices,
        default=JourneyStage.UNASSIGNED,
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        ordering = ["sort_order", "code"]


class Event(models.Model):
    """Something a customer did or met at a touchpoint. Append-only; idempotent on event_id."""

    event_id = models.CharField(_("event id"), max_length=100, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="events")
    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.PROTECT, related_name="events", null=True, blank=True
    )
    type = models.CharField(_("type"), max_length=60)
    occurred_at = models.DateTimeField(_("occurred at"))
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="event_customer_time_idx"),
            models.Index(fields=["touchpoint", "occurred_at"], name="event_touchpoint_time_idx"),
            models.Index(fields=["occurred_at"], name="event_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
