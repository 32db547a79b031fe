"""State changes of customer profiles: upsert through identity resolution, merge, consent, tags."""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from kesheng.core.errors import FieldError, InvalidInput, NotFound
from kesheng.core.events import emit
from kesheng.customers.contributions import merge_handlers
from kesheng.customers.identity import normalize_identity
from kesheng.customers.models import (
    Consent,
    ConsentChannel,
    ConsentPurpose,
    Customer,
    CustomerMerge,
    Gender,
    Identity,
    IdentityKind,
    IncomeBand,
    Segment,
    Tag,
)

logger = logging.getLogger(__name__)

PROFILE_FIELDS = (
    "name",
    "gender",
    "birthday",
    "city",
    "occupation",
    "income_band",
    "signed_up_at",
)

# Built once: a Django enum's ``.values`` makes a new list on every access, and these are
# checked for every row of an import.
GENDER_VALUES = frozenset(Gender.values)
INCOME_BAND_VALUES = frozenset(IncomeBand.values)
CONSENT_CHANNEL_VALUES = frozenset(ConsentChannel.values)
CONSENT_PURPOSE_VALUES = frozenset(ConsentPurpose.values)
EARLIEST_BIRTHDAY = date(1900, 1, 1)


@dataclass
class CustomerRecord:
    """What a source knows about one person. Every field is optional but one identity.

    ``external_ids`` holds ids from other systems as "system:id" strings (e.g. "pos:88812").
    ``consents`` maps "channel:purpose" to granted (True) or refused (False).
    """

    customer_id: str | None = None
    email: str | None = None
    phone: str | None = None
    wechat_openid: str | None = None
    wechat_unionid: str | None = None
    external_ids: list[str] = field(default_factory=list)
    name: str | None = None
    gender: str | None = None
    birthday: date | None = None
    city: str | None = None
    occupation: str | None = None
    income_band: str | None = None
    signed_up_at: datetime | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    consents: dict[str, bool] = field(default_factory=dict)
    source: str = ""


@dataclass
class UpsertResult:
    customer: Customer
    created: bool
    changed: bool
    merged_customer_ids: list[str] = field(default_factory=list)


def normalized_identities(record: CustomerRecord) -> list[tuple[str, str]]:
    """The record's identities as (kind, normalised value); raises InvalidInput naming the field."""
    raw: list[tuple[str, str, str]] = []
    for kind in ("customer_id", "email", "phone", "wechat_openid", "wechat_unionid"):
        value = getattr(record, kind)
        if value not in (None, ""):
            raw.append((kind, kind, value))
    for external_id in record.external_ids:
        raw.append(("external", "external_ids", external_id))
    errors: list[FieldError] = []
    identities: list[tuple[str, str]] = []
    for kind, field_name, value in raw:
        try:
            identities.append((kind, normalize_identity(kind, value)))
        except ValueError as error:
            errors.append(FieldError(field_name, str(error)))
    if errors:
        raise InvalidInput(errors)
    if not identities:
        raise InvalidInput(
            [
                FieldError(
                    "customer_id",
                    "a customer needs at least one of customer_id, email, phone, wechat_openid",
                )
            ]
        )
    return identities


