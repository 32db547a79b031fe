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


# --- rewards and coupons (docs/loyalty.md, "Rewards and coupons") ------------------------------


class RewardKind(models.TextChoices):
    COUPON_AMOUNT = "coupon_amount", _("coupon: an amount off")
    COUPON_PERCENT = "coupon_percent", _("coupon: a percentage off")
    GIFT = "gift", _("gift")
    POINTS_AS_CASH = "points_as_cash", _("points as cash")


class Reward(LocalizedNameMixin, TimestampedModel):
    """One entry of the rewards catalogue, loaded from the programme file (never deleted once
    loaded: coupons point at it; a reward left out of the file is made inactive).

    ``points`` is its price in points (``cash`` more in CNY for points + cash). A coupon gives
    ``amount`` CNY off or ``percent`` % off an order of at least ``minimum_spend``, for
    ``valid_days`` after it is issued. ``stock`` is how many can ever be redeemed (None:
    unlimited) and ``redeemed`` how many were: raised by one with F() on a row that still has
    stock, so concurrent redemptions never give out more than the stock. Points as cash
    (积分抵现) spend ``points_per_cny`` points per CNY off an order, up to ``max_share`` of it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=RewardKind.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    points = models.PositiveIntegerField(_("points"), default=0)
    cash = models.DecimalField(
        _("cash part (CNY)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    amount = models.DecimalField(
        _("amount off (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    percent = models.DecimalField(
        _("percentage off"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    minimum_spend = models.DecimalField(
        _("minimum spend (CNY)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    valid_days = models.PositiveIntegerField(_("valid for (days)"), default=30)
    per_member_limit = models.PositiveIntegerField(_("limit per member"), null=True, blank=True)
    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True)
    redeemed = models.PositiveIntegerField(_("redeemed"), default=0)
    points_per_cny = models.PositiveIntegerField(_("points per CNY"), null=True, blank=True)
    max_share = models.DecimalField(
        _("largest share of an order"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["-is_active", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stock__isnull=True) | models.Q(redeemed__lte=models.F("stock")),
                name="loyalty_reward_redeemed_within_stock",
            )
        ]

    @property
    def remaining(self) -> int | None:
        return None if self.stock is None else max(self.stock - self.redeemed, 0)


class CouponState(models.TextChoices):
    ISSUED = "issued", _("issued")
    BURNED = "burned", _("used")
    EXPIRED = "expired", pgettext_lazy("coupon", "expired")
    CANCELLED = "cancelled", _("cancelled")


class Coupon(models.Model):
    """What a member got for a reward: a code a POS validates and burns once. What it gives
    (kind, amount, percentage, minimum spend, cash due) is copied from the reward when it is
    issued, so a later programme file does not change a coupon already in a member's hands.
    Points as cash is burned as it is issued (at the till, for the order).
    ``burn_request_no`` (unique) makes the burn idempotent: the same request again answers
    the first result."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="coupons")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="coupons")
    redemption = models.OneToOneField(
        PointsTransaction, on_delete=models.PROTECT, related_name="coupon"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RewardKind.choices)
    amount = models.DecimalField(
        _("amount off (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    percent = models.DecimalField(
        _("percentage off"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    minimum_spend = models.DecimalField(
        _("minimum spend (CNY)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    cash = models.DecimalField(
        _("cash part (CNY)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=CouponState.choices, default=CouponState.ISSUED
    )
    issued_at = models.DateTimeField(_("issued at"))
    valid_until = models.DateTimeField(_("valid until"))
    burned_at = models.DateTimeField(_("used at"), null=True, blank=True)
    burn_request_no = models.CharField(
        _("use request number"), max_length=120, null=True, blank=True, unique=True
    )
    burned_order_id = models.CharField(_("used on order"), max_length=100, blank=True)
    burned_order_amount = models.DecimalField(
        _("order amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    burned_by = models.CharField(_("used by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-issued_at", "-pk"]
        indexes = [
            models.Index(fields=["customer", "-issued_at"], name="loyalty_coupon_customer_idx"),
            models.Index(fields=["reward", "customer"], name="loyalty_coupon_reward_idx"),
            models.Index(
                fields=["valid_until"],
                condition=models.Q(state="issued"),
                name="loyalty_coupon_open_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="burned") | models.Q(burned_at__isnull=False),
                name="loyalty_coupon_burned_has_time",
            )
        ]

    def __str__(self) -> str:
        return self.code

    def state_at(self, now) -> str:
        """The state as of ``now``: an issued coupon past its date is expired even before
        the hourly job has written it."""
        if self.state == CouponState.ISSUED and self.valid_until <= now:
            return CouponState.EXPIRED
        return self.state

    def state_now_label(self) -> str:
        from django.utils import timezone

        return CouponState(self.state_at(timezone.now())).label


# --- campaigns with a control group (docs/loyalty.md, "Campaigns") -----------------------------


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("draft")
    LAUNCHED = "launched", _("launched")


class OfferKind(models.TextChoices):
    POINTS = "points", _("bonus points")
    COUPON = "coupon", _("a coupon")


class CampaignGroup(models.TextChoices):
    TREATMENT = "treatment", _("treatment")
    CONTROL = "control", _("control")


class Campaign(TimestampedModel):
    """An offer and a message to a segment, with a held-out control group to measure the
    effect. ``rules`` are the segment rules (customers' segment machinery) evaluated once, at
    launch, which freezes the audience into ``CampaignMember`` rows. The window is local days
    ``starts_on`` to ``ends_on`` inclusive; results count orders and redemptions inside it."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    segment = models.ForeignKey(
        "customers.Segment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("segment the rules came from"),
    )
    rules = models.JSONField(_("rules"), default=dict)
    starts_on = models.DateField(_("window starts"))
    ends_on = models.DateField(_("window ends"))
    offer_kind = models.CharField(_("offer"), max_length=10, choices=OfferKind.choices)
    bonus_points = models.PositiveIntegerField(_("bonus points"), null=True, blank=True)
    reward = models.ForeignKey(
        Reward,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("coupon reward"),
    )
    channel = models.CharField(_("channel"), max_length=10, default="email")
    subject_zh = models.CharField(_("subject (Chinese)"), max_length=200, blank=True)
    body_zh = models.TextField(_("message (Chinese)"))
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("message (English)"))
    control_share = models.DecimalField(
        _("control share"), max_digits=4, decimal_places=3, default=Decimal("0.100")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    launched_by = models.CharField(_("launched by"), max_length=150, blank=True)
    audience_size = models.PositiveIntegerField(_("audience"), null=True, blank=True)
    treatment_size = models.PositiveIntegerField(_("treatment"), null=True, blank=True)
    control_size = models.PositiveIntegerField(_("control"), null=True, blank=True)
    created_by = models.CharField(_("created by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(control_share__gte=Decimal("0"))
                & models.Q(control_share__lte=Decimal("0.9")),
                name="loyalty_campaign_control_share_range",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="loyalty_campaign_window_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignMember(models.Model):
    """One customer of a launched campaign's frozen audience and the group they were drawn
    into (``draw`` < the control share: control). Treatment members record what they were
    given (the ledger transaction or the coupon) and their message; control members get
    nothing. ``offered_at`` is set once the offer and message were handled."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="campaign_memberships"
    )
    group = models.CharField(_("group"), max_length=10, choices=CampaignGroup.choices)
    draw = models.FloatField(_("draw"))
    offered_at = models.DateTimeField(_("offer given at"), null=True, blank=True)
    points_transaction = models.ForeignKey(
        PointsTransaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    coupon = models.ForeignKey(
        Coupon, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("campaign member")
        verbose_name_plural = _("campaign members")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"], name="loyalty_campaign_member_once"
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "group"], name="loyalty_campaign_group_idx"),
            models.Index(
                fields=["campaign"],
                condition=models.Q(offered_at__isnull=True, group="treatment"),
                name="loyalty_campaign_unoffered_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.customer_id} ({self.group})"


# The member pages and referrals live in their own module; imported here so Django finds them.
from kesheng.loyalty.member_models import (  # noqa: E402, F401
    MemberSignIn,
    MemberSignInCode,
    Referral,
    ReferralCode,
    ReferralRefusal,
    ReferralState,
    SignInMethod,
)
