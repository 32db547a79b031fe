"""JSON API of the feedback hub: POST /feedback (a batch, idempotent on source + source_id) and
GET /feedback (a page of items with their analysis)."""

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import BaseModel, ConfigDict, Field

from kesheng.accounts.api_auth import ApiKeyAuth
from kesheng.accounts.models import Scope
from kesheng.core.api import ErrorOut, RejectionOut, batch_request_body, read_batch
from kesheng.feedback.actions import MAX_TEXT_LENGTH, record_feedback
from kesheng.feedback.models import EXTERNAL_SOURCES, FeedbackSource, SentimentLabel
from kesheng.feedback.queries import list_feedback_after

router = Router(tags=["feedback"])


class FeedbackIn(Schema):
    """One piece of feedback. Time without an offset is read in the business's time zone; no
    time means now. ``customer_id`` must be a known customer; an ``email`` or ``phone`` links
    the item to the customer who has it, if any."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(description=f"one of {', '.join(EXTERNAL_SOURCES)}")
    source_id: str = Field(max_length=200, description="the source's id; a repeat is a duplicate")
    text: str = Field(max_length=MAX_TEXT_LENGTH)
    occurred_at: datetime | None = None
    rating: float | None = Field(None, ge=0, le=10)
    store: str | None = Field(None, max_length=40, description="a store code")
    customer_id: str | None = Field(None, max_length=64)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    channel: str | None = Field(None, max_length=40)
    touchpoint: str | None = Field(None, max_length=60)
    product: str | None = Field(None, max_length=64, description="a product SKU")
    language: str | None = Field(None, max_length=10)
    author: str | None = Field(None, max_length=200)
    reach: int | None = Field(None, ge=0, description="followers or views of a social post")
    url: str | None = Field(None, max_length=1000)
    platform: str | None = Field(None, max_length=60, examples=["dianping"])


class FeedbackBatchOut(BaseModel):
    created: int
    duplicates: int
    errors: list[RejectionOut]


class FeedbackBatchRefusedOut(FeedbackBatchOut):
    detail: str


class AspectOut(BaseModel):
    category: str
    sentiment: str
    score: float
    mentions: int


class FeedbackItemOut(BaseModel):
    id: int
    source: str
    source_id: str
    text: str
    occurred_at: datetime
    store: str | None
    customer_id: str | None
    rating: float | None
    language: str
    analysis_status: str
    detected_language: str
    sentiment: str
    sentiment_score: float | None
    keywords: list[str]
    categories: list[str]
    aspects: list[AspectOut]


class FeedbackPageOut(BaseModel):
    items: list[FeedbackItemOut]
    next: int | None


class FeedbackListParams(Schema):
    after: int | None = Field(None, ge=0, description="the last id of the previous page")
    limit: int = Field(100, ge=1, le=1000)
    source: FeedbackSource | None = None
    sentiment: SentimentLabel | None = None


@router.post(
    "/feedback",
    auth=ApiKeyAuth(Scope.FEEDBACK_WRITE),
    response={
        200: FeedbackBatchOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        413: ErrorOut,
        422: FeedbackBatchRefusedOut,
    },
    summary="Record a batch of feedback",
    description=(
        'A JSON array of items, {"items": [...]} or one item; at most '
        f"{settings.KESHENG_API_MAX_BATCH} per request. Valid items are stored (and analysed) "
        "even when others are rejected; a source + source_id already stored counts as a "
        "duplicate. Scope: feedback:write."
    ),
    openapi_extra=batch_request_body(
        FeedbackIn, envelope="items", max_items=settings.KESHENG_API_MAX_BATCH
    ),
)
def post_feedback(request: HttpRequest):
    items = read_batch(request, envelope="items", max_items=settings.KESHENG_API_MAX_BATCH)
    result = record_feedback(items=items)
    body = {
        "created": result.accepted,
        "duplicates": result.duplicates,
        "errors": [rejection.as_dict() for rejection in result.rejected],
    }
    if result.accepted or result.duplicates:
        return Status(200, body)
    body["detail"] = _("no item was accepted; see errors")
    return Status(422, body)


@router.get(
    "/feedback",
    auth=ApiKeyAuth(Scope.FEEDBACK_READ),
    response={200: FeedbackPageOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="List feedback items with their analysis",
    description="Oldest first; pass the returned next as after for the next page.",
)
def get_feedback(request: HttpRequest, params: Query[FeedbackListParams]):
    items = list_feedback_after(
        after_id=params.after,
        limit=params.limit,
        source=params.source or "",
        sentiment=params.sentiment or "",
    )
    return {
        "items": [
            {
                "id": item.pk,
                "source": item.source,
                "source_id": item.source_id,
                "text": item.text,
                "occurred_at": item.occurred_at,
                "store": item.store.code if item.store else None,
                "customer_id": item.customer.customer_id if item.customer else None,
                "rating": item.rating,
                "language": item.language,
                "analysis_status": item.analysis_status,
                "detected_language": item.detected_language,
                "sentiment": item.sentiment,
                "sentiment_score": item.sentiment_score,
                "keywords": item.keywords,
                "categories": item.categories,
                "aspects": item.aspects,
            }
            for item in items
        ],
        "next": items[-1].pk if len(items) == params.limit else None,
    }