def validate_profile(record: CustomerRecord) -> None:
    """Raise InvalidInput for choice fields and consents outside their allowed values, and
    for a birthday that no living customer can have."""
    errors: list[FieldError] = []
    if isinstance(record.birthday, date) and not (
        EARLIEST_BIRTHDAY <= record.birthday <= timezone.localdate()
    ):
        errors.append(
            FieldError(
                "birthday",
                f"{record.birthday.isoformat()} is not between "
                f"{EARLIEST_BIRTHDAY.isoformat()} and today",
            )
        )
    if record.gender not in (None, "") and record.gender not in GENDER_VALUES:
        errors.append(FieldError("gender", f"must be one of {', '.join(Gender.values[:-1])}"))
    if record.income_band not in (None, "") and record.income_band not in INCOME_BAND_VALUES:
        errors.append(
            FieldError("income_band", f"must be one of {', '.join(IncomeBand.values[1:])}")
        )
    for key in record.consents:
        channel, _, purpose = key.partition(":")
        if channel not in CONSENT_CHANNEL_VALUES or purpose not in CONSENT_PURPOSE_VALUES:
            errors.append(
                FieldError(
                    f"consents.{key}",
                    "must be channel:purpose with channel in "
                    f"{', '.join(ConsentChannel.values)} and purpose in "
                    f"{', '.join(ConsentPurpose.values)}",
                )
            )
    for tag_name in record.tags:
        if not str(tag_name).strip() or len(str(tag_name)) > 64:
            errors.append(FieldError("tags", f"{tag_name!r} is not a tag (1 to 64 characters)"))
    if errors:
        raise InvalidInput(errors)


def upsert_customer(*, record: CustomerRecord) -> UpsertResult:
    """Create or update the one customer this record describes, merging profiles it joins.

    Identity resolution: every identity in the record (customer id, email, phone, WeChat ids,
    external ids) is looked up. No match creates a customer; one match updates it; matches on
    several customers mean they are one person, so they are merged into the oldest (or the one
    owning the record's customer_id), keeping every event and order. Fields present in the
    record overwrite the profile; absent ones are left alone, so importing the same file twice
    changes nothing. Emits ``customer.created``, ``customer.updated`` or ``customer.merged``.
    """
    identities = normalized_identities(record)
    validate_profile(record)
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _upsert(record, identities)
        except IntegrityError:
            # Another writer created one of these identities at the same moment: resolve again.
            if attempt == 1:
                raise
    raise AssertionError("unreachable")


def _upsert(record: CustomerRecord, identities: list[tuple[str, str]]) -> UpsertResult:
    matches = Q()
    for kind, value in identities:
        matches |= Q(kind=kind, value=value)
    matched = list(Identity.objects.filter(matches).values_list("customer_id", "kind", "value"))
    customer_pks = sorted({customer_pk for customer_pk, _, _ in matched})
    created = False
    merged_ids: list[str] = []
    if not customer_pks:
        customer = Customer.objects.create(
            customer_id=_customer_id_for(record, identities), attributes={}
        )
        created = True
    else:
        customers = list(
            Customer.objects.select_for_update().filter(pk__in=customer_pks).order_by("pk")
        )
        survivor = customers[0]
        wanted_id = next((value for kind, value in identities if kind == "customer_id"), None)
        for candidate in customers:
            if candidate.customer_id == wanted_id:
                survivor = candidate
        for other in customers:
            if other.pk != survivor.pk:
                merged_ids.append(other.customer_id)
                _merge_into(
                    survivor,
                    other,
                    reason="shared identity " + ", ".join(f"{k}:{v}" for k, v in identities),
                )
        customer = survivor
    changed = _apply_profile(customer, record) or created
    new_identity_count = _attach_identities(customer, identities, record.source)
    changed = _apply_tags(customer, record.tags) or changed
    changed = _apply_consents(customer, record.consents, record.source) or changed
    changed = changed or new_identity_count > 0 or bool(merged_ids)
    payload = {"customer_id": customer.customer_id, "customer_pk": customer.pk}
    if created:
        emit("customer.created", payload)
    elif changed:
        emit("customer.updated", payload)
    return UpsertResult(
        customer=customer, created=created, changed=changed, merged_customer_ids=merged_ids
    )


def _customer_id_for(record: CustomerRecord, identities: list[tuple[str, str]]) -> str:
    for kind, value in identities:
        if kind == "customer_id":
            return value
    return "ks-" + secrets.token_hex(6)


