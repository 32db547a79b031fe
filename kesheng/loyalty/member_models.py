"""Models of the member pages and referrals (docs/loyalty.md, "Member pages", "Referrals").

Kept beside ``models.py`` (which imports them) so the member pages and the rest of the
programme grow without touching the same lines.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kesheng.customers.models import Customer


class MemberSignInCode(models.Model):
    """A one-time sign-in code sent by SMS to ``phone`` (E.164). Only its keyed hash is
    stored; it dies at ``expires_at``, once used, or after too many wrong tries."""

    phone = models.CharField(_("phone"), max_length=32)
    code_hash = models.CharField(_("code hash"), max_length=64)
    attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    address_hash = models.CharField(_("sender address (hashed)"), max_length=24, blank=True)

    class Meta:
        verbose_name = _("member sign-in code")
        verbose_name_plural = _("member sign-in codes")
        indexes = [
            models.Index(fields=["phone", "-created_at"], name="loyalty_signin_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} {self.created_at:%Y-%m-%d %H:%M}"


class SignInMethod(models.TextChoices):
    CODE = "code", _("code by SMS")
    LINK = "link", _("personal link")


class MemberSignIn(models.Model):
    """One sign-in on the member pages, with the browser's device id (a random cookie):
    what the self-referral check compares."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(_("method"), max_length=10, choices=SignInMethod.choices)
    device_id = models.CharField(_("device id"), max_length=64, blank=True)
    signed_in_at = models.DateTimeField(_("signed in at"))

    class Meta:
        verbose_name = _("member sign-in")
        verbose_name_plural = _("member sign-ins")
        indexes = [
            models.Index(fields=["customer", "device_id"], name="loyalty_signin_device_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.method} {self.signed_in_at:%Y-%m-%d %H:%M}"


class ReferralCode(models.Model):
    """A member's referral code (short, unambiguous characters), and how many times its
    link was opened (the funnel's "shared")."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="referral_code"
    )
    code = models.CharField(_("referral code"), max_length=12, unique=True)
    visits = models.PositiveIntegerField(_("link opened"), default=0)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")

    def __str__(self) -> str:
        return self.code


class ReferralState(models.TextChoices):
    SIGNED_UP = "signed_up", _("signed up")
    ORDERED = "ordered", _("ordered")
    REFUSED = "refused", _("refused")


class ReferralRefusal(models.TextChoices):
    SAME_PHONE = "same_phone", _("self-referral: same phone")
    SAME_EMAIL = "same_email", _("self-referral: same email")
    SAME_DEVICE = "same_device", _("self-referral: same device")
    NOT_NEW = "not_new", _("not a new customer")
    CAP_REACHED = "cap_reached", _("the referrer's cap of rewarded referrals is reached")


class Referral(models.Model):
    """A customer brought by a member's code: signed up, then ordered (both rewarded once,
    unless the referrer's cap was reached: ``refusal_reason`` says so). A refused sign-up
    (self-referral, not a new customer) is kept with its reason. A customer is referred
    (not refused) at most once."""

    referrer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="referrals_made")
    referee = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="referrals")
    code = models.CharField(_("referral code"), max_length=12)
    state = models.CharField(_("state"), max_length=12, choices=ReferralState.choices)
    refusal_reason = models.CharField(
        _("refusal reason"), max_length=20, choices=ReferralRefusal.choices, blank=True
    )
    device_id = models.CharField(_("device id"), max_length=64, blank=True)
    source = models.CharField(_("source"), max_length=20, blank=True)
    signed_up_at = models.DateTimeField(_("signed up at"))
    ordered_at = models.DateTimeField(_("ordered at"), null=True, blank=True)
    order_id = models.CharField(_("first order"), max_length=100, blank=True)
    is_rewarded = models.BooleanField(_("rewarded"), default=False)
    referrer_points = models.PositiveIntegerField(_("points to the referrer"), default=0)
    referee_points = models.PositiveIntegerField(_("points to the new customer"), default=0)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-signed_up_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["referrer", "referee"], name="loyalty_referral_once_per_pair"
            ),
            models.UniqueConstraint(
                fields=["referee"],
                condition=~Q(state="refused"),
                name="loyalty_referral_referee_once",
            ),
        ]
        indexes = [
            models.Index(fields=["referrer", "state"], name="loyalty_referral_referrer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.referrer_id} -> {self.referee_id}: {self.state}"
