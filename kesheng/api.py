"""The JSON API: composes each app's ninja Router under /api/v1/ and turns errors into 4xx.

Every refused request answers ``{"detail": "..."}``; field problems add
``"errors": [{"field": ..., "reason": ...}]``. Bad input never becomes a 500.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kesheng.analytics.api import router as analytics_router
from kesheng.cases.api import router as cases_router
from kesheng.commerce.api import router as commerce_router
from kesheng.core.api import StrictJsonParser
from kesheng.core.errors import Conflict, DomainError, InvalidInput, NotFound
from kesheng.customers.api import router as customers_router
from kesheng.feedback.api import router as feedback_router
from kesheng.loyalty.api import router as loyalty_router
from kesheng.loyalty.referral_api import router as referral_router
from kesheng.surveys.api import router as surveys_router
from kesheng.tracking.api import router as tracking_router

api = NinjaAPI(
    title="Kesheng API",
    version="1",
    description=(
        "Push customers, orders and touchpoint events into Kesheng and read customer profiles. "
        "Authenticate with 'Authorization: Bearer ks_...' (create a key with "
        "'kesheng apikey create --name NAME --scopes a,b'). See docs/api.md."
    ),
    urls_namespace="api-v1",
    parser=StrictJsonParser(),
)
api.add_router("", customers_router)
api.add_router("", tracking_router)
api.add_router("", commerce_router)
api.add_router("", surveys_router)
api.add_router("", analytics_router)
api.add_router("", loyalty_router)
api.add_router("", referral_router)
api.add_router("", feedback_router)
api.add_router("", cases_router)


def _field_path(location: tuple) -> str:
    """ninja's ("body", "payload", "lines", 0, "sku") as "lines[0].sku"."""
    source, *rest = location or ("body",)
    if source == "body" and rest:
        rest = rest[1:]  # the handler's parameter name means nothing to a client
    path = ""
    for part in rest:
        if part == "[key]":  # pydantic's marker for "the key itself", named by the part before
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or str(source)


def _errors_response(request: HttpRequest, errors: list[dict], status: int = 422) -> HttpResponse:
    detail = ngettext(
        "%(count)d field is invalid: %(fields)s",
        "%(count)d fields are invalid: %(fields)s",
        len(errors),
    ) % {"count": len(errors), "fields": ", ".join(error["field"] for error in errors)}
    return api.create_response(request, {"detail": detail, "errors": errors}, status=status)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": _field_path(tuple(error.get("loc", ()))), "reason": str(error.get("msg", ""))}
        for error in exc.errors
    ]
    return _errors_response(request, errors)


@api.exception_handler(InvalidInput)
def _invalid_input(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    return _errors_response(request, [error.as_dict() for error in exc.errors])


@api.exception_handler(NotFound)
def _not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=404)


@api.exception_handler(Conflict)
def _conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=409)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    body: dict = {"detail": exc.message}
    if exc.field:
        body["errors"] = [exc.as_dict()]
    return api.create_response(request, body, status=422)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    detail = str(exc)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # ninja hides why the body did not parse (outside DEBUG); the reason is safe to show.
        detail = _("cannot parse the body: %(reason)s") % {"reason": exc.__cause__}
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
    response["WWW-Authenticate"] = 'Bearer realm="kesheng"'
    return response


@api.exception_handler(OverflowError)
def _out_of_range(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    # Only input causes this (a date near year 1 or 9999 shifted across a time zone); the
    # parsers report it per field where they can, this is the safety net for the rest.
    return api.create_response(
        request, {"detail": _("a value is out of range: %(reason)s") % {"reason": exc}}, status=422
    )


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    from django.conf import settings

    return api.create_response(
        request,
        {
            "detail": _("the body is larger than %(limit)s bytes; send smaller batches")
            % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        },
        status=413,
    )
