"""Customer profiles, their identities, consent and tags."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kesheng.core.models import TimestampedModel


class Gender(models.TextChoices):
    FEMALE = "female", _("female")
    MALE = "male", _("male")
    OTHER = "other", _("other")
    UNKNOWN = "", _("unknown")


class IncomeBand(models.TextChoices):
    UNKNOWN = "", _("unknown")
    LOW = "low", _("under 5,000 CNY a month")
    LOWER_MIDDLE = "lower_middle", _("5,000–10,000 CNY a month")
    UPPER_MIDDLE = "upper_middle", _("10,000–20,000 CNY a month")
    HIGH = "high", _("20,000–50,000 CNY a month")
    VERY_HIGH = "very_high", _("over 50,000 CNY a month")


class Customer(TimestampedModel):
    """One person, whichever channels they came through.

    ``customer_id`` is the public id that API callers and import files use; when profiles merge,
    the merged profile's id stays resolvable through its ``customer_id`` identity.
    """

    customer_id = models.CharField(_("customer id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    gender = models.CharField(
        _("gender"), max_length=10, choices=Gender.choices, blank=True, default=""
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True, db_index=True)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    income_band = models.CharField(
        _("income band"), max_length=20, choices=IncomeBand.choices, blank=True, default=""
    )
    signed_up_at = models.DateTimeField(_("signed up at"), null=True, blank=True)
    attributes = models.JSONField(_("other attributes"), default=dict, blank=True)
    tags = models.ManyToManyField("Tag", related_name="customers", blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name or self.customer_id


class IdentityKind(models.TextChoices):
    CUSTOMER_ID = "customer_id", _("customer id")
    EMAIL = "email", _("email")
    PHONE = "phone", _("phone")
    WECHAT_OPENID = "wechat_openid", _("WeChat openid")
    WECHAT_UNIONID = "wechat_unionid", _("WeChat unionid")
    EXTERNAL = "external", _("external id")


class Identity(models.Model):
    """A key that points at exactly one customer (unique per kind and normalised value)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=20, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=200)
    source = models.CharField(_("source"), max_length=50, blank=True)
    first_seen_at = models.DateTimeField(_("first seen at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen at"), auto_now=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_kind_value")
        ]
        ordering = ["kind", "-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class ConsentChannel(models.TextChoices):
    EMAIL = "email", _("email")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    PHONE = "phone", _("phone call")
    APP_PUSH = "app_push", _("app push")


class ConsentPurpose(models.TextChoices):
    SURVEYS = "surveys", _("surveys")
    MARKETING = "marketing", _("marketing")
    SERVICE = "service", _("service messages")
    ANALYTICS = "analytics", _("analytics and profiling")


class Consent(models.Model):
    """The latest consent decision for one channel and purpose, with where it came from."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=20, choices=ConsentChannel.choices)
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    is_granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=50, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "channel", "purpose"], name="consent_unique_per_channel"
            )
        ]
        ordering = ["channel", "purpose"]

    def __str__(self) -> str:
        return f"{self.channel}/{self.purpose}: {'yes' if self.is_granted else 'no'}"


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerMerge(models.Model):
    """The record of two profiles found to be one person; the merged profile's data moved."""

    surviving_customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="merges"
    )
    merged_customer_id = models.CharField(_("merged customer id"), max_length=64)
    merged_profile = models.JSONField(_("merged profile"), default=dict)
    reason = models.CharField(_("reason"), max_length=200)
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.merged_customer_id} -> {self.surviving_customer_id}"


class Segment(TimestampedModel):
    """A rule-based group of customers (docs/segments.md). Membership is never stored: it is
    computed from ``rules`` when asked; ``member_count`` is the last count, kept for lists."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    rules = models.JSONField(_("rules"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    member_count = models.PositiveIntegerField(_("members when counted"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
