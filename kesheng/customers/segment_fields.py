"""The customer profile's own segment fields (registered in CustomersConfig.ready): profile
columns, tags, identities and consent. Higher apps register theirs the same way in their own
``segment_fields`` module."""

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import ExtractMonth
from django.utils.translation import gettext_lazy as _

from kesheng.customers.models import Consent, Customer, Gender, Identity, IdentityKind, IncomeBand
from kesheng.customers.segments import (
    BOOLEAN,
    DATE,
    NUMBER,
    TAG,
    TEXT,
    Condition,
    SegmentField,
    day_q,
    moment_q,
    number_q,
    register_segment_field,
    text_q,
)


def _tag_q(condition: Condition) -> Q:
    tagged = Exists(
        Customer.tags.through.objects.filter(customer_id=OuterRef("pk"), tag__name=condition.value)
    )
    return Q(tagged) if condition.op == "has" else ~Q(tagged)


def _identity_q(kind: str) -> Callable[[Condition], Q]:
    def to_q(condition: Condition) -> Q:
        present = Q(Exists(Identity.objects.filter(customer_id=OuterRef("pk"), kind=kind)))
        return present if condition.value else ~present

    return to_q


def _consent_q(channel: str, purpose: str) -> Callable[[Condition], Q]:
    def to_q(condition: Condition) -> Q:
        granted = Q(
            Exists(
                Consent.objects.filter(
                    customer_id=OuterRef("pk"), channel=channel, purpose=purpose, is_granted=True
                )
            )
        )
        return granted if condition.value else ~granted

    return to_q


def _birthday_month_q(condition: Condition) -> Q:
    return Q(birthday__isnull=False) & number_q(ExtractMonth("birthday"), condition)


def _language_q(condition: Condition) -> Q:
    # Stored as the customer sent it ("zh-Hans", "en_US"); compared case-insensitively.
    op, value = condition.op, condition.value
    if op == "eq":
        return Q(attributes__language__iexact=value)
    if op == "ne":
        return ~Q(attributes__language__iexact=value)
    if op == "in":
        combined = Q()
        for item in value:
            combined |= Q(attributes__language__iexact=item)
        return combined
    return Q(attributes__language__icontains=value)


def register_customer_fields() -> None:
    """The fields of the customer profile itself (called from CustomersConfig.ready)."""
    profile = _("Profile")
    contact = _("Contact and consent")
    text_field = [
        ("city", _("city"), "city"),
        ("occupation", _("occupation"), "occupation"),
    ]
    for key, label, column in text_field:
        register_segment_field(
            SegmentField(
                key=key,
                label=label,
                kind=TEXT,
                to_q=lambda condition, column=column: text_q(column, condition),
                group=profile,
            )
        )
    register_segment_field(
        SegmentField(
            key="gender",
            label=_("gender"),
            kind=TEXT,
            ops=("eq", "ne", "in"),
            choices=tuple((value, label) for value, label in Gender.choices if value),
            to_q=lambda condition: text_q("gender", condition),
            group=profile,
        )
    )
    register_segment_field(
        SegmentField(
            key="income_band",
            label=_("income band"),
            kind=TEXT,
            ops=("eq", "ne", "in"),
            choices=tuple((value, label) for value, label in IncomeBand.choices if value),
            to_q=lambda condition: text_q("income_band", condition),
            group=profile,
        )
    )
    register_segment_field(
        SegmentField(
            key="language",
            label=_("language"),
            kind=TEXT,
            to_q=_language_q,
            group=profile,
            help_text=_("The language attribute, e.g. zh-Hans or en."),
        )
    )
    register_segment_field(
        SegmentField(
            key="birthday_month",
            label=_("birthday month"),
            kind=NUMBER,
            minimum=1,
            maximum=12,
            to_q=_birthday_month_q,
            group=profile,
        )
    )
    register_segment_field(
        SegmentField(
            key="birthday",
            label=_("birthday"),
            kind=DATE,
            ops=("before", "after"),
            to_q=lambda condition: day_q("birthday", condition),
            group=profile,
        )
    )
    register_segment_field(
        SegmentField(
            key="created_at",
            label=_("profile created"),
            kind=DATE,
            to_q=lambda condition: moment_q("created_at", condition),
            group=profile,
        )
    )
    register_segment_field(
        SegmentField(
            key="signed_up_at",
            label=_("signed up"),
            kind=DATE,
            to_q=lambda condition: moment_q("signed_up_at", condition),
            group=profile,
        )
    )
    register_segment_field(
        SegmentField(key="tag", label=_("tag"), kind=TAG, to_q=_tag_q, group=profile)
    )
    for key, label, kind in [
        ("has_email", _("has an email address"), IdentityKind.EMAIL),
        ("has_phone", _("has a phone number"), IdentityKind.PHONE),
        ("has_wechat", _("has a WeChat openid"), IdentityKind.WECHAT_OPENID),
    ]:
        register_segment_field(
            SegmentField(key=key, label=label, kind=BOOLEAN, to_q=_identity_q(kind), group=contact)
        )
    for channel, purpose, label in [
        ("email", "surveys", _("consents to surveys by email")),
        ("email", "marketing", _("consents to marketing by email")),
        ("sms", "surveys", _("consents to surveys by SMS")),
        ("sms", "marketing", _("consents to marketing by SMS")),
        ("wechat", "surveys", _("consents to surveys on WeChat")),
        ("wechat", "marketing", _("consents to marketing on WeChat")),
    ]:
        register_segment_field(
            SegmentField(
                key=f"consent.{channel}.{purpose}",
                label=label,
                kind=BOOLEAN,
                to_q=_consent_q(channel, purpose),
                group=contact,
            )
        )
