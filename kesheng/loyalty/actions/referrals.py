"""Referrals (docs/loyalty.md, "Referrals"): each member's code, a new customer signing up
with it, and the first paid order rewarding both sides once.

Lock order when rewarding: the referral row, then the referrer's code row (serialises the
referrer's cap), then the points accounts (each award locks its own).
"""

import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.commerce.queries import get_order_for_points, get_order_summary
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.core.events import emit
from kesheng.customers.models import Customer, Identity, IdentityKind
from kesheng.loyalty import earning
from kesheng.loyalty.actions.bonuses import award_bonus_points
from kesheng.loyalty.actions.points import _programme_settings
from kesheng.loyalty.models import (
    MemberSignIn,
    Referral,
    ReferralCode,
    ReferralRefusal,
    ReferralState,
)

# No 0/O, 1/I/L: a code read aloud or copied from a poster is typed right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 7  # 31^7 ≈ 27 billion codes


def new_referral_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_referral_code(text: str) -> str:
    """As a person types it: case, spaces and dashes forgiven."""
    return "".join(str(text or "").split()).replace("-", "").upper()[:12]


def get_or_create_referral_code(*, customer_pk: int) -> ReferralCode:
    """The member's referral code, made on first use (a new random code if one clashes).
    Changes nothing when the member has one."""
    existing = ReferralCode.objects.filter(customer_id=customer_pk).first()
    if existing is not None:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(
                    customer_id=customer_pk, code=new_referral_code(), created_at=timezone.now()
                )
        except IntegrityError:
            existing = ReferralCode.objects.filter(customer_id=customer_pk).first()
            if existing is not None:  # made at the same moment by another request
                return existing
    raise RuntimeError("no free referral code after 5 tries")


def record_referral_visit(*, code: str) -> ReferralCode | None:
    """The referral link was opened: the funnel's "shared" goes up by one (F(), no lost
    counts). None for an unknown code."""
    referral_code = ReferralCode.objects.filter(code=normalize_referral_code(code)).first()
    if referral_code is None:
        return None
    ReferralCode.objects.filter(pk=referral_code.pk).update(visits=F("visits") + 1)
    return referral_code


def _self_referral_reason(referrer_pk: int, *, by_phone: bool) -> str:
    """The referrer signed up with their own code. Two profiles never share a phone or an
    email (an identity belongs to one customer; a sign-up with the referrer's phone or email
    resolves to the referrer), so "same phone or email" means the same customer: by phone on
    the member pages (the code went to that phone); through the API by email when the referrer
    has one."""
    if by_phone:
        return ReferralRefusal.SAME_PHONE
    has_email = Identity.objects.filter(customer_id=referrer_pk, kind=IdentityKind.EMAIL).exists()
    return ReferralRefusal.SAME_EMAIL if has_email else ReferralRefusal.SAME_PHONE


def _refusal(
    referrer_pk: int, referee_pk: int, *, device_id: str, is_new: bool, by_phone: bool
) -> str:
    """Why this sign-up may not count as a referral ("" when it may)."""
    if referrer_pk == referee_pk:
        return _self_referral_reason(referrer_pk, by_phone=by_phone)
    if device_id and (
        MemberSignIn.objects.filter(customer_id=referrer_pk, device_id=device_id).exists()
        or Referral.objects.filter(referee_id=referrer_pk, device_id=device_id).exists()
    ):
        return ReferralRefusal.SAME_DEVICE
    if not is_new or get_order_summary(referee_pk)["count"] > 0:
        return ReferralRefusal.NOT_NEW
    if Referral.objects.filter(referee_id=referee_pk).exclude(state=ReferralState.REFUSED).exists():
        return ReferralRefusal.NOT_NEW
    return ""


def record_referral_sign_up(
    *,
    code: str,
    referee_pk: int,
    source: str,
    is_new: bool = True,
    device_id: str = "",
    by_phone: bool = True,
) -> Referral:
    """A customer signed up with a member's referral code (``by_phone``: through the member
    pages' SMS code). Recorded as ``signed_up``, or as
    ``refused`` with its reason: the referrer themself (same phone or email), a device the
    referrer signed in from, or not a new customer (``is_new`` False, orders already, or
    referred before). The same pair again answers the first record. InvalidInput for an
    unknown code. Emits ``loyalty.referral_signed_up``."""
    referral_code = ReferralCode.objects.filter(code=normalize_referral_code(code)).first()
    if referral_code is None:
        raise InvalidInput([FieldError("referral_code", _("no member has this referral code"))])
    referrer_pk = referral_code.customer_id
    existing = Referral.objects.filter(referrer_id=referrer_pk, referee_id=referee_pk).first()
    if existing is not None:
        return existing
    device_id = (device_id or "").strip()[:64]
    reason = _refusal(
        referrer_pk, referee_pk, device_id=device_id, is_new=is_new, by_phone=by_phone
    )
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                referrer_id=referrer_pk,
                referee_id=referee_pk,
                code=referral_code.code,
                state=ReferralState.REFUSED if reason else ReferralState.SIGNED_UP,
                refusal_reason=reason,
                device_id=device_id,
                source=source[:20],
                signed_up_at=timezone.now(),
            )
            emit(
                "loyalty.referral_signed_up",
                {
                    "referral_id": referral.pk,
                    "referrer_pk": referrer_pk,
                    "referee_pk": referee_pk,
                    "state": referral.state,
                    "refusal_reason": reason,
                },
            )
    except IntegrityError:
        # The same pair recorded at the same moment, or the referee referred by another
        # member meanwhile: the first record stands.
        found = Referral.objects.filter(referrer_id=referrer_pk, referee_id=referee_pk).first()
        if found is not None:
            return found
        return record_referral_sign_up(
            code=code,
            referee_pk=referee_pk,
            source=source,
            is_new=False,
            device_id=device_id,
            by_phone=by_phone,
        )
    return referral


