"""The member pages ``/m/`` (docs/loyalty.md, "Member pages"): phone first, zh-Hans and
English, no JavaScript needed.

A member signs in with a code sent by SMS or a personal link; the session then holds their
customer pk under its own key, apart from staff logins (``django.contrib.auth``), so a staff
user is never a member by accident and a member never reaches staff pages. Every page reads
the signed-in member's own data only: no page takes a customer id from the URL.
"""

import contextlib
import hashlib
import io
import secrets
from functools import wraps

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kesheng.core.errors import DomainError, InvalidInput
from kesheng.core.ratelimit import over_rate_limit
from kesheng.customers.models import Customer
from kesheng.loyalty.actions.members import (
    SignInRefused,
    check_phone,
    read_member_link,
    send_sign_in_code,
    verify_sign_in_code,
)
from kesheng.loyalty.actions.points import NotEnoughPoints
from kesheng.loyalty.actions.referrals import (
    get_or_create_referral_code,
    normalize_referral_code,
    record_referral_sign_up,
    record_referral_visit,
)
from kesheng.loyalty.actions.rewards import RewardRefused, redeem_reward
from kesheng.loyalty.member_queries import (
    get_member_home,
    get_member_reward,
    get_referral_code,
    list_member_coupons_for_page,
    list_member_history,
    list_member_rewards,
)
from kesheng.messaging.unsubscribe import public_url

MEMBER_KEY = "kesheng_member_pk"
PHONE_KEY = "kesheng_member_phone"
REFERRAL_KEY = "kesheng_member_referral"
VISITED_KEY = "kesheng_member_visited_codes"
DEVICE_COOKIE = "ks_device"
DEVICE_COOKIE_AGE = 2 * 365 * 24 * 3600
VERIFY_POSTS_PER_MINUTE = 20


def _current_member(request: HttpRequest) -> Customer | None:
    pk = request.session.get(MEMBER_KEY)
    return None if pk is None else Customer.objects.filter(pk=pk).first()


def member_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        member = _current_member(request)
        if member is None:
            return redirect("loyalty_member:sign_in")
        request.member = member  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def _device_id(request: HttpRequest) -> str:
    """The browser's device id (a random cookie set on the first member page it opens)."""
    value = request.COOKIES.get(DEVICE_COOKIE, "")
    if not value or len(value) > 64:
        value = getattr(request, "_new_device_id", "") or secrets.token_urlsafe(18)
        request._new_device_id = value  # type: ignore[attr-defined]
    return value


def _page(request: HttpRequest, template: str, context: dict, *, status: int = 200):
    response = render(
        request,
        f"loyalty/member/{template}",
        {
            "member": getattr(request, "member", None),
            "page": template.removesuffix(".html"),
            **context,
        },
        status=status,
    )
    return _with_device_cookie(request, response)


