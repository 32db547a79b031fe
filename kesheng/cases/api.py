"""JSON API of case management: list, read and open cases; reply to the customer and resolve.
Scopes ``cases:read`` and ``cases:write``."""

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import BaseModel, ConfigDict, Field

from kesheng.accounts.api_auth import ApiKeyAuth
from kesheng.accounts.models import Scope
from kesheng.cases import actions
from kesheng.cases.actions import MAX_NOTE_LENGTH
from kesheng.cases.actions.replies import AUTO, REPLY_CHANNELS
from kesheng.cases.models import Case, CaseCategory, CaseStatus, Urgency
from kesheng.cases.queries import OPEN, get_case, list_case_history, list_cases_after
from kesheng.core.api import ErrorOut
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.customers.queries import get_customer

router = Router(tags=["cases"])
STATUS_FILTERS = (OPEN, *CaseStatus.values)


class CaseOut(BaseModel):
    id: int
    customer_id: str | None
    category: str
    urgency: str
    status: str
    store: str | None
    assignee: str | None
    summary: str
    opened_at: datetime
    first_response_due: datetime
    resolution_due: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None
    first_response_breached: bool
    resolution_breached: bool
    feedback_id: int | None
    response_id: int | None


class CaseEventOut(BaseModel):
    kind: str
    at: datetime
    by: str | None
    from_value: str
    to_value: str
    text: str


class CaseDetailOut(CaseOut):
    history: list[CaseEventOut]


class CasePageOut(BaseModel):
    items: list[CaseOut]
    next: int | None


class CaseListParams(Schema):
    customer_id: str | None = Field(None, max_length=64, description="a customer's public id")
    status: str | None = Field(None, description=f"one of {', '.join(STATUS_FILTERS)}")
    after: int | None = Field(None, ge=0, description="the last id of the previous page")
    limit: int = Field(100, ge=1, le=1000)


class CaseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    category: CaseCategory
    summary: str = Field(min_length=1, max_length=MAX_NOTE_LENGTH)
    urgency: Urgency = Urgency.P3
    customer_id: str | None = Field(None, max_length=64)
    store: str | None = Field(None, max_length=40, description="a store code")
    feedback_id: int | None = Field(None, ge=1, description="the feedback item it is about")


class ReplyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        "",
        max_length=MAX_NOTE_LENGTH,
        description="the reply; placeholders such as {customer_name} are filled in",
    )
    template: str = Field("", max_length=60, description="a reply template's key")
    channel: str = Field(
        AUTO,
        description=f"one of {', '.join(REPLY_CHANNELS)}; auto: email, else SMS, else recorded",
    )
    subject: str = Field("", max_length=200, description="the email subject")


class ResolveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=MAX_NOTE_LENGTH)


def _case_out(case: Case) -> dict:
    return {
        "id": case.pk,
        "customer_id": case.customer.customer_id if case.customer else None,
        "category": case.category,
        "urgency": case.urgency,
        "status": case.status,
        "store": case.store.code if case.store else None,
        "assignee": case.assignee.get_username() if case.assignee else None,
        "summary": case.summary,
        "opened_at": case.opened_at,
        "first_response_due": case.first_response_due,
        "resolution_due": case.resolution_due,
        "first_responded_at": case.first_responded_at,
        "resolved_at": case.resolved_at,
        "first_response_breached": case.first_response_breached_at is not None,
        "resolution_breached": case.resolution_breached_at is not None,
        "feedback_id": case.feedback_item_id,
        "response_id": case.response_id,
    }


def _detail_out(case: Case) -> dict:
    return {
        **_case_out(case),
        "history": [
            {
                "kind": event.kind,
                "at": event.created_at,
                "by": event.actor.get_username() if event.actor else None,
                "from_value": event.from_value,
                "to_value": event.to_value,
                "text": event.text,
            }
            for event in list_case_history(case)
        ],
    }


@router.get(
    "/cases",
    auth=ApiKeyAuth(Scope.CASES_READ),
    response={200: CasePageOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="List cases",
    description=(
        "Oldest first; pass the returned next as after for the next page. status=open gives "
        "every open status (new, acknowledged, in progress, waiting on customer, reopened). "
        "Scope: cases:read."
    ),
)
def get_cases(request: HttpRequest, params: Query[CaseListParams]):
    if params.status and params.status not in STATUS_FILTERS:
        raise InvalidInput(
            [
                FieldError(
                    "status",
                    _("%(value)r is not one of %(allowed)s")
                    % {"value": params.status, "allowed": ", ".join(STATUS_FILTERS)},
                )
            ]
        )
    customer_pk = get_customer(params.customer_id).pk if params.customer_id else None
    cases = list_cases_after(
        after_id=params.after,
        limit=params.limit,
        status=params.status or "",
        customer_pk=customer_pk,
    )
    return {
        "items": [_case_out(case) for case in cases],
        "next": cases[-1].pk if len(cases) == params.limit else None,
    }


@router.get(
    "/cases/{case_id}",
    auth=ApiKeyAuth(Scope.CASES_READ),
    response={200: CaseDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="One case with its history",
)
def get_one_case(request: HttpRequest, case_id: int):
    return _detail_out(get_case(case_id, store_ids=None))


@router.post(
    "/cases",
    auth=ApiKeyAuth(Scope.CASES_WRITE),
    response={
        201: CaseDetailOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Open a case",
    description=(
        "Opens a case by hand; its deadlines come from the first matching SLA policy. 409 when "
        "the customer already has an open case for this category. Scope: cases:write."
    ),
)
def post_case(request: HttpRequest, payload: CaseIn):
    case = actions.open_case_by_hand(
        category=payload.category,
        urgency=payload.urgency,
        summary=payload.summary,
        customer_id=payload.customer_id,
        store_code=payload.store,
        feedback_item_id=payload.feedback_id,
    )
    return Status(201, _detail_out(get_case(case.pk, store_ids=None)))


@router.post(
    "/cases/{case_id}/reply",
    auth=ApiKeyAuth(Scope.CASES_WRITE),
    response={200: CaseDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Reply to the customer",
    description=(
        "Sends the text (or a reply template's, placeholders filled) by email or SMS as a "
        "service message (consent checked) and records it; counts as the first response. 422 "
        "for a closed case (status), an unknown template (template), no text (text), or a "
        "channel the customer cannot be reached on or refused (channel). Scope: cases:write."
    ),
)
def reply(request: HttpRequest, case_id: int, payload: ReplyIn):
    case = get_case(case_id, store_ids=None)
    actions.reply_to_customer(
        case=case,
        actor=None,
        text=payload.text,
        template_key=payload.template,
        channel=payload.channel,
        subject=payload.subject,
    )
    return _detail_out(get_case(case_id, store_ids=None))


@router.post(
    "/cases/{case_id}/resolve",
    auth=ApiKeyAuth(Scope.CASES_WRITE),
    response={200: CaseDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Resolve a case",
    description=(
        "Resolves the case and tells the customer (email, else SMS; a service message). "
        "Refused (422, field status) if the case cannot be resolved from its status."
    ),
)
def resolve(request: HttpRequest, case_id: int, payload: ResolveIn):
    case = get_case(case_id, store_ids=None)
    actions.resolve_case(case=case, actor=None, note=payload.note)
    return _detail_out(get_case(case_id, store_ids=None))
