"""Reads for answering: a survey by its link name, a personal invitation by token, the response
a respondent resumes, and responses on the customer's timeline."""

from django.db.models import Q
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


def get_survey_by_slug(slug: str) -> Survey:
    """The survey of an anonymous link with its current version (one query)."""
    survey = Survey.objects.select_related("current_version").filter(slug=slug).first()
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


def get_response_by_link(*, slug: str, resume_key: str) -> Response | None:
    """The response of the survey with this link name whose resume key a submitted page holds,
    with its survey and current version, in one query (the common case of every page after
    the first); None when there is none."""
    if not resume_key or len(resume_key) > 64:
        return None
    response = (
        Response.objects.select_related("survey__current_version")
        .filter(survey__slug=slug, resume_key=resume_key)
        .first()
    )
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


def count_completed_responses(survey: Survey) -> int:
    return Response.objects.filter(Q(survey=survey) & Q(status=ResponseStatus.COMPLETED)).count()
