"""Reads for answering: a survey by its link name, a personal invitation by token, the response
a respondent resumes, and responses on the customer's timeline."""

from collections.abc import Callable

from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.query import get_related_populators
from django.utils.translation import gettext as _

from kesheng.core.errors import NotFound
from kesheng.customers.contributions import TimelineCursor, TimelineEntry, cursor_filter
from kesheng.surveys.models import (
    Distribution,
    Invitation,
    Response,
    ResponseStatus,
    Survey,
)

# Question types whose answers are scores the 360 page shows beside a response.
SCORE_TYPES = ("nps", "csat", "ces")


class _CompiledLookup:
    """A read the respondent pages run on every request, compiled to SQL by the ORM once per
    process and database and then run with new values. Building and compiling a query with a
    join costs the ORM about as much as the database takes to answer it (1-2 ms), and these
    lookups never change shape. The rows come back as the ORM would build them (converters,
    ``select_related`` objects), so callers see ordinary model instances.

    ``build`` receives one placeholder per name and returns the queryset (a plain model
    queryset with ``select_related`` at most: no annotations, no ``only``/``defer``).
    """

    def __init__(self, model: type, build: Callable[..., QuerySet], *names: str):
        self._model = model
        self._build = build
        self._names = names
        self._compiled: dict[tuple[str, str], tuple] = {}

    def _compile(self, alias: str) -> tuple:
        placeholders = {name: f"\x1f{name}\x1f" for name in self._names}
        queryset = self._build(**placeholders)
        # As ``.first()`` does: the model's ordering, else the primary key.
        queryset = (queryset if queryset.ordered else queryset.order_by("pk"))[:1]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        by_placeholder = {value: name for name, value in placeholders.items()}
        # Each parameter is either one of the values or a constant of the query itself.
        slots = [(by_placeholder.get(param), param) for param in params]
        if sorted(name for name, _constant in slots if name) != sorted(self._names):
            raise ValueError("every lookup value must reach the SQL exactly once, unchanged")
        klass_info = compiler.klass_info
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        attnames = [column[0].target.attname for column in compiler.select[first:last]]
        populators = get_related_populators(klass_info, compiler.select, alias)
        return compiler, sql, slots, (first, last), attnames, populators

    def first(self, **values: str):
        alias = router.db_for_read(self._model)
        connection = connections[alias]
        key = (alias, connection.vendor)
        if key not in self._compiled:
            self._compiled[key] = self._compile(alias)
        compiler, sql, slots, (first, last), attnames, populators = self._compiled[key]
        params = [values[name] if name else constant for name, constant in slots]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchmany(1)
        for row in compiler.results_iter([rows]):
            instance = compiler.klass_info["model"].from_db(alias, attnames, row[first:last])
            for populator in populators:
                populator.populate(row, instance)
            return instance
        return None


_SURVEY_BY_SLUG = _CompiledLookup(
    Survey, lambda slug: Survey.objects.select_related("current_version").filter(slug=slug), "slug"
)


def get_survey_by_slug(slug: str) -> Survey:
    """The survey of an anonymous link with its current version (one query)."""
    survey = _SURVEY_BY_SLUG.first(slug=slug)
    if survey is None or survey.current_version is None:
        raise NotFound(_("no survey with link name %(slug)s") % {"slug": slug}, field="slug")
    return survey


def get_survey(survey_id: int) -> Survey:
    survey = Survey.objects.select_related("current_version").filter(pk=survey_id).first()
    if survey is None or survey.current_version is None:
        raise NotFound(_("no survey with id %(id)s") % {"id": survey_id}, field="survey_id")
    return survey


def find_distribution(survey: Survey, key: str) -> Distribution | None:
    """The distribution a link's ``?d=`` names, if it belongs to the survey (else None: a
    mistyped key still lets the person answer, only without the attribution)."""
    if not key:
        return None
    return Distribution.objects.select_related("store").filter(survey=survey, key=key[:40]).first()


def get_invitation_by_token(token: str) -> Invitation:
    """The invitation of a personal link with its distribution, survey, version and customer
    (one query). Whether it is expired or used is for ``check_invitation_usable`` to say."""
    invitation = (
        Invitation.objects.select_related(
            "distribution__survey__current_version", "distribution__store", "customer"
        )
        .filter(token=token)
        .first()
        if token and len(token) <= 64
        else None
    )
    if invitation is None:
        raise NotFound(_("no invitation with this token"), field="token")
    return invitation


def _share_version(response: Response | None, survey: Survey) -> Response | None:
    """Most responses answer the survey's current version, already loaded with the survey:
    reuse it instead of reading (and decoding) the definition a second time."""
    if response is not None:
        response.survey = survey
        if response.version_id == survey.current_version_id:
            response.version = survey.current_version
    return response


def get_response_for_resume(*, survey: Survey, resume_key: str) -> Response | None:
    """The response whose resume key the respondent's cookie (or form) holds, in this survey
    (one query); None when there is none."""
    if not resume_key or len(resume_key) > 64:
        return None
    response = Response.objects.filter(survey=survey, resume_key=resume_key).first()
    return _share_version(response, survey)


_RESPONSE_BY_LINK = _CompiledLookup(
    Response,
    lambda slug, resume_key: Response.objects.select_related("survey__current_version").filter(
        survey__slug=slug, resume_key=resume_key
    ),
    "slug",
    "resume_key",
)


def get_response_by_link(*, slug: str, resume_key: str) -> Response | None:
    """The response of the survey with this link name whose resume key a submitted page holds,
    with its survey and current version, in one query (the common case of every page after
    the first); None when there is none."""
    if not resume_key or len(resume_key) > 64:
        return None
    response = _RESPONSE_BY_LINK.first(slug=slug, resume_key=resume_key)
    return _share_version(response, response.survey) if response is not None else None


def get_response_for_invitation(invitation: Invitation) -> Response | None:
    response = Response.objects.filter(invitation=invitation).first()
    return _share_version(response, invitation.distribution.survey)


def _scores(response: Response) -> dict:
    """nps / csat / ces answers of the response, keyed by question name."""
    from kesheng.surveys.definition import iter_questions

    scores = {}
    for _page, question in iter_questions(response.version.definition):
        if question.get("type") in SCORE_TYPES:
            value = response.answers.get(question["name"])
            if value is not None:
                scores[question["name"]] = {"type": question["type"], "value": value}
    return scores


def list_response_timeline(
    customer_pk: int, cursor: TimelineCursor | None, limit: int
) -> list[TimelineEntry]:
    """The customer's completed responses, newest first, for the timeline and 360 page."""
    responses = (
        Response.objects.filter(customer_id=customer_pk, status=ResponseStatus.COMPLETED)
        .filter(cursor_filter(cursor, kind="response", time_field="completed_at"))
        .select_related("survey", "version", "channel", "touchpoint", "store")
        .order_by("-completed_at", "-pk")[:limit]
    )
    return [
        TimelineEntry(
            kind="response",
            id=response.pk,
            occurred_at=response.completed_at,
            title=response.survey.title,
            channel=response.channel.code if response.channel else None,
            touchpoint=response.touchpoint.code if response.touchpoint else None,
            data={
                "survey_id": response.survey_id,
                "survey_title": response.survey.title,
                "scores": _scores(response),
                "store": response.store.code if response.store else None,
                "store_name": response.store.name if response.store else None,
                "channel_name": response.channel.name if response.channel else None,
                "touchpoint_name": response.touchpoint.name if response.touchpoint else None,
            },
        )
        for response in responses
    ]