def _apply_profile(customer: Customer, record: CustomerRecord) -> bool:
    changed_fields = []
    for name in PROFILE_FIELDS:
        value = getattr(record, name)
        if value in (None, ""):
            continue
        if isinstance(value, str):
            value = value.strip()
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changed_fields.append(name)
    if record.attributes:
        merged = {**customer.attributes, **record.attributes}
        if merged != customer.attributes:
            customer.attributes = merged
            changed_fields.append("attributes")
    if changed_fields:
        customer.save(update_fields=[*changed_fields, "updated_at"])
    return bool(changed_fields)


def _attach_identities(customer: Customer, identities: list[tuple[str, str]], source: str) -> int:
    existing = set(Identity.objects.filter(customer=customer).values_list("kind", "value"))
    missing = [
        Identity(customer=customer, kind=kind, value=value, source=source)
        for kind, value in dict.fromkeys(identities)
        if (kind, value) not in existing
    ]
    if (
        customer.customer_id
        and (IdentityKind.CUSTOMER_ID, customer.customer_id) not in existing
        and not any(i.kind == "customer_id" and i.value == customer.customer_id for i in missing)
    ):
        missing.append(
            Identity(
                customer=customer,
                kind=IdentityKind.CUSTOMER_ID,
                value=customer.customer_id,
                source=source,
            )
        )
    Identity.objects.bulk_create(missing)
    return len(missing)


def _apply_tags(customer: Customer, tag_names: list[str]) -> bool:
    if not tag_names:
        return False
    names = sorted({str(name).strip() for name in tag_names})
    existing_names = set(customer.tags.values_list("name", flat=True))
    to_add = [name for name in names if name not in existing_names]
    if not to_add:
        return False
    Tag.objects.bulk_create([Tag(name=name) for name in to_add], ignore_conflicts=True)
    customer.tags.add(*Tag.objects.filter(name__in=to_add))
    return True


def _apply_consents(customer: Customer, consents: dict[str, bool], source: str) -> bool:
    changed = False
    now = timezone.now()
    for key, is_granted in consents.items():
        channel, _, purpose = key.partition(":")
        consent, was_created = Consent.objects.get_or_create(
            customer=customer,
            channel=channel,
            purpose=purpose,
            defaults={"is_granted": bool(is_granted), "source": source, "recorded_at": now},
        )
        if not was_created and consent.is_granted != bool(is_granted):
            consent.is_granted = bool(is_granted)
            consent.source = source
            consent.recorded_at = now
            consent.save(update_fields=["is_granted", "source", "recorded_at"])
            changed = True
        changed = changed or was_created
    return changed


def set_consent(
    *, customer: Customer, channel: str, purpose: str, is_granted: bool, source: str
) -> Consent:
    """Record the customer's latest decision for one channel and purpose; emits consent.changed."""
    if channel not in CONSENT_CHANNEL_VALUES:
        raise InvalidInput([FieldError("channel", f"{channel!r} is not a consent channel")])
    if purpose not in CONSENT_PURPOSE_VALUES:
        raise InvalidInput([FieldError("purpose", f"{purpose!r} is not a consent purpose")])
    with transaction.atomic():
        consent, _ = Consent.objects.update_or_create(
            customer=customer,
            channel=channel,
            purpose=purpose,
            defaults={"is_granted": is_granted, "source": source, "recorded_at": timezone.now()},
        )
        emit(
            "consent.changed",
            {
                "customer_id": customer.customer_id,
                "channel": channel,
                "purpose": purpose,
                "is_granted": is_granted,
            },
        )
    return consent


def merge_customers(*, surviving: Customer, merged: Customer, reason: str, merged_by=None) -> None:
    """Merge ``merged`` into ``surviving``: every identity, consent, tag, event and order moves,
    blank profile fields are filled, and the merged profile is kept as a snapshot in
    ``CustomerMerge`` before its row is deleted. Emits ``customer.merged``."""
    if surviving.pk == merged.pk:
        raise InvalidInput([FieldError("customer_id", "cannot merge a customer into itself")])
    with transaction.atomic():
        _merge_into(surviving, merged, reason=reason, merged_by=merged_by)


