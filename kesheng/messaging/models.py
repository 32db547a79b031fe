"""The outbox: one row per message to one customer on one channel.

A message is written (queued) in the transaction of whatever caused it and sent afterwards by a
task, so a crash loses nothing and a retry never sends twice (``idempotency_key`` is unique).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kesheng.customers.models import Customer


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("email")
    SMS = "sms", _("SMS")


class MessagePurpose(models.TextChoices):
    """Why a message is sent; the consent checked is the one for this purpose (and channel)."""

    SURVEYS = "surveys", _("surveys")
    MARKETING = "marketing", _("marketing")
    SERVICE = "service", _("service messages")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    SUPPRESSED = "suppressed", _("suppressed: no consent")


class Message(models.Model):
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="messages", verbose_name=_("customer")
    )
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=MessagePurpose.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    error = models.CharField(_("error"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Who asked for the message, as "app.thing:id" (e.g. "surveys.invitation:42"): the sending
    # app finds its row again from the message.* events without messaging knowing about it.
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="message_status_idx"),
            models.Index(fields=["customer", "created_at"], name="message_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient or self.customer_id}: {self.subject}"
