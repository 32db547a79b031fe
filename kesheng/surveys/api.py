"""JSON API of surveys: POST /surveys/{id}/responses, a complete response in one call (apps,
kiosks), checked by the same rules as the respondent pages."""

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field, field_validator

from kesheng.accounts.api_auth import ApiKeyAuth
from kesheng.accounts.models import Scope
from kesheng.core.api import ErrorOut, ValidationErrorOut
from kesheng.surveys.actions.responses import submit_complete_response
from kesheng.surveys.queries.responses import get_survey

router = Router(tags=["surveys"])


class ResponseIn(Schema):
    """A complete response. ``answers`` maps question names to answers in the shapes of
    docs/surveys.md (a choice's value, a list for multiple choice and ranking, an object of
    row -> column for a matrix)."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, Any] = Field(examples=[{"nps": 9, "reason": "fast delivery"}])
    response_id: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="your id for this response; sending it again returns the stored response",
    )
    customer_id: str | None = Field(
        None,
        max_length=64,
        description="an existing customer's customer_id (ignored when the survey is anonymous)",
    )
    channel: str | None = Field(None, max_length=40, examples=["app"])
    touchpoint: str | None = Field(None, max_length=60)
    store: str | None = Field(None, max_length=40, examples=["sh-nanjingxilu"])
    staff: str | None = Field(
        None,
        max_length=40,
        examples=["SH-NJXL-01"],
        description="the code of the staff member who served the respondent; without a store "
        "the response counts in their store",
    )
    language: str | None = Field(None, max_length=10, examples=["zh-hans"])
    submitted_at: datetime | None = Field(None, description="when it was answered (default now)")

    @field_validator("submitted_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must include a time zone, e.g. 2025-03-01T14:30:00+08:00")
        return value


class ResponseOut(Schema):
    id: int
    survey_id: int
    completed_at: datetime


@router.post(
    "/surveys/{survey_id}/responses",
    auth=ApiKeyAuth(Scope.RESPONSES_WRITE),
    response={
        200: ResponseOut,
        201: ResponseOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="Submit a complete survey response",
    description=(
        "Checks every answer against the survey's current version and logic: an answer to a "
        "hidden question is discarded, a required visible question must be answered, a choice "
        "not offered is refused; 422 names each bad answer as answers.<question>. 201 with the "
        "new response; 200 with the stored one when response_id was sent before. 404 for an "
        "unknown survey, 409 when the survey is not open, past its close date or has reached "
        "its response cap. Scope: responses:write."
    ),
)
def post_response(request: HttpRequest, survey_id: int, payload: ResponseIn):
    survey = get_survey(survey_id)
    response, created = submit_complete_response(
        survey=survey,
        answers=payload.answers,
        customer_id=payload.customer_id,
        channel=payload.channel,
        touchpoint=payload.touchpoint,
        store=payload.store,
        staff=payload.staff,
        language=payload.language or "",
        submitted_at=payload.submitted_at,
        external_id=payload.response_id,
    )
    body = {
        "id": response.pk,
        "survey_id": response.survey_id,
        "completed_at": response.completed_at.astimezone(UTC),
    }
    return Status(201 if created else 200, body)