def _merge_into(surviving: Customer, merged: Customer, *, reason: str, merged_by=None) -> None:
    snapshot = {
        "customer_id": merged.customer_id,
        "created_at": merged.created_at.isoformat() if merged.created_at else None,
        **{
            name: (value.isoformat() if hasattr(value, "isoformat") else value)
            for name in PROFILE_FIELDS
            if (value := getattr(merged, name)) not in (None, "")
        },
        "attributes": merged.attributes,
    }
    fill = [
        name
        for name in PROFILE_FIELDS
        if getattr(surviving, name) in (None, "") and getattr(merged, name) not in (None, "")
    ]
    for name in fill:
        setattr(surviving, name, getattr(merged, name))
    if merged.attributes:
        surviving.attributes = {**merged.attributes, **surviving.attributes}
        fill.append("attributes")
    if fill:
        surviving.save(update_fields=[*fill, "updated_at"])

    Identity.objects.filter(customer=merged).update(customer=surviving)
    surviving_consents = {
        (c.channel, c.purpose): c for c in Consent.objects.filter(customer=surviving)
    }
    for consent in Consent.objects.filter(customer=merged):
        current = surviving_consents.get((consent.channel, consent.purpose))
        if current is None:
            consent.customer = surviving
            consent.save(update_fields=["customer"])
        elif consent.recorded_at > current.recorded_at:
            current.is_granted = consent.is_granted
            current.source = consent.source
            current.recorded_at = consent.recorded_at
            current.save(update_fields=["is_granted", "source", "recorded_at"])
    surviving.tags.add(*merged.tags.all())

    _move_related_rows(merged, surviving)
    CustomerMerge.objects.create(
        surviving_customer=surviving,
        merged_customer_id=merged.customer_id,
        merged_profile=snapshot,
        reason=reason[:200],
        merged_by=merged_by,
    )
    merged_customer_id = merged.customer_id
    merged.delete()
    emit(
        "customer.merged",
        {
            "customer_id": surviving.customer_id,
            "customer_pk": surviving.pk,
            "merged_customer_id": merged_customer_id,
        },
    )


_MOVED_BY_CUSTOMERS_APP = {"customers.identity", "customers.consent"}


def _move_related_rows(merged: Customer, surviving: Customer) -> None:
    """Point every other app's rows at the surviving customer (events, orders, later cases...).

    Apps whose rows are unique per customer register a merge handler; every other foreign key to
    Customer is moved with one UPDATE, so a new app's data survives merges without extra code.
    """
    for relation in Customer._meta.related_objects:
        if not (relation.one_to_many or relation.one_to_one):
            continue
        related_model: type[models.Model] = relation.related_model
        label = related_model._meta.label_lower
        if label in _MOVED_BY_CUSTOMERS_APP:
            continue
        handler = merge_handlers.get(related_model._meta.label) or merge_handlers.get(label)
        if handler is not None:
            handler(merged.pk, surviving.pk)
            continue
        related_model._base_manager.filter(**{relation.field.name: merged}).update(
            **{relation.field.name: surviving}
        )


def delete_customer(*, customer_id: str) -> None:
    deleted, _ = Customer.objects.filter(customer_id=customer_id).delete()
    if not deleted:
        raise NotFound(f"no customer {customer_id!r}", field="customer_id")


# --- segments ----------------------------------------------------------------------------------


def _segment_fields(name: Any, description: Any, rules: Any) -> tuple[str, str, dict]:
    """The segment's name, description and rules checked together; InvalidInput names each
    problem (a rule by its path, e.g. ``rules.all[2].value``)."""
    from kesheng.customers.segments import validate_rules

    errors: list[FieldError] = []
    clean_name = name.strip() if isinstance(name, str) else ""
    if not clean_name:
        errors.append(FieldError("name", "is required"))
    elif len(clean_name) > 120 or "\x00" in clean_name:
        errors.append(FieldError("name", "must be at most 120 characters, without NUL"))
    if not isinstance(description, str) or "\x00" in description or len(description) > 2000:
        errors.append(FieldError("description", "must be text of at most 2000 characters"))
    checked_rules: dict = {}
    try:
        checked_rules = validate_rules(rules)
    except InvalidInput as refused:
        errors.extend(refused.errors)
    if errors:
        raise InvalidInput(errors)
    return clean_name, description.strip(), checked_rules


