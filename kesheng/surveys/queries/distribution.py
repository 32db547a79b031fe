"""Reads about distributions: their public link, QR code, widget snippet and statistics."""

import html
import io
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import segno
from django.db.models import Count, Q
from django.utils import timezone

from kesheng.customers.queries import get_segment, list_customers, segment_members
from kesheng.messaging.consent import allowed_customers
from kesheng.messaging.models import MessagePurpose
from kesheng.messaging.unsubscribe import public_url
from kesheng.surveys.models import (
    Distribution,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
)

QR_SCALE = 10
QR_BORDER = 4


def distribution_path(distribution: Distribution) -> str:
    """The survey's anonymous link tagged with the distribution: ``/s/<slug>/?d=<key>``, so a
    response through it carries the distribution's channel, touchpoint and store."""
    return f"/s/{distribution.survey.slug}/?{urlencode({'d': distribution.key})}"


def distribution_url(distribution: Distribution) -> str:
    return public_url(distribution_path(distribution))


def qr_code(distribution: Distribution, format: str = "png") -> bytes:
    """The distribution's link as a QR code, ``png`` (10 pixels a module, 4 modules of quiet
    zone: about 4 cm at 300 dpi for a short URL) or ``svg`` (scalable, for print; its title is
    the URL). Error correction M survives a smudged print."""
    if format not in ("png", "svg"):
        raise ValueError(f"format must be png or svg, not {format!r}")
    url = distribution_url(distribution)
    code = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    if format == "png":
        code.save(buffer, kind="png", scale=QR_SCALE, border=QR_BORDER)
    else:
        code.save(buffer, kind="svg", scale=QR_SCALE, border=QR_BORDER, title=url, unit="px")
    return buffer.getvalue()


def widget_snippet(distribution: Distribution) -> str:
    """HTML to paste into a website: a small script (served by this site, no other loads) that
    shows a floating button opening the survey, with a plain link for browsers without JS."""
    url = html.escape(distribution_url(distribution))
    script = html.escape(public_url("/static/kesheng/widget.js"))
    title = html.escape(distribution.survey.title)
    return (
        f'<script src="{script}" data-kesheng-survey="{url}" data-kesheng-label="{title}" '
        "async></script>\n"
        f'<noscript><a href="{url}" target="_blank" rel="noopener">{title}</a></noscript>'
    )


@dataclass(frozen=True)
class DistributionStats:
    """Counts of one distribution. For personal, email and SMS distributions they count
    invitations; for links, QR codes and widgets (no invitations) only responses.

    ``opened`` counts invitations whose link was followed (no tracking pixel: images are
    blocked by most mail apps, and a pixel reports on people without asking). ``response_rate``
    is completed / sent, None before anything was sent.
    """

    invited: int = 0
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    started: int = 0
    completed: int = 0
    skipped_consent: int = 0
    skipped_fatigue: int = 0
    failed: int = 0

    @property
    def response_rate(self) -> float | None:
        return self.completed / self.sent if self.sent else None


def distribution_stats(distribution_ids: list[int]) -> dict[int, DistributionStats]:
    """Statistics of many distributions in two GROUP BY queries (invitations, and responses for
    the distributions without invitations), whatever their number."""
    started = Q(started_at__isnull=False) | Q(completed_at__isnull=False)
    completed = Q(completed_at__isnull=False)
    opened = Q(opened_at__isnull=False) | started
    rows = (
        Invitation.objects.filter(distribution_id__in=distribution_ids)
        .values("distribution_id")
        .annotate(
            invited=Count("pk"),
            sent=Count("pk", filter=Q(sent_at__isnull=False) & ~Q(status=InvitationStatus.FAILED)),
            # A link followed proves the message arrived, whatever the backend reported.
            delivered=Count("pk", filter=Q(delivered_at__isnull=False) | opened),
            opened=Count("pk", filter=opened),
            started=Count("pk", filter=started),
            completed=Count("pk", filter=completed),
            skipped_consent=Count("pk", filter=Q(status=InvitationStatus.SKIPPED_CONSENT)),
            skipped_fatigue=Count("pk", filter=Q(status=InvitationStatus.SKIPPED_FATIGUE)),
            failed=Count("pk", filter=Q(status=InvitationStatus.FAILED)),
        )
        .order_by("distribution_id")
    )
    stats = {row.pop("distribution_id"): DistributionStats(**row) for row in rows}
    without_invitations = [pk for pk in distribution_ids if pk not in stats]
    if without_invitations:
        responses = (
            Response.objects.filter(distribution_id__in=without_invitations)
            .values("distribution_id")
            .annotate(
                started=Count("pk"),
                completed=Count("pk", filter=Q(status=ResponseStatus.COMPLETED)),
            )
            .order_by("distribution_id")
        )
        for row in responses:
            stats[row["distribution_id"]] = DistributionStats(
                started=row["started"], completed=row["completed"]
            )
    return {pk: stats.get(pk, DistributionStats()) for pk in distribution_ids}