def reward_referral_for_order(*, order_id: str) -> Referral | None:
    """The referee's first paid order: the referral becomes ``ordered`` and both sides earn
    the programme's ``referrals`` points (pending until the order's return window closes),
    once. Past the referrer's cap of rewarded referrals in ``period_days`` nobody earns and
    ``refusal_reason`` is ``cap_reached``. None when the order's customer has no open
    referral. Emits ``loyalty.referral_rewarded`` (also when the cap refused it)."""
    order = get_order_for_points(order_id)
    if order is None or not order.is_kept:
        return None
    now = timezone.now()
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update()
            .filter(referee_id=order.customer_pk, state=ReferralState.SIGNED_UP)
            .first()
        )
        if referral is None:
            return None
        ReferralCode.objects.select_for_update().filter(customer_id=referral.referrer_id).first()
        settings = _programme_settings().get("referrals") or {}
        period = settings.get("period_days", 365)
        cap = settings.get("max_rewarded_per_referrer")
        rewarded = Referral.objects.filter(
            referrer_id=referral.referrer_id,
            is_rewarded=True,
            ordered_at__gte=earning.referral_window_start(now, period),
        ).count()
        referral.state = ReferralState.ORDERED
        referral.ordered_at = now
        referral.order_id = order.order_id
        if cap is not None and rewarded >= cap:
            referral.refusal_reason = ReferralRefusal.CAP_REACHED
        else:
            referral.is_rewarded = True
            available_at = order.ordered_at + timedelta(
                days=_programme_settings().get("return_window_days", 7)
            )
            ids = dict(
                Customer.objects.filter(
                    pk__in=[referral.referrer_id, referral.referee_id]
                ).values_list("pk", "customer_id")
            )
            for side, customer_pk, points in (
                ("referee", referral.referee_id, settings.get("referee_points", 0)),
                ("referrer", referral.referrer_id, settings.get("referrer_points", 0)),
            ):
                if not points:
                    continue
                award_bonus_points(
                    customer_pk=customer_pk,
                    customer_id=ids[customer_pk],
                    request_no=f"referral:{referral.pk}:{side}",
                    points=points,
                    reason=f"referral {referral.code} ({side}, order {order.order_id})",
                    available_at=available_at,
                    now=now,
                )
                setattr(referral, f"{side}_points", points)
        referral.save()
        emit(
            "loyalty.referral_rewarded",
            {
                "referral_id": referral.pk,
                "order_id": order.order_id,
                "rewarded": referral.is_rewarded,
                "refusal_reason": referral.refusal_reason,
                "referrer_points": referral.referrer_points,
                "referee_points": referral.referee_points,
            },
        )
    return referral


def reward_referral_after_order(payload: dict) -> None:
    """``order.placed``: reward the referral of the order's customer, if any. Idempotent: a
    second delivery finds the referral no longer open."""
    order_id = payload.get("order_id")
    # One cheap query on every order while no referral waits for its first order.
    if order_id and Referral.objects.filter(state=ReferralState.SIGNED_UP).exists():
        reward_referral_for_order(order_id=order_id)


def merge_referrals(merged_pk: int, surviving_pk: int) -> None:
    """Merge handler of ReferralCode and Referral: the surviving profile keeps its own code
    (or takes the merged one's); referrals move, a pair the survivor already has is dropped,
    and a second open referral of the same person is refused as not new."""
    if ReferralCode.objects.filter(customer_id=surviving_pk).exists():
        ReferralCode.objects.filter(customer_id=merged_pk).delete()
    else:
        ReferralCode.objects.filter(customer_id=merged_pk).update(customer_id=surviving_pk)
    for side, other in (("referee", "referrer"), ("referrer", "referee")):
        kept = set(
            Referral.objects.filter(**{f"{side}_id": surviving_pk}).values_list(
                f"{other}_id", flat=True
            )
        )
        Referral.objects.filter(**{f"{side}_id": merged_pk, f"{other}_id__in": kept}).delete()
    if Referral.objects.filter(referee_id=surviving_pk).exclude(state="refused").exists():
        Referral.objects.filter(referee_id=merged_pk).exclude(state="refused").update(
            state=ReferralState.REFUSED, refusal_reason=ReferralRefusal.NOT_NEW
        )
    Referral.objects.filter(referee_id=merged_pk).update(referee_id=surviving_pk)
    Referral.objects.filter(referrer_id=merged_pk).update(referrer_id=surviving_pk)
