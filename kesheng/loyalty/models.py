"""The loyalty programme's settings, its tiers, each customer's membership and tier history.

The programme is one row (one deployment serves one business). Tiers are never deleted once
configured, only retired, because tier history points at them for ever.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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


# --- the points ledger (docs/loyalty.md, "Points") ----------------------------------------------


class TransactionKind(models.TextChoices):
    EARN = "earn", _("earned")
    REDEEM = "redeem", _("redeemed")
    EXPIRE = "expire", _("expired")
    ADJUST = "adjust", _("adjusted")
    REVERSE = "reverse", _("reversed")


class PointsAccount(models.Model):
    """A member's points, kept equal to the ledger by the actions that write it, in the same
    transaction and under this row's lock: ``balance`` can be spent (negative: owed, after an
    admin's deduction or a refund of spent points), ``pending`` waits for the return window.
    balance + pending is the sum of the member's ledger; never edited by hand."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="points_account"
    )
    balance = models.BigIntegerField(_("balance"), default=0)
    pending = models.BigIntegerField(pgettext_lazy("points", "pending"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pending__gte=0), name="loyalty_account_pending_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.balance} (+{self.pending})"


class PointsTransaction(models.Model):
    """One change of a member's points, never edited or deleted. ``request_no`` is the
    idempotency key (a caller's request number, or ``order:<id>:earn`` and the like for the
    system's own), unique: the same request twice is applied once. ``balance_after`` and
    ``pending_after`` are the account right after it (the answer repeated to a replay)."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="points_transactions"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=TransactionKind.choices)
    points = models.BigIntegerField(_("points"))
    balance_after = models.BigIntegerField(_("balance after"))
    pending_after = models.BigIntegerField(_("pending after"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    order_id = models.CharField(_("order id"), max_length=100, blank=True)
    order_amount = models.DecimalField(
        _("order amount concerned"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    request_no = models.CharField(_("request number"), max_length=120, unique=True)
    created_by = models.CharField(_("made by"), max_length=150)
    created_at = models.DateTimeField(_("made at"))

    class Meta:
        verbose_name = _("points transaction")
        verbose_name_plural = _("points transactions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="loyalty_txn_customer_idx"),
            models.Index(fields=["order_id", "kind"], name="loyalty_txn_order_idx"),
            models.Index(fields=["kind", "created_at"], name="loyalty_txn_kind_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.points:+d}"


class PointsLot(models.Model):
    """Points earned together (one order, one adjustment): they become spendable at
    ``available_at`` (``is_pending`` until they are released) and expire at ``expires_at``
    (None: never). ``remaining`` is what is left; every change of it is a movement of a
    ledger transaction, so it can be rebuilt from the ledger alone."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="points_lots")
    earned_by = models.OneToOneField(
        PointsTransaction, on_delete=models.CASCADE, related_name="earned_lot"
    )
    points = models.BigIntegerField(_("points"))
    remaining = models.BigIntegerField(_("remaining"))
    is_pending = models.BooleanField(pgettext_lazy("points", "pending"))
    available_at = models.DateTimeField(_("spendable from"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    order_id = models.CharField(_("order id"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        indexes = [
            models.Index(
                fields=["customer", "expires_at"],
                condition=models.Q(remaining__gt=0),
                name="loyalty_lot_open_idx",
            ),
            models.Index(
                fields=["expires_at"],
                condition=models.Q(remaining__gt=0),
                name="loyalty_lot_expiry_idx",
            ),
            models.Index(
                fields=["available_at"],
                condition=models.Q(is_pending=True),
                name="loyalty_lot_pending_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(remaining__gte=0) & models.Q(remaining__lte=models.F("points")),
                name="loyalty_lot_remaining_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(points__gt=0), name="loyalty_lot_points_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.remaining}/{self.points}"


class PointsMovement(models.Model):
    """What one transaction did to one lot (signed points): the lots it touched."""

    transaction = models.ForeignKey(
        PointsTransaction, on_delete=models.CASCADE, related_name="movements"
    )
    lot = models.ForeignKey(PointsLot, on_delete=models.CASCADE, related_name="movements")
    points = models.BigIntegerField(_("points"))

    class Meta:
        verbose_name = _("points movement")
        verbose_name_plural = _("points movements")
        constraints = [
            models.UniqueConstraint(fields=["transaction", "lot"], name="loyalty_movement_once")
        ]
        indexes = [models.Index(fields=["lot"], name="loyalty_movement_lot_idx")]

    def __str__(self) -> str:
        return f"{self.transaction_id} -> {self.lot_id}: {self.points:+d}"