def list_survey_distributions(survey_id: int) -> list[tuple[Distribution, DistributionStats]]:
    """A survey's distributions, newest first, each with its statistics (three queries)."""
    distributions = list(
        Distribution.objects.filter(survey_id=survey_id)
        .select_related("survey", "store", "touchpoint", "channel")
        .order_by("-created_at", "-pk")
    )
    stats = distribution_stats([distribution.pk for distribution in distributions])
    return [(distribution, stats[distribution.pk]) for distribution in distributions]


@dataclass(frozen=True)
class Audience:
    """Who an invitation to a filter would reach before fatigue: ``matching`` customers, of
    whom ``with_consent`` may be sent a survey on the channel."""

    matching: int
    with_consent: int


def count_audience(
    *, city: str = "", tag: str = "", segment_id: int | None = None, channel: str
) -> Audience:
    """How many customers the segment (``segment_id``) or else the filter (``city``, ``tag``,
    as in the customer list) selects and how many of them consented to surveys on ``channel``
    (two queries, plus one per 900 customers for consent)."""
    if segment_id is not None:
        selected = segment_members(get_segment(segment_id))
    elif city.strip() or tag.strip():
        selected = list_customers(city=city.strip(), tag=tag.strip())
    else:
        return Audience(matching=0, with_consent=0)
    pks = list(selected.order_by().values_list("pk", flat=True).distinct())
    allowed = allowed_customers(pks, channel=channel, purpose=MessagePurpose.SURVEYS)
    return Audience(matching=len(pks), with_consent=len(allowed))


def list_qr_distributions(survey_id: int, distribution_ids: list[int] | None = None):
    """The survey's QR-code distributions to print (all, or those with the given ids), in the
    order of their store code, then creation."""
    distributions = Distribution.objects.filter(survey_id=survey_id, kind="qr").select_related(
        "survey__current_version", "store", "touchpoint", "staff"
    )
    if distribution_ids is not None:
        distributions = distributions.filter(pk__in=distribution_ids)
    return list(distributions.order_by("store__code", "created_at", "pk"))


PERSONAL_LINK_COLUMNS = ("customer_id", "name", "language", "link", "expires_at", "status")
# Customers the fatigue rule (or consent) left out have a row but no link to hand out.
_LEFT_OUT = (InvitationStatus.SKIPPED_FATIGUE, InvitationStatus.SKIPPED_CONSENT)


@dataclass(frozen=True)
class PersonalLink:
    """One link of a personal-links distribution, as the download lists it."""

    customer_id: str
    name: str
    language: str
    link: str
    expires_at: datetime | None  # aware, in the business time zone
    status: str


def iter_personal_links(distribution: Distribution, *, now: datetime | None = None):
    """The links of a distribution to hand out, in the order they were made (customers the
    fatigue rule left out have none): the link absolute like ``invitation_url``, the expiry in
    the business time zone, the status as it is now (a link past its expiry and not completed
    is ``expired``). One query however many links, read in chunks, so a download of 100,000
    links never holds them all in memory."""
    now = now or timezone.now()
    rows = (
        Invitation.objects.filter(distribution=distribution)
        .exclude(status__in=_LEFT_OUT)
        .order_by("pk")
        .values_list(
            "customer__customer_id", "customer__name", "language", "token", "expires_at", "status"
        )
    )
    for customer_id, name, language, token, expires_at, status in rows.iterator(chunk_size=2000):
        if expires_at is not None and expires_at <= now and status != InvitationStatus.COMPLETED:
            status = InvitationStatus.EXPIRED
        yield PersonalLink(
            customer_id=customer_id,
            name=name,
            language=language,
            link=public_url(f"/r/{token}/"),
            expires_at=timezone.localtime(expires_at) if expires_at else None,
            status=str(status),
        )