def _with_device_cookie(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if DEVICE_COOKIE not in request.COOKIES:
        response.set_cookie(
            DEVICE_COOKIE,
            _device_id(request),
            max_age=DEVICE_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def _message(request: HttpRequest, title: str, message: str, *, status: int) -> HttpResponse:
    return _page(request, "message.html", {"title": title, "message": message}, status=status)


def _address_hash(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:24]


def _sign_in(request: HttpRequest, customer: Customer) -> HttpResponse:
    # A new session key on sign-in: a key planted before it is worth nothing after.
    request.session.cycle_key()
    request.session[MEMBER_KEY] = customer.pk
    request.session.pop(PHONE_KEY, None)
    return _with_device_cookie(request, redirect("loyalty_member:home"))


# --- signing in --------------------------------------------------------------------------------


@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    """Phone number -> a code by SMS (or, signed in already, the member's home)."""
    if request.method != "POST" and _current_member(request) is not None:
        return redirect("loyalty_member:home")
    error, phone, has_code = "", "", False
    if request.method == "POST":
        phone = request.POST.get("phone", "").strip()[:40]
        typed_code = normalize_referral_code(request.POST.get("referral_code", ""))
        if over_rate_limit(
            request, scope="member-codes", limit=settings.KESHENG_MEMBER_CODES_PER_IP_PER_MINUTE
        ):
            return _message(
                request,
                _("Too many requests"),
                _("Too many codes were asked for from this network. Try again in a minute."),
                status=429,
            )
        if typed_code and get_referral_code(typed_code) is None:
            return _page(
                request,
                "sign_in.html",
                {
                    "phone": phone,
                    "typed_code": typed_code,
                    "code_error": _("This invitation code is not known."),
                },
                status=422,
            )
        if typed_code:
            request.session[REFERRAL_KEY] = typed_code
        try:
            challenge = send_sign_in_code(phone=phone, address_hash=_address_hash(request))
        except InvalidInput as refused:
            error = refused.errors[0].reason
        except SignInRefused as refused:
            if refused.reason == "too_many":
                return _message(request, _("Too many requests"), refused.message, status=429)
            error = refused.message
            if refused.reason == "too_soon":  # the code of a minute ago is still good
                request.session[PHONE_KEY] = check_phone(phone)
                has_code = True
        else:
            request.session[PHONE_KEY] = challenge.phone
            return redirect("loyalty_member:code")
    referral = request.session.get(REFERRAL_KEY, "")
    return _page(
        request,
        "sign_in.html",
        {"error": error, "phone": phone, "referral_code": referral, "has_code": has_code},
        status=422 if error else 200,
    )


@never_cache
def enter_code(request: HttpRequest) -> HttpResponse:
    """The code from the SMS -> signed in (a new phone signs up, with the referral if any)."""
    phone = request.session.get(PHONE_KEY)
    if not phone:
        return redirect("loyalty_member:sign_in")
    error = ""
    if request.method == "POST":
        if over_rate_limit(request, scope="member-verify", limit=VERIFY_POSTS_PER_MINUTE):
            return _message(
                request,
                _("Too many requests"),
                _("Too many tries from this network. Try again in a minute."),
                status=429,
            )
        device_id = _device_id(request)
        try:
            signed_in = verify_sign_in_code(
                phone=phone, code=request.POST.get("code", "")[:20], device_id=device_id
            )
        except SignInRefused as refused:
            error = refused.message
        else:
            code = request.session.pop(REFERRAL_KEY, "")
            if code:
                # A code gone meanwhile (a merged profile) does not stop the sign-in.
                with contextlib.suppress(InvalidInput):
                    record_referral_sign_up(
                        code=code,
                        referee_pk=signed_in.customer.pk,
                        source="member-pages",
                        is_new=signed_in.created,
                        device_id=device_id,
                    )
            return _sign_in(request, signed_in.customer)
    return _page(
        request,
        "code.html",
        {"error": error, "phone": phone, "minutes": settings.KESHENG_MEMBER_CODE_MINUTES},
        status=422 if error else 200,
    )


@never_cache
def personal_link(request: HttpRequest, token: str) -> HttpResponse:
    customer = read_member_link(token, device_id=_device_id(request))
    if customer is None:
        return _message(
            request,
            _("This link does not work"),
            _("The link has expired or is not complete. Sign in with your phone number instead."),
            status=404,
        )
    return _sign_in(request, customer)


@never_cache
def referral_link(request: HttpRequest, code: str) -> HttpResponse:
    """A member's referral link: counted once per browser session, remembered for the
    sign-in that follows."""
    code = normalize_referral_code(code)
    visited = request.session.get(VISITED_KEY, [])
    found = record_referral_visit(code=code) if code not in visited else get_referral_code(code)
    if found is None:
        return _message(
            request,
            _("Unknown invitation"),
            _("This invitation code is not known. Check the link, or sign in without it."),
            status=404,
        )
    if code not in visited:
        request.session[VISITED_KEY] = [*visited, code][-20:]
    request.session[REFERRAL_KEY] = code
    return _page(
        request, "sign_in.html", {"error": "", "phone": "", "referral_code": code, "invited": True}
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    request.session.pop(MEMBER_KEY, None)
    request.session.cycle_key()
    return redirect("loyalty_member:sign_in")


# --- the member's pages ------------------------------------------------------------------------


@member_required
def home(request: HttpRequest) -> HttpResponse:
    return _page(request, "home.html", {"home": get_member_home(request.member.pk)})


@member_required
def history(request: HttpRequest) -> HttpResponse:
    return _page(request, "history.html", {"transactions": list_member_history(request.member.pk)})


@member_required
def rewards(request: HttpRequest) -> HttpResponse:
    home = get_member_home(request.member.pk)
    return _page(
        request,
        "rewards.html",
        {"rewards": list_member_rewards(), "balance": home.points.balance},
    )


@member_required
def redeem(request: HttpRequest, reward_pk: int) -> HttpResponse:
    """GET: what the reward costs and gives, with a confirm button. POST: redeem it through
    the ledger (the form's one-time request number makes a double tap redeem once)."""
    reward = get_member_reward(reward_pk)
    if reward is None:
        return _message(
            request,
            _("Reward not available"),
            _("This reward cannot be redeemed now."),
            status=404,
        )
    error = ""
    if request.method == "POST":
        request_no = request.POST.get("request_no", "")
        try:
            redemption = redeem_reward(
                customer_id=request.member.customer_id,
                request_no=request_no,
                reward_id=reward.pk,
                created_by=f"member:{request.member.customer_id}"[:150],
            )
        except NotEnoughPoints:
            error = _("Not enough points for this reward.")
        except RewardRefused as refused:
            error = refused.message
        except DomainError:  # a form tampered with (request number), or replayed elsewhere
            error = _("This reward cannot be redeemed now.")
        else:
            return redirect(
                reverse("loyalty_member:coupons") + f"?redeemed={redemption.coupon.code}"
            )
    balance = get_member_home(request.member.pk).points.balance
    return _page(
        request,
        "redeem.html",
        {
            "reward": reward,
            "balance": balance,
            "after": balance - reward.points,
            "error": error,
            "request_no": "m-" + secrets.token_hex(12),
        },
        status=422 if error else 200,
    )


@member_required
def coupons(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "coupons.html",
        {
            "coupons": list_member_coupons_for_page(request.member.pk),
            "redeemed": request.GET.get("redeemed", "")[:32],
        },
    )


def referral_url(code: str) -> str:
    return public_url(reverse("loyalty_member:referral", args=[code]))


@member_required
def invite(request: HttpRequest) -> HttpResponse:
    code = get_or_create_referral_code(customer_pk=request.member.pk)
    url = referral_url(code.code)
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        buffer, kind="svg", scale=6, border=2, xmldecl=False, svgns=True, title=url
    )
    return _page(
        request,
        "invite.html",
        {"code": code.code, "url": url, "qr_svg": buffer.getvalue().decode()},
    )