def _count_members(segment: Segment, now: datetime) -> None:
    from kesheng.customers.segments import compile_rules

    segment.member_count = Customer.objects.filter(compile_rules(segment.rules, now=now)).count()
    segment.counted_at = now


def _refuse_taken_name(name: str, *, exclude_pk: int | None = None) -> None:
    taken = Segment.objects.filter(name=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise InvalidInput([FieldError("name", "another segment already has this name")])


def create_segment(
    *, name: str, description: str = "", rules: Any, created_by=None, now: datetime | None = None
) -> Segment:
    """Create a segment after checking its rules against the registered fields (InvalidInput
    names every problem by its path, and nothing is saved), and count its members once.
    Emits ``segment.created``."""
    now = now or timezone.now()
    name, description, rules = _segment_fields(name, description, rules)
    _refuse_taken_name(name)
    segment = Segment(name=name, description=description, rules=rules, created_by=created_by)
    _count_members(segment, now)
    try:
        with transaction.atomic():
            segment.save()
            emit("segment.created", {"segment_id": segment.pk})
    except IntegrityError:  # the same name saved a moment ago
        raise InvalidInput([FieldError("name", "another segment already has this name")]) from None
    return segment


def update_segment(
    *,
    segment: Segment,
    name: str,
    description: str = "",
    rules: Any,
    now: datetime | None = None,
) -> Segment:
    """Replace a segment's name, description and rules (checked as in ``create_segment``;
    refused: nothing changes) and recount its members. Emits ``segment.updated``."""
    now = now or timezone.now()
    name, description, rules = _segment_fields(name, description, rules)
    _refuse_taken_name(name, exclude_pk=segment.pk)
    segment.name, segment.description, segment.rules = name, description, rules
    _count_members(segment, now)
    try:
        with transaction.atomic():
            segment.save()
            emit("segment.updated", {"segment_id": segment.pk})
    except IntegrityError:
        segment.refresh_from_db()
        raise InvalidInput([FieldError("name", "another segment already has this name")]) from None
    return segment


def refresh_segment_count(*, segment: Segment, now: datetime | None = None) -> Segment:
    """Count the segment's members now and keep the figure with its time (no event)."""
    _count_members(segment, now or timezone.now())
    segment.save(update_fields=["member_count", "counted_at"])
    return segment


def refresh_segment_counts(*, now: datetime | None = None) -> int:
    """Count every segment's members now and keep the figures (one COUNT per segment; there
    are a few dozen segments, not thousands). Returns how many segments were counted."""
    now = now or timezone.now()
    segments = list(Segment.objects.order_by("pk"))
    for segment in segments:
        _count_members(segment, now)
    Segment.objects.bulk_update(segments, ["member_count", "counted_at"])
    return len(segments)


def delete_segment(*, segment: Segment) -> None:
    """Delete a segment, unless something still uses it (a scheduled distribution sending to
    it, as the higher apps' usage checks report): then Conflict names what uses it and nothing
    changes. Distributions that already sent keep their invitations. Emits
    ``segment.deleted``."""
    from kesheng.core.errors import Conflict
    from kesheng.customers.segments import segment_uses

    uses = segment_uses(segment.pk)
    if uses:
        raise Conflict(
            "the segment is still used by " + "; ".join(uses) + "; change those first",
            field="segment",
        )
    with transaction.atomic():
        segment_id = segment.pk
        segment.delete()
        emit("segment.deleted", {"segment_id": segment_id, "name": segment.name})
