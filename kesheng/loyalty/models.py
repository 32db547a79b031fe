"""The loyalty programme's settings, its tiers, each customer's membership and tier history.

The programme is one row (one deployment serves one business). Tiers are never deleted once
configured, only retired, because tier history points at them for ever.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from kesheng.core.models import LocalizedNameMixin, TimestampedModel
from kesheng.customers.models import Customer


class Qualification(models.TextChoices):
    SPEND = "spend", _("spend in the last 12 months")
    ORDERS = "orders", _("orders in the last 12 months")
    TIER_POINTS = "tier_points", _("tier points")


class ReviewPeriod(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    YEARLY = "yearly", _("yearly")


class Programme(TimestampedModel):
    """The programme's settings as loaded by ``kesheng loyalty configure``. ``settings`` keeps
    the whole checked file, so keys for later steps (expiry, earn rules, rewards) are kept."""

    qualification = models.CharField(
        _("qualification"), max_length=20, choices=Qualification.choices
    )
    review_period = models.CharField(
        _("review period"), max_length=20, choices=ReviewPeriod.choices
    )
    grace_days = models.PositiveIntegerField(_("grace period (days)"))
    settings = models.JSONField(_("settings"), default=dict)
    source = models.CharField(_("loaded from"), max_length=300, blank=True)
    last_reviewed_at = models.DateTimeField(_("last review"), null=True, blank=True)

    class Meta:
        verbose_name = _("loyalty programme")
        verbose_name_plural = _("loyalty programmes")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="loyalty_programme_single_row")
        ]

    def __str__(self) -> str:
        return str(_("loyalty programme"))


class Tier(LocalizedNameMixin, TimestampedModel):
    """A tier and its privileges; ``position`` 0 is the lowest. Thresholds rise with position
    and are in the programme's qualification unit (CNY spent or orders)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(_("position"))
    threshold = models.DecimalField(_("threshold"), max_digits=14, decimal_places=2)
    points_multiplier = models.DecimalField(
        _("points multiplier"), max_digits=6, decimal_places=2, default=Decimal("1")
    )
    birthday_gift = models.CharField(_("birthday gift"), max_length=200, blank=True)
    free_shipping = models.BooleanField(_("free shipping"), default=False)
    priority_service = models.BooleanField(_("priority service"), default=False)
    is_active = models.BooleanField(_("in the programme"), default=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["-is_active", "position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__gte=Decimal("0")), name="tier_threshold_not_negative"
            )
        ]


class Membership(models.Model):
    """A customer's current tier: one row per customer. ``grace_ends_at`` is set when a review
    found the customer below their tier; they keep it until then (docs/loyalty.md)."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="loyalty_membership"
    )
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="memberships")
    since = models.DateTimeField(_("in this tier since"))
    qualified_value = models.DecimalField(
        _("qualifying value at the last change"), max_digits=14, decimal_places=2
    )
    grace_ends_at = models.DateTimeField(_("grace period ends"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        indexes = [models.Index(fields=["tier"], name="loyalty_membership_tier_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.tier_id}"


class TierChangeReason(models.TextChoices):
    INITIAL = "initial", _("first tier")
    UPGRADE = "upgrade", _("upgrade")
    DOWNGRADE = "downgrade", _("downgrade after the grace period")
    MANUAL = "manual", _("changed by staff")
    MERGE = "merge", _("profiles merged")


class TierChange(models.Model):
    """One change of a customer's tier, never edited: the history of the membership."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=20, choices=TierChangeReason.choices)
    qualifying_value = models.DecimalField(_("qualifying value"), max_digits=14, decimal_places=2)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-changed_at"], name="loyalty_change_customer_idx"),
            models.Index(fields=["changed_at"], name="loyalty_change_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_tier_id} -> {self.to_tier_id}"
