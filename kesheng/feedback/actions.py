"""Taking feedback in (API batches, file imports, survey comments) and analysing it.

Every door works in the two steps of ``kesheng.core.ingest``: *prepare* parses and resolves
every item without writing, *write* inserts the good ones, idempotent on ``source`` +
``source_id`` (the unique constraint decides; an item already stored counts as a duplicate).
New items and items whose text was edited are analysed by the Celery task
``kesheng.feedback.analyse_item`` (``analyse_items`` for many) after the transaction commits.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from kesheng.commerce.models import Product, Store
from kesheng.commerce.queries import find_order_reference
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.core.events import emit
from kesheng.core.ingest import IngestResult, Prepared, Rejection, chunked
from kesheng.core.parsing import parse_datetime
from kesheng.customers.identity import normalize_email, normalize_phone
from kesheng.customers.models import Identity, IdentityKind
from kesheng.customers.queries import map_customer_ids
from kesheng.feedback.models import (
    EXTERNAL_SOURCES,
    AnalysisStatus,
    ComplaintDetails,
    FeedbackItem,
    FeedbackSource,
)
from kesheng.feedback.photos import CheckedPhoto
from kesheng.feedback.queries import current_category_classifier
from kesheng.feedback.text.analysis import analyse_text
from kesheng.feedback.text.sentiment import model_version
from kesheng.surveys.definition import iter_questions
from kesheng.surveys.models import Response
from kesheng.tracking.models import Channel, Touchpoint

logger = logging.getLogger(__name__)

FEEDBACK_FIELDS = (
    "source",
    "source_id",
    "text",
    "occurred_at",
    "rating",
    "store",
    "customer_id",
    "email",
    "phone",
    "channel",
    "touchpoint",
    "product",
    "language",
    "author",
    "reach",
    "url",
    "platform",
)
MAX_TEXT_LENGTH = 20_000
MIN_RATING, MAX_RATING = 0, 10
SURVEY_TEXT_TYPES = ("long_text", "short_text")
ANALYSE_CHUNK = 1000


@dataclass(frozen=True)
class FeedbackInput:
    source: str
    source_id: str
    text: str
    occurred_at: datetime | None
    rating: float | None = None
    store: str | None = None
    customer_id: str | None = None
    email: str | None = None
    phone: str | None = None
    channel: str | None = None
    touchpoint: str | None = None
    product: str | None = None
    language: str = ""
    author: str = ""
    reach: int | None = None
    url: str = ""
    platform: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_id)


def _text(item: dict, name: str, *, required: bool = False, max_length: int) -> str | None:
    value = item.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"{name}: is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{name}: must be a string")
    value = str(value).strip()
    if len(value) > max_length:
        raise ValueError(f"{name}: is longer than {max_length} characters")
    return value


def _number(item: dict, name: str) -> float | None:
    value = item.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name}: must be a number")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{name}: {value!r} is not a number")
    return number


def parse_feedback_item(item: Any, zone: ZoneInfo) -> FeedbackInput:
    """Check one raw item (a dict from JSON, JSONL or a CSV row); raises
    ValueError("field: reason")."""
    if not isinstance(item, dict):
        raise ValueError("item: must be a JSON object")
    unknown = sorted(set(item) - set(FEEDBACK_FIELDS))
    if unknown:
        raise ValueError(f"{unknown[0]}: is not a feedback field")
    source = _text(item, "source", required=True, max_length=12)
    if source not in EXTERNAL_SOURCES:
        raise ValueError(f"source: {source!r} is not one of {', '.join(EXTERNAL_SOURCES)}")
    source_id = _text(item, "source_id", required=True, max_length=200)
    raw_text = item.get("text")
    if raw_text is None or (isinstance(raw_text, str) and not raw_text.strip()):
        raise ValueError("text: is required")
    if not isinstance(raw_text, str):
        raise ValueError("text: must be text")
    text = raw_text.strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"text: is longer than {MAX_TEXT_LENGTH} characters")
    occurred_at = None
    if item.get("occurred_at") not in (None, ""):
        try:
            occurred_at = parse_datetime(item["occurred_at"], default_zone=zone)
        except (ValueError, OverflowError) as error:
            raise ValueError(f"occurred_at: {error}") from None
    rating = _number(item, "rating")
    if rating is not None and not MIN_RATING <= rating <= MAX_RATING:
        raise ValueError(f"rating: must be between {MIN_RATING} and {MAX_RATING}")
    reach = _number(item, "reach")
    if reach is not None and (reach < 0 or reach != int(reach) or reach > 2**62):
        raise ValueError("reach: must be a whole number of at least 0")
    url = _text(item, "url", max_length=1000) or ""
    if url and not url.lower().startswith(("http://", "https://")):
        raise ValueError("url: must start with http:// or https://")
    email = _text(item, "email", max_length=254)
    if email is not None:
        try:
            email = normalize_email(email)
        except ValueError as error:
            raise ValueError(f"email: {error}") from None
    phone = _text(item, "phone", max_length=40)
    if phone is not None:
        try:
            phone = normalize_phone(phone)
        except ValueError as error:
            raise ValueError(f"phone: {error}") from None
    return FeedbackInput(
        source=source,
        source_id=source_id,
        text=text,
        occurred_at=occurred_at,
        rating=rating,
        store=_text(item, "store", max_length=40),
        customer_id=_text(item, "customer_id", max_length=64),
        email=email,
        phone=phone,
        channel=_text(item, "channel", max_length=40),
        touchpoint=_text(item, "touchpoint", max_length=60),
        product=_text(item, "product", max_length=64),
        language=_text(item, "language", max_length=10) or "",
        author=_text(item, "author", max_length=200) or "",
        reach=int(reach) if reach is not None else None,
        url=url,
        platform=_text(item, "platform", max_length=60) or "",
    )


@dataclass
class FeedbackReferences:
    """Lookups a batch needs, loaded once: codes and identities -> primary keys."""

    stores: dict[str, int]
    channels: dict[str, int]
    touchpoints: dict[str, tuple[int, int]]  # code -> (touchpoint pk, channel pk)
    products: dict[str, int]
    customers: dict[str, int]
    identities: dict[tuple[str, str], int]  # (kind, normalized value) -> customer pk


def load_feedback_references(items: list[FeedbackInput]) -> FeedbackReferences:
    def codes(attribute: str) -> list[str]:
        return sorted({value for item in items if (value := getattr(item, attribute))})

    def by_code(model, field: str, values: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in chunked(values, 900):
            found.update(model.objects.filter(**{f"{field}__in": chunk}).values_list(field, "pk"))
        return found

    identities: dict[tuple[str, str], int] = {}
    for kind, attribute in ((IdentityKind.EMAIL, "email"), (IdentityKind.PHONE, "phone")):
        for chunk in chunked(codes(attribute), 900):
            for value, customer_pk in Identity.objects.filter(
                kind=kind, value__in=chunk
            ).values_list("value", "customer_id"):
                identities[(str(kind), value)] = customer_pk
    touchpoints: dict[str, tuple[int, int]] = {}
    for chunk in chunked(codes("touchpoint"), 900):
        for code, pk, channel_pk in Touchpoint.objects.filter(code__in=chunk).values_list(
            "code", "pk", "channel_id"
        ):
            touchpoints[code] = (pk, channel_pk)
    return FeedbackReferences(
        stores=by_code(Store, "code", codes("store")),
        channels=by_code(Channel, "code", codes("channel")),
        touchpoints=touchpoints,
        products=by_code(Product, "sku", codes("product")),
        customers=map_customer_ids(codes("customer_id")),
        identities=identities,
    )


def _reference_problem(item: FeedbackInput, references: FeedbackReferences):
    if item.store and item.store not in references.stores:
        return "store", f"no store has the code {item.store!r}"
    if item.channel and item.channel not in references.channels:
        return "channel", f"no channel has the code {item.channel!r}"
    if item.touchpoint:
        if item.touchpoint not in references.touchpoints:
            return "touchpoint", f"no touchpoint has the code {item.touchpoint!r}"
        _, channel_pk = references.touchpoints[item.touchpoint]
        if item.channel and references.channels[item.channel] != channel_pk:
            return "touchpoint", f"{item.touchpoint!r} is not a touchpoint of {item.channel!r}"
    if item.product and item.product not in references.products:
        return "product", f"no product has the SKU {item.product!r}"
    if item.customer_id and item.customer_id not in references.customers:
        return "customer_id", f"no customer has the id {item.customer_id!r}"
    return None


def prepare_feedback(items: list[Any], *, first_index: int = 0) -> Prepared[FeedbackInput]:
    """Parse and resolve a batch; nothing is written. Unknown stores, channels, touchpoints,
    products and customer ids are refused; an email or phone that matches no customer is kept
    without a customer (a review's author need not be known)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    prepared: Prepared[FeedbackInput] = Prepared()
    parsed: list[tuple[int, FeedbackInput]] = []
    for offset, item in enumerate(items):
        index = first_index + offset
        try:
            parsed.append((index, parse_feedback_item(item, zone)))
        except ValueError as error:
            field_name, _, reason = str(error).partition(": ")
            item_id = item.get("source_id") if isinstance(item, dict) else None
            prepared.rejected.append(
                Rejection(
                    index=index,
                    field=field_name,
                    reason=reason,
                    item_id=item_id if isinstance(item_id, str) else None,
                )
            )
    references = load_feedback_references([item for _, item in parsed])
    for index, item in parsed:
        problem = _reference_problem(item, references)
        if problem:
            prepared.rejected.append(
                Rejection(index=index, field=problem[0], reason=problem[1], item_id=item.source_id)
            )
        else:
            prepared.valid.append((index, item))
    prepared.rejected.sort(key=lambda rejection: rejection.index)
    prepared.context = references
    return prepared


def _customer_of(item: FeedbackInput, references: FeedbackReferences) -> int | None:
    if item.customer_id:
        return references.customers[item.customer_id]
    for kind, value in ((IdentityKind.EMAIL, item.email), (IdentityKind.PHONE, item.phone)):
        if value and (str(kind), value) in references.identities:
            return references.identities[(str(kind), value)]
    return None


def _new_item(item: FeedbackInput, references: FeedbackReferences, now: datetime):
    touchpoint_pk, channel_pk = references.touchpoints.get(item.touchpoint or "", (None, None))
    if item.channel:
        channel_pk = references.channels[item.channel]
    return FeedbackItem(
        source=item.source,
        source_id=item.source_id,
        text=item.text,
        occurred_at=item.occurred_at or now,
        rating=item.rating,
        store_id=references.stores.get(item.store or ""),
        customer_id=_customer_of(item, references),
        channel_id=channel_pk,
        touchpoint_id=touchpoint_pk,
        product_id=references.products.get(item.product or ""),
        language=item.language,
        author=item.author,
        reach=item.reach,
        url=item.url,
        platform=item.platform,
    )


@dataclass
class FeedbackWriteResult(IngestResult):
    created_ids: list[int] | None = None


def _existing_keys(keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    by_source: dict[str, list[str]] = {}
    for source, source_id in keys:
        by_source.setdefault(source, []).append(source_id)
    found: set[tuple[str, str]] = set()
    for source, source_ids in by_source.items():
        for chunk in chunked(source_ids, 900):
            found.update(
                FeedbackItem.objects.filter(source=source, source_id__in=chunk).values_list(
                    "source", "source_id"
                )
            )
    return found


def write_feedback(prepared: Prepared[FeedbackInput]) -> FeedbackWriteResult:
    """Insert the valid items not stored yet (one per source + source id) and schedule their
    analysis after commit. Runs in the caller's transaction (an import's) or its own."""
    result = FeedbackWriteResult(rejected=list(prepared.rejected))
    now = timezone.now()
    with transaction.atomic():
        first_of_each: dict[tuple[str, str], FeedbackInput] = {}
        for _, item in prepared.valid:
            if item.key in first_of_each:
                result.duplicates += 1
            else:
                first_of_each[item.key] = item
        existing = _existing_keys(first_of_each)
        new = [item for key, item in first_of_each.items() if key not in existing]
        result.duplicates += len(existing)
        FeedbackItem.objects.bulk_create(
            [_new_item(item, prepared.context, now) for item in new],
            batch_size=1000,
            ignore_conflicts=True,  # another request may have stored the same key meanwhile
        )
        result.created_ids = _ids_of([item.key for item in new])
        result.accepted = len(result.created_ids)
        result.duplicates += len(new) - result.accepted
        schedule_analysis(result.created_ids)
        # Cases (complaints, low-rated reviews) subscribe; one event per chunk keeps a large
        # import from writing one outbox row per item.
        for chunk in chunked(result.created_ids, 1000):
            # Loyalty's review bonus reads who wrote each review from here (it sits below
            # feedback and may not read its tables).
            reviews = FeedbackItem.objects.filter(
                pk__in=chunk, source=FeedbackSource.REVIEW, customer__isnull=False
            ).values_list("pk", "customer_id")
            emit(
                "feedback.created",
                {"item_ids": list(chunk), "reviews": [list(row) for row in reviews]},
            )
    return result


def _ids_of(keys: list[tuple[str, str]]) -> list[int]:
    ids: list[int] = []
    by_source: dict[str, list[str]] = {}
    for source, source_id in keys:
        by_source.setdefault(source, []).append(source_id)
    for source, source_ids in by_source.items():
        for chunk in chunked(source_ids, 900):
            ids.extend(
                FeedbackItem.objects.filter(
                    source=source, source_id__in=chunk, analysis_status=AnalysisStatus.PENDING
                ).values_list("pk", flat=True)
            )
    return sorted(ids)


def record_feedback(*, items: list[Any]) -> FeedbackWriteResult:
    """Store a batch of feedback from the API: the valid items are stored even when others are
    rejected; each new item is analysed after commit. Emits ``feedback.created`` with the new
    items' ids."""
    return write_feedback(prepare_feedback(items))


def schedule_analysis(item_ids: list[int]) -> None:
    """Analyse these items once the transaction commits (in-process without Redis)."""
    if not item_ids:
        return
    ids = list(item_ids)

    def enqueue() -> None:
        from kesheng.feedback.tasks import analyse_item, analyse_items

        try:
            if len(ids) == 1:
                analyse_item.delay(ids[0])
            else:
                for chunk in chunked(ids, ANALYSE_CHUNK):
                    analyse_items.delay(list(chunk))
        except Exception:  # broker down: the items stay pending for the periodic sweep
            logger.exception("could not enqueue the analysis of %d feedback items", len(ids))

    transaction.on_commit(enqueue)


# --- survey comments --------------------------------------------------------------------------


def _comment_items(response: Response) -> list[FeedbackItem]:
    """The feedback items of one completed response: one per answered long or short text
    question."""
    items = []
    for _, question in iter_questions(response.version.definition):
        name = question.get("name")
        if question.get("type") not in SURVEY_TEXT_TYPES or not isinstance(name, str):
            continue
        answer = (response.answers or {}).get(name)
        if not isinstance(answer, str) or not answer.strip():
            continue
        items.append(
            FeedbackItem(
                source=FeedbackSource.SURVEY,
                source_id=f"{response.pk}:{name}",
                response=response,
                question=name,
                text=answer.strip()[:MAX_TEXT_LENGTH],
                occurred_at=response.completed_at,
                store_id=response.store_id,
                channel_id=response.channel_id,
                touchpoint_id=response.touchpoint_id,
                customer_id=response.customer_id,
                language=response.language,
            )
        )
    return items


def _store_comment_items(items: list[FeedbackItem]) -> None:
    if not items:
        return
    with transaction.atomic():
        keys = {(item.source, item.source_id) for item in items}
        existing = _existing_keys(keys)
        new = [item for item in items if (item.source, item.source_id) not in existing]
        FeedbackItem.objects.bulk_create(new, ignore_conflicts=True)
        schedule_analysis(_ids_of([(item.source, item.source_id) for item in new]))


def collect_survey_comments(payload: dict) -> None:
    """Subscriber of ``response.completed``: each answered long or short text question of the
    response becomes a feedback item (source ``survey``, source id ``<response>:<question>``),
    with the response's store, channel, touchpoint, customer and language. Idempotent."""
    response = (
        Response.objects.select_related("version")
        .filter(pk=payload.get("response_id"), completed_at__isnull=False)
        .first()
    )
    if response is not None:
        _store_comment_items(_comment_items(response))


def collect_imported_survey_comments(payload: dict) -> None:
    """Subscriber of ``responses.imported``: the comments of a survey's completed responses
    that have none in the hub yet, as ``collect_survey_comments`` makes them (a history load
    brings its comments into the inbox; no ``feedback.created`` is emitted, so no case opens
    for the past)."""
    responses = (
        Response.objects.filter(survey_id=payload.get("survey_id"), completed_at__isnull=False)
        .exclude(Exists(FeedbackItem.objects.filter(response=OuterRef("pk"))))
        .select_related("version")
        .order_by("pk")
    )
    items: list[FeedbackItem] = []
    for response in responses.iterator(chunk_size=1000):
        items.extend(_comment_items(response))
        if len(items) >= 1000:
            _store_comment_items(items)
            items = []
    _store_comment_items(items)


# --- analysis ---------------------------------------------------------------------------------


def analyse_feedback_items(*, item_ids: Iterable[int]) -> int:
    """Analyse the items' text (language, sentiment, keywords, categories and aspects) and
    store the result; returns how many were stored. Categories and sentiment a person
    corrected are kept. An item whose text changed meanwhile is left for the analysis its
    edit scheduled, and an item that was deleted is skipped. Emits ``feedback.analysed``
    (``{"item_ids": [...]}``, one per chunk of stored items), on which rules that need the
    sentiment act (cases: a negative social mention with a large reach)."""
    version = model_version()
    classifier = current_category_classifier()
    stored = 0
    for chunk in chunked(sorted(set(item_ids)), ANALYSE_CHUNK):
        rows = FeedbackItem.objects.filter(pk__in=chunk).values_list(
            "pk", "text", "categories_corrected", "sentiment_corrected"
        )
        analysed: list[int] = []
        for pk, text, categories_corrected, sentiment_corrected in rows:
            try:
                analysis = analyse_text(text, classifier=classifier)
            except Exception:
                logger.exception("feedback item %s could not be analysed", pk)
                FeedbackItem.objects.filter(pk=pk, text=text).update(
                    analysis_status=AnalysisStatus.FAILED
                )
                continue
            changes: dict[str, Any] = {
                "analysis_status": AnalysisStatus.ANALYSED,
                "detected_language": analysis.language,
                "keywords": analysis.keywords,
                "aspects": [aspect.as_dict() for aspect in analysis.aspects],
                "analysed_at": timezone.now(),
                "analysis_version": version,
            }
            if not sentiment_corrected:
                changes.update(sentiment=analysis.sentiment, sentiment_score=analysis.score)
            if not categories_corrected:
                changes["categories"] = analysis.categories
            if FeedbackItem.objects.filter(pk=pk, text=text).update(**changes):
                analysed.append(pk)
        stored += len(analysed)
        if analysed:
            emit("feedback.analysed", {"item_ids": analysed})
    return stored


def analyse_pending_feedback(*, limit: int = 50_000) -> int:
    """Analyse items still waiting (their task was lost, e.g. the broker was down)."""
    ids = list(
        FeedbackItem.objects.filter(analysis_status=AnalysisStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return analyse_feedback_items(item_ids=ids)


def edit_feedback_text(*, item: FeedbackItem, text: str) -> FeedbackItem:
    """Correct an item's text (a transcript's errors, a redacted phone number): stores it,
    marks the analysis pending and schedules it again. Raises InvalidInput on ``text``."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput([FieldError("text", "is required")])
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput([FieldError("text", f"is longer than {MAX_TEXT_LENGTH} characters")])
    if text == item.text:
        return item
    with transaction.atomic():
        item.text = text
        item.text_edited_at = timezone.now()
        item.analysis_status = AnalysisStatus.PENDING
        # A correction was about the old text: the new one is analysed afresh.
        item.categories_corrected = item.sentiment_corrected = False
        item.save(
            update_fields=[
                "text",
                "text_edited_at",
                "analysis_status",
                "categories_corrected",
                "sentiment_corrected",
            ]
        )
        schedule_analysis([item.pk])
    return item


# --- the public complaint form ----------------------------------------------------------------

_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's: no I, L, O, U


def complaint_reference(form_key: str) -> str:
    """The reference a complaint is known by (``CF-`` and 10 characters), derived from the
    form's one-time key with the secret key: the same form sent twice gives the same reference
    (and so one item), and nobody can choose another complaint's reference."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:complaint:{form_key}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    characters = []
    for _ in range(10):
        number, index = divmod(number, 32)
        characters.append(_REFERENCE_ALPHABET[index])
    return "CF-" + "".join(characters)


@dataclass(frozen=True)
class ComplaintInput:
    """A complaint as the public form checked it (phone and email already normalised)."""

    form_key: str
    text: str
    language: str = ""
    store: str | None = None
    order_number: str = ""
    contact_name: str = ""
    phone: str | None = None
    email: str | None = None
    contact_requested: bool = False
    consent_to_contact: bool = False
    photo: CheckedPhoto | None = None


@dataclass(frozen=True)
class ComplaintResult:
    reference: str
    item: FeedbackItem
    created: bool


def submit_complaint(*, complaint: ComplaintInput) -> ComplaintResult:
    """Store a complaint from the public form as a feedback item (source ``complaint``, source
    id its reference) with its contact details and photo, and schedule its analysis. An order
    number that matches an order links the order's customer and (when no store was chosen) its
    store; else a phone or email that is already a customer's identity links that customer.
    Nobody is created or merged from what an anonymous visitor typed: the details are
    unverified. The same form sent twice stores one item. Emits ``feedback.created`` (the
    cases rule opens a complaint case). Raises InvalidInput on ``text``, ``phone`` or
    ``store``."""
    text = complaint.text.strip()
    if not text:
        raise InvalidInput([FieldError("text", "is required")])
    if complaint.contact_requested and not (complaint.phone or complaint.email):
        raise InvalidInput([FieldError("phone", "a phone or an email is needed to contact you")])
    reference = complaint_reference(complaint.form_key)
    order = find_order_reference(complaint.order_number) if complaint.order_number else None
    raw = {
        "source": FeedbackSource.COMPLAINT.value,
        "source_id": reference,
        "text": text,
        "store": complaint.store or (order.store_code if order else None),
        "customer_id": order.customer_id if order else None,
        "email": complaint.email,
        "phone": complaint.phone,
        "language": complaint.language,
        "author": complaint.contact_name,
    }
    prepared = prepare_feedback([raw])
    if prepared.rejected:
        rejection = prepared.rejected[0]
        raise InvalidInput([FieldError(rejection.field, rejection.reason)])
    with transaction.atomic():
        result = write_feedback(prepared)
        item = FeedbackItem.objects.get(source=FeedbackSource.COMPLAINT, source_id=reference)
        if not result.created_ids:
            return ComplaintResult(reference=reference, item=item, created=False)
        details = ComplaintDetails(
            item=item,
            contact_name=complaint.contact_name,
            phone=complaint.phone or "",
            email=complaint.email or "",
            contact_requested=complaint.contact_requested,
            consent_to_contact=complaint.consent_to_contact,
            order_number=complaint.order_number,
            order_id=order.order_pk if order else None,
        )
        if complaint.photo is not None:
            # Saved last: a failure before this point leaves no file behind.
            details.photo_content_type = complaint.photo.content_type
            details.photo.save(
                f"photo.{complaint.photo.extension}",
                ContentFile(complaint.photo.content),
                save=False,
            )
        details.save()
    return ComplaintResult(reference=reference, item=item, created=True)
