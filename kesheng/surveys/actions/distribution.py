"""Getting a survey to people: distributions, personal invitations, sending, reminders,
triggers, schedules and the thank-you incentive.

Rules, documented in docs/surveys.md ("Sending surveys"):

- **Fatigue**: no customer is invited more than once in ``KESHENG_SURVEY_FATIGUE_DAYS`` days
  across all surveys. An invitation counts from the moment it is sent, and while it waits to be
  sent; skipped and failed invitations do not count. A customer inside the window gets an
  invitation row with status ``skipped_fatigue``, so the skip is visible.
- **Consent**: email and SMS invitations need the customer's consent for surveys on that channel
  (``messaging.consent``); without it the row is ``skipped_consent``. It is checked again when
  the message is sent.
- **Times**: every action takes ``now=`` so schedules, expiry and reminders can be tested
  without touching the clock.
"""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from kesheng.commerce.queries import list_customer_orders
from kesheng.core.errors import FieldError, InvalidInput, NotFound
from kesheng.core.events import emit
from kesheng.customers.models import Customer
from kesheng.customers.queries import (
    get_customer,
    get_segment,
    list_customers,
    map_customer_ids,
    segment_members,
)
from kesheng.messaging.actions import queue_message
from kesheng.messaging.consent import allowed_customers
from kesheng.messaging.models import MessageChannel, MessagePurpose, MessageStatus
from kesheng.messaging.unsubscribe import public_url
from kesheng.surveys.models import (
    Distribution,
    DistributionKind,
    Invitation,
    InvitationStatus,
    Response,
    Survey,
    SurveyStatus,
)

logger = logging.getLogger(__name__)

DEFAULT_EXPIRY_DAYS = 30
SEND_CHUNK_SIZE = 200
LANGUAGES = ("zh-hans", "en")
SENDING_KINDS = {
    DistributionKind.EMAIL: MessageChannel.EMAIL,
    DistributionKind.SMS: MessageChannel.SMS,
}
TRIGGERS = ("order_placed",)
SCHEDULE_EVERY = {"week": 0, "month": 1, "quarter": 3, "year": 12}
INVITATION_REFERENCE = "surveys.invitation:"
# An invitation in one of these states has reached (or is about to reach) the customer.
LIVE_STATUSES = (
    InvitationStatus.SENT,
    InvitationStatus.DELIVERED,
    InvitationStatus.OPENED,
    InvitationStatus.STARTED,
    InvitationStatus.COMPLETED,
)


# --- distributions -------------------------------------------------------------------------------


def _whole_number(options: dict, name: str, low: int, high: int, errors: list) -> None:
    value = options.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.append(FieldError(f"options.{name}", f"must be a whole number from {low} to {high}"))


def _check_segment(segment_id, name: str, errors: list) -> None:
    if isinstance(segment_id, bool) or not isinstance(segment_id, int):
        errors.append(FieldError(name, "must be the id of a segment"))
        return
    try:
        get_segment(segment_id)
    except NotFound:
        errors.append(FieldError(name, f"no segment with id {segment_id}"))


def validate_options(kind: str, options: dict) -> list[FieldError]:
    """Every problem of a distribution's options, by key (see docs/surveys.md)."""
    if not isinstance(options, dict):
        return [FieldError("options", "must be an object")]
    errors: list[FieldError] = []
    _whole_number(options, "expires_days", 1, 365, errors)
    _whole_number(options, "reminder_after_days", 1, 90, errors)
    _whole_number(options, "max_reminders", 0, 10, errors)
    _whole_number(options, "delay_hours", 0, 24 * 90, errors)
    sends = kind in SENDING_KINDS
    trigger = options.get("trigger")
    if trigger is not None and trigger not in TRIGGERS:
        errors.append(FieldError("options.trigger", f"must be one of {', '.join(TRIGGERS)}"))
    if (trigger or options.get("schedule") or options.get("max_reminders")) and not sends:
        errors.append(
            FieldError("options", "triggers, schedules and reminders need an email or SMS kind")
        )
    schedule = options.get("schedule")
    if schedule is not None:
        if not isinstance(schedule, dict) or schedule.get("every") not in SCHEDULE_EVERY:
            errors.append(
                FieldError("options.schedule.every", f"must be one of {', '.join(SCHEDULE_EVERY)}")
            )
        elif not isinstance(schedule.get("filter", {}), dict):
            errors.append(FieldError("options.schedule.filter", "must be an object"))
        elif schedule.get("segment") is not None:
            _check_segment(schedule["segment"], "options.schedule.segment", errors)
    incentive = options.get("incentive")
    if incentive is not None:
        codes = incentive.get("codes") if isinstance(incentive, dict) else None
        pattern = incentive.get("code_pattern") if isinstance(incentive, dict) else None
        valid_codes = (
            isinstance(codes, list)
            and codes
            and all(isinstance(code, str) and code.strip() for code in codes)
        )
        valid_pattern = isinstance(pattern, str) and "{code}" in pattern
        if not (valid_codes or valid_pattern):
            errors.append(
                FieldError(
                    "options.incentive",
                    'needs "codes" (a list of coupon codes) or "code_pattern" containing {code}',
                )
            )
    return errors


def create_distribution(
    *,
    survey: Survey,
    kind: str,
    name: str = "",
    store=None,
    touchpoint=None,
    channel=None,
    staff=None,
    options: dict | None = None,
    created_by=None,
) -> Distribution:
    """Create one way of reaching people with the survey: an anonymous link, a QR code (give
    the store, touchpoint or staff member so responses carry it; a staff member without a
    store brings their own store), personal links, email or SMS invitations, or a website
    widget. ``options`` (expiry, reminders, trigger, schedule, incentive) are validated;
    raises InvalidInput naming each problem. Emits ``distribution.created``."""
    options = dict(options or {})
    errors = []
    if kind not in DistributionKind.values:
        errors.append(FieldError("kind", f"must be one of {', '.join(DistributionKind.values)}"))
    errors.extend(validate_options(kind, options))
    if errors:
        raise InvalidInput(errors)
    if staff is not None and store is None:
        store = staff.store
    label = name.strip() or str(DistributionKind(kind).label)
    if store is not None and not name.strip():
        label = f"{label} · {store.name}"
    if staff is not None and not name.strip():
        label = f"{label} · {staff.name}"
    with transaction.atomic():
        distribution = Distribution.objects.create(
            survey=survey,
            kind=kind,
            name=label[:200],
            key=secrets.token_urlsafe(9),
            store=store,
            touchpoint=touchpoint,
            channel=channel,
            staff=staff,
            options=options,
            created_by=created_by,
        )
        emit("distribution.created", {"distribution_id": distribution.pk, "survey_id": survey.pk})
    return distribution


# --- invitations ---------------------------------------------------------------------------------


@dataclass
class InvitationBatch:
    """What ``create_invitations`` did, counted by outcome."""

    created: int = 0
    skipped_fatigue: int = 0
    skipped_consent: int = 0
    unknown_customer_ids: list[str] = field(default_factory=list)
    invitation_ids: list[int] = field(default_factory=list)


def _customer_language(attributes: dict | None) -> str:
    language = str((attributes or {}).get("language", "")).lower().replace("_", "-")
    if language.startswith("en"):
        return "en"
    if language.startswith("zh"):
        return "zh-hans"
    return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in LANGUAGES else "zh-hans"


def recently_invited(customer_pks: list[int], *, now: datetime) -> set[int]:
    """The customers the fatigue rule protects at ``now`` (one query per 900 customers)."""
    window_start = now - timedelta(days=settings.KESHENG_SURVEY_FATIGUE_DAYS)
    waiting = Q(status=InvitationStatus.PENDING) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    invited = Q(status__in=LIVE_STATUSES, sent_at__gt=window_start)
    blocked: set[int] = set()
    for start in range(0, len(customer_pks), 900):
        chunk = customer_pks[start : start + 900]
        blocked.update(
            Invitation.objects.filter(customer_id__in=chunk)
            .filter(waiting | invited)
            .values_list("customer_id", flat=True)
            .distinct()
        )
    return blocked


def _target_customer_pks(
    customer_ids: list[str] | None,
    customer_pks: list[int] | None,
    city: str,
    tag: str,
    segment_id: int | None = None,
) -> tuple[list[int], list[str]]:
    if segment_id is not None:
        members = segment_members(get_segment(segment_id)).order_by()
        return sorted(set(members.values_list("pk", flat=True))), []
    if customer_pks is not None:
        return sorted(set(customer_pks)), []
    if customer_ids is not None:
        found = map_customer_ids(customer_ids)
        unknown = sorted({str(value).strip() for value in customer_ids} - set(found))
        return sorted(set(found.values())), unknown
    if not city and not tag:
        raise InvalidInput(
            [
                FieldError(
                    "customers", "give a list of customer ids, a segment or a filter (city, tag)"
                )
            ]
        )
    selected = list_customers(city=city, tag=tag).order_by().values_list("pk", flat=True)
    return sorted(set(selected)), []


def create_invitations(
    *,
    distribution: Distribution,
    customer_ids: list[str] | None = None,
    customer_pks: list[int] | None = None,
    city: str = "",
    tag: str = "",
    segment_id: int | None = None,
    expires_days: int | None = None,
    send_after: datetime | None = None,
    trigger_key: str = "",
    respect_fatigue: bool = True,
    now: datetime | None = None,
) -> InvitationBatch:
    """Create a personal invitation (a single-use ``/r/<token>/`` link, 256 random bits) for
    each chosen customer: public ``customer_ids``, ``customer_pks``, the members of a segment
    (``segment_id``, counted now; NotFound for an unknown one) or a filter (``city``, ``tag``).
    Customers the fatigue rule protects get a ``skipped_fatigue`` row, and for email and SMS
    distributions customers without consent a ``skipped_consent`` row. Invitations
    expire after ``expires_days`` (the distribution's ``expires_days`` option, else 30). With
    ``trigger_key`` (one customer) the same cause never invites twice. ``respect_fatigue=False``
    is for a follow-up the customer's own request caused (the handling survey after their
    case closes): the fatigue rule is not applied to it. Bulk: a constant number
    of queries per 900 customers. Emits ``invitations.created``."""
    now = now or timezone.now()
    pks, unknown = _target_customer_pks(customer_ids, customer_pks, city, tag, segment_id)
    batch = InvitationBatch(unknown_customer_ids=unknown)
    if not pks:
        return batch
    if trigger_key and len(pks) != 1:
        raise InvalidInput(
            [FieldError("trigger_key", "a triggered invitation is for one customer")]
        )
    if (
        trigger_key
        and Invitation.objects.filter(distribution=distribution, trigger_key=trigger_key).exists()
    ):
        return batch
    days = expires_days or distribution.options.get("expires_days") or DEFAULT_EXPIRY_DAYS
    expires_at = max(now, send_after or now) + timedelta(days=days)
    blocked = recently_invited(pks, now=now) if respect_fatigue else set()
    channel = SENDING_KINDS.get(distribution.kind)
    allowed = (
        allowed_customers(pks, channel=channel, purpose=MessagePurpose.SURVEYS)
        if channel
        else set(pks)
    )
    languages = dict(Customer.objects.filter(pk__in=pks).values_list("pk", "attributes"))
    rows = []
    for pk in pks:
        if pk in blocked:
            status = InvitationStatus.SKIPPED_FATIGUE
            batch.skipped_fatigue += 1
        elif pk not in allowed:
            status = InvitationStatus.SKIPPED_CONSENT
            batch.skipped_consent += 1
        else:
            status = InvitationStatus.PENDING
            batch.created += 1
        rows.append(
            Invitation(
                distribution=distribution,
                customer_id=pk,
                token=secrets.token_urlsafe(32),
                status=status,
                language=_customer_language(languages.get(pk)),
                expires_at=expires_at,
                send_after=send_after,
                trigger_key=trigger_key,
            )
        )
    try:
        with transaction.atomic():
            created = Invitation.objects.bulk_create(rows, batch_size=1000)
            emit(
                "invitations.created",
                {
                    "distribution_id": distribution.pk,
                    "created": batch.created,
                    "skipped_fatigue": batch.skipped_fatigue,
                    "skipped_consent": batch.skipped_consent,
                },
            )
    except IntegrityError:
        if trigger_key:  # the same cause handled at the same moment elsewhere
            return InvitationBatch()
        raise
    if created and created[0].pk is not None:
        batch.invitation_ids = [row.pk for row in created if row.status == InvitationStatus.PENDING]
    else:  # databases that do not return ids from a bulk insert
        batch.invitation_ids = list(
            Invitation.objects.filter(
                distribution=distribution, token__in=[row.token for row in rows]
            )
            .filter(status=InvitationStatus.PENDING)
            .values_list("pk", flat=True)
        )
    return batch


# --- sending -------------------------------------------------------------------------------------


def invitation_url(invitation: Invitation) -> str:
    return public_url(f"/r/{invitation.token}/")


def _localized(text, language: str, fallback: str = "") -> str:
    if isinstance(text, dict):
        return text.get(language) or text.get("zh-hans") or next(iter(text.values()), fallback)
    return text or fallback


def survey_title(survey: Survey, language: str) -> str:
    definition = survey.current_version.definition if survey.current_version else {}
    return _localized(definition.get("title"), language, survey.title) or survey.title


def _message_context(invitation: Invitation, *, is_reminder: bool) -> dict:
    language = invitation.language or "zh-hans"
    customer = invitation.customer
    orders = list_customer_orders(customer.pk, limit=1)
    return {
        "customer_name": customer.name,
        "survey_title": survey_title(invitation.distribution.survey, language),
        "link": invitation_url(invitation),
        "last_order": orders[0] if orders else None,
        "expires_at": invitation.expires_at,
        "is_reminder": is_reminder,
    }


def _queue_invitation_message(
    invitation: Invitation, *, channel: str, now: datetime, reminder_number: int = 0
):
    """Render the invitation (or its reminder) in the customer's language and queue it."""
    context = _message_context(invitation, is_reminder=reminder_number > 0)
    with translation.override(invitation.language or "zh-hans"):
        subject = " ".join(
            render_to_string("surveys/email/invitation_subject.txt", context).split()
        )
        if channel == MessageChannel.EMAIL:
            body_text = render_to_string("surveys/email/invitation.txt", context)
            body_html = render_to_string("surveys/email/invitation.html", context)
        else:
            body_text = " ".join(
                render_to_string("surveys/email/invitation_sms.txt", context).split()
            )
            body_html = ""
    key = f"{INVITATION_REFERENCE}{invitation.pk}"
    if reminder_number:
        key = f"surveys.reminder:{invitation.pk}:{reminder_number}"
    return queue_message(
        customer=invitation.customer,
        channel=channel,
        purpose=MessagePurpose.SURVEYS,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        language=invitation.language,
        idempotency_key=key,
        # Only the invitation itself updates the invitation's status; reminders do not.
        reference=key if not reminder_number else "",
        now=now,
    )


def send_invitation_batch(
    *,
    distribution: Distribution,
    now: datetime | None = None,
    limit: int = SEND_CHUNK_SIZE,
    invitation_ids: list[int] | None = None,
) -> int:
    """Send up to ``limit`` pending invitations of the distribution that are due (no
    ``send_after``, or one that has passed): each becomes an outbox message (consent checked
    there) and the invitation ``sent``, ``skipped_consent`` or ``failed``; expired ones become
    ``expired``. Returns how many it handled, so a caller loops until 0."""
    now = now or timezone.now()
    channel = SENDING_KINDS.get(distribution.kind)
    if channel is None:
        raise InvalidInput(
            [FieldError("distribution", "only email and SMS distributions send invitations")]
        )
    with transaction.atomic():
        pending = (
            Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(distribution=distribution, status=InvitationStatus.PENDING)
            .filter(Q(send_after__isnull=True) | Q(send_after__lte=now))
        )
        if invitation_ids is not None:
            pending = pending.filter(pk__in=invitation_ids)
        chunk = list(
            pending.select_related("customer", "distribution__survey__current_version").order_by(
                "pk"
            )[:limit]
        )
        for invitation in chunk:
            if invitation.expires_at is not None and invitation.expires_at <= now:
                invitation.status = InvitationStatus.EXPIRED
                continue
            message = _queue_invitation_message(invitation, channel=channel, now=now)
            if message.status == MessageStatus.SUPPRESSED:
                invitation.status = InvitationStatus.SKIPPED_CONSENT
            elif message.status == MessageStatus.FAILED:
                invitation.status = InvitationStatus.FAILED
                invitation.error = message.error[:300]
            else:
                invitation.status = InvitationStatus.SENT
                invitation.sent_at = now
        Invitation.objects.bulk_update(chunk, ["status", "sent_at", "error"], batch_size=500)
    return len(chunk)


def send_invitations(*, distribution: Distribution) -> None:
    """Send the distribution's pending invitations in the background: enqueues the task
    ``kesheng.surveys.send_invitations`` after commit, which sends in chunks, so 10,000
    invitations never hold up a web request (without a broker the task runs in a background
    thread: ``tasks.start_sending_invitations``)."""
    if distribution.kind not in SENDING_KINDS:
        raise InvalidInput(
            [FieldError("distribution", "only email and SMS distributions send invitations")]
        )
    if distribution.survey.status != SurveyStatus.OPEN:
        raise InvalidInput([FieldError("survey", "open the survey before sending invitations")])

    def enqueue() -> None:
        from kesheng.surveys.tasks import start_sending_invitations

        start_sending_invitations(distribution.pk)

    transaction.on_commit(enqueue)


def send_due_invitations(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Send triggered invitations whose time has come, across distributions (the periodic
    sweep behind countdown tasks, and how delays work without a worker). Returns the count."""
    now = now or timezone.now()
    due = (
        Invitation.objects.filter(
            status=InvitationStatus.PENDING,
            send_after__lte=now,
            distribution__kind__in=list(SENDING_KINDS),
            distribution__survey__status=SurveyStatus.OPEN,
        )
        .values_list("distribution_id", flat=True)
        .distinct()
    )
    handled = 0
    for distribution in Distribution.objects.filter(pk__in=list(due)).select_related("survey"):
        while handled < limit:
            count = send_invitation_batch(distribution=distribution, now=now)
            handled += count
            if count == 0:
                break
    return handled


def record_message_outcome(payload: dict) -> None:
    """Subscriber of ``message.sent``, ``message.delivered`` and ``message.failed``: moves the
    invitation a message belongs to forward (never back: a started survey stays started)."""
    reference = payload.get("reference") or ""
    if not reference.startswith(INVITATION_REFERENCE):
        return
    invitation_pk = int(reference.removeprefix(INVITATION_REFERENCE))
    invitations = Invitation.objects.filter(pk=invitation_pk)
    now = timezone.now()
    if payload.get("status") in (MessageStatus.FAILED, MessageStatus.SUPPRESSED):
        status = (
            InvitationStatus.SKIPPED_CONSENT
            if payload["status"] == MessageStatus.SUPPRESSED
            else InvitationStatus.FAILED
        )
        invitations.filter(status__in=[InvitationStatus.PENDING, InvitationStatus.SENT]).update(
            status=status, error=(payload.get("error") or "")[:300]
        )
    elif payload.get("delivered"):
        invitations.filter(delivered_at__isnull=True).update(delivered_at=now)
        invitations.filter(status__in=[InvitationStatus.PENDING, InvitationStatus.SENT]).update(
            status=InvitationStatus.DELIVERED
        )


# --- reminders -----------------------------------------------------------------------------------


def send_reminders(*, distribution: Distribution, now: datetime | None = None) -> int:
    """Remind customers who have not completed the survey: ``reminder_after_days`` (default 3)
    after the invitation or the last reminder, at most ``max_reminders`` times (option; 0 or
    absent: no reminders), never after the link expired. A customer who withdrew consent is not
    reminded again. Returns how many reminders were queued."""
    now = now or timezone.now()
    maximum = int(distribution.options.get("max_reminders") or 0)
    channel = SENDING_KINDS.get(distribution.kind)
    if not maximum or channel is None:
        return 0
    cutoff = now - timedelta(days=int(distribution.options.get("reminder_after_days") or 3))
    with transaction.atomic():
        due = list(
            Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                distribution=distribution,
                status__in=[
                    InvitationStatus.SENT,
                    InvitationStatus.DELIVERED,
                    InvitationStatus.OPENED,
                    InvitationStatus.STARTED,
                ],
                completed_at__isnull=True,
                reminder_count__lt=maximum,
            )
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .filter(
                Q(last_reminded_at__isnull=True, sent_at__lte=cutoff)
                | Q(last_reminded_at__lte=cutoff)
            )
            .select_related("customer", "distribution__survey__current_version")
            .order_by("pk")
        )
        queued = 0
        for invitation in due:
            message = _queue_invitation_message(
                invitation, channel=channel, now=now, reminder_number=invitation.reminder_count + 1
            )
            if message.status == MessageStatus.QUEUED or message.status == MessageStatus.SENT:
                invitation.reminder_count += 1
                invitation.last_reminded_at = now
                queued += 1
            else:  # no consent any more, or no address: stop reminding
                invitation.reminder_count = maximum
        Invitation.objects.bulk_update(due, ["reminder_count", "last_reminded_at"], batch_size=500)
    return queued


def send_due_reminders(*, now: datetime | None = None) -> int:
    """Reminders for every open survey's email and SMS distributions (the hourly task)."""
    total = 0
    for distribution in Distribution.objects.filter(
        kind__in=list(SENDING_KINDS), survey__status=SurveyStatus.OPEN
    ).select_related("survey"):
        if distribution.options.get("max_reminders"):
            total += send_reminders(distribution=distribution, now=now)
    return total


# --- triggers and schedules ----------------------------------------------------------------------


def invite_after_order(payload: dict) -> None:
    """Subscriber of ``order.placed``: every open email/SMS distribution with the option
    ``{"trigger": "order_placed", "delay_hours": N}`` invites the order's customer once per
    order, to be sent N hours after the order was placed (a countdown task, and the sweep
    ``send_due_invitations`` as the safety net)."""
    distributions = [
        distribution
        for distribution in Distribution.objects.filter(
            kind__in=list(SENDING_KINDS), survey__status=SurveyStatus.OPEN
        ).select_related("survey")
        if distribution.options.get("trigger") == "order_placed"
    ]
    if not distributions:
        return
    try:
        customer = get_customer(payload["customer_id"])
    except NotFound:
        return
    ordered_at = parse_datetime(payload.get("ordered_at") or "") or timezone.now()
    for distribution in distributions:
        send_after = ordered_at + timedelta(hours=int(distribution.options.get("delay_hours", 0)))
        batch = create_invitations(
            distribution=distribution,
            customer_pks=[customer.pk],
            send_after=send_after,
            trigger_key=f"order:{payload['order_id']}",
        )
        for invitation_id in batch.invitation_ids:
            _schedule_send(invitation_id, send_after)


def _schedule_send(invitation_id: int, send_after: datetime) -> None:
    def enqueue() -> None:
        from kesheng.surveys.tasks import send_invitation_task

        try:
            send_invitation_task.apply_async((invitation_id,), eta=send_after)
        except Exception:  # broker down: send_due_invitations picks it up when due
            logger.exception("could not schedule invitation %s", invitation_id)

    transaction.on_commit(enqueue)


def send_invitation(*, invitation_id: int, now: datetime | None = None) -> bool:
    """Send one pending invitation if it is due (the countdown task); True if it went out."""
    invitation = (
        Invitation.objects.filter(pk=invitation_id).select_related("distribution__survey").first()
    )
    if invitation is None or invitation.distribution.survey.status != SurveyStatus.OPEN:
        return False
    handled = send_invitation_batch(
        distribution=invitation.distribution, now=now, limit=1, invitation_ids=[invitation_id]
    )
    return handled == 1


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in (moment.day, 30, 29, 28):  # the 31st of a shorter month: its last day
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError(moment)


def next_run(moment: datetime, every: str) -> datetime:
    months = SCHEDULE_EVERY[every]
    return moment + timedelta(days=7) if months == 0 else _add_months(moment, months)


def run_due_distributions(*, now: datetime | None = None) -> int:
    """Scheduled sends: each open email/SMS distribution with the option ``{"schedule":
    {"every": "week|month|quarter|year", "segment": id, "filter": {"city": ..., "tag": ...},
    "next_run_at": ISO time}}`` whose time has come invites the members of the segment as they
    are at that moment (or, without a segment, the customers the filter selects; fatigue and
    consent apply) and sends; ``next_run_at`` moves on by one period (missing:
    run now). Returns how many distributions ran."""
    now = now or timezone.now()
    ran = 0
    candidates = Distribution.objects.filter(
        kind__in=list(SENDING_KINDS), survey__status=SurveyStatus.OPEN
    ).values_list("pk", "options")
    for pk, options in candidates:
        schedule = (options or {}).get("schedule")
        if not schedule:
            continue
        due_at = parse_datetime(schedule.get("next_run_at") or "")
        if due_at is not None and due_at > now:
            continue
        with transaction.atomic():
            distribution = (
                Distribution.objects.select_for_update(of=("self",))
                .select_related("survey")
                .get(pk=pk)
            )
            schedule = dict(distribution.options.get("schedule") or {})
            due_at = parse_datetime(schedule.get("next_run_at") or "")
            if due_at is not None and due_at > now:
                continue  # another beat ran it a moment ago
            run_filter = schedule.get("filter") or {}
            try:
                batch = create_invitations(
                    distribution=distribution,
                    city=str(run_filter.get("city", "")),
                    tag=str(run_filter.get("tag", "")),
                    segment_id=schedule.get("segment"),
                    now=now,
                )
            except NotFound:  # deleting a segment in use is refused; this is the safety net
                logger.warning("distribution %s: its segment no longer exists", pk)
                batch = InvitationBatch()
            schedule["next_run_at"] = next_run(due_at or now, schedule["every"]).isoformat()
            schedule["last_run_at"] = now.isoformat()
            distribution.options = {**distribution.options, "schedule": schedule}
            distribution.save(update_fields=["options", "updated_at"])
            if batch.created:
                send_invitations(distribution=distribution)
        ran += 1
    return ran


# --- incentive -----------------------------------------------------------------------------------


def _issue_code(distribution: Distribution, response_id: int) -> str | None:
    """The coupon code of one response: the next unused code of the pool, or the pattern
    filled with a random part; the same response always gets the same code."""
    incentive = distribution.options.get("incentive") or {}
    issued = dict(distribution.options.get("issued_codes") or {})
    if str(response_id) in issued:
        return issued[str(response_id)]
    if incentive.get("codes"):
        used = set(issued.values())
        code = next((code for code in incentive["codes"] if code not in used), None)
        if code is None:
            logger.warning("distribution %s has no coupon codes left", distribution.pk)
            return None
    else:
        code = incentive["code_pattern"].replace("{code}", secrets.token_hex(4).upper())
    issued[str(response_id)] = code
    distribution.options = {**distribution.options, "issued_codes": issued}
    distribution.save(update_fields=["options", "updated_at"])
    return code


def send_incentive(payload: dict) -> None:
    """Subscriber of ``response.completed``: when the response's distribution has an
    ``incentive`` option and the response has a customer, issue a coupon code and queue a
    thank-you message carrying it (email unless the distribution is SMS). Once per response."""
    response = (
        Response.objects.filter(pk=payload.get("response_id"))
        .select_related("customer", "survey__current_version")
        .first()
    )
    if response is None or response.customer is None or response.distribution_id is None:
        return
    with transaction.atomic():
        distribution = Distribution.objects.select_for_update().get(pk=response.distribution_id)
        if not distribution.options.get("incentive"):
            return
        code = _issue_code(distribution, response.pk)
        if code is None:
            return
        language = response.language if response.language in LANGUAGES else "zh-hans"
        channel = (
            MessageChannel.SMS
            if distribution.kind == DistributionKind.SMS
            else MessageChannel.EMAIL
        )
        context = {
            "customer_name": response.customer.name,
            "survey_title": survey_title(response.survey, language),
            "code": code,
        }
        with translation.override(language):
            subject = " ".join(
                render_to_string("surveys/email/thank_you_subject.txt", context).split()
            )
            template = "thank_you.txt" if channel == MessageChannel.EMAIL else "thank_you_sms.txt"
            body_text = render_to_string(f"surveys/email/{template}", context)
            body_html = (
                render_to_string("surveys/email/thank_you.html", context)
                if channel == MessageChannel.EMAIL
                else ""
            )
        queue_message(
            customer=response.customer,
            channel=channel,
            purpose=MessagePurpose.SURVEYS,
            subject=subject,
            body_text=body_text,
            body_html=body_html,
            language=language,
            idempotency_key=f"surveys.incentive:{response.pk}",
        )


# --- what the staff pages do in one step ---------------------------------------------------------


def create_qr_distributions(
    *, survey: Survey, stores: list, touchpoint=None, staff: list = (), created_by=None
) -> list[Distribution]:
    """One ``qr`` distribution per store and one per staff member (carrying their store), each
    carrying the touchpoint too when given, or a single one for the touchpoint when neither is
    given, all in one transaction: print one code per place or person, and each response says
    where it came from and who served. Emits ``distribution.created`` each."""
    if not stores and not staff and touchpoint is None:
        raise InvalidInput([FieldError("stores", "choose at least one store or a touchpoint")])
    with transaction.atomic():
        if not stores and not staff:
            name = str(DistributionKind.QR.label) + f" · {touchpoint.name}"
            return [
                create_distribution(
                    survey=survey,
                    kind=DistributionKind.QR,
                    name=name,
                    touchpoint=touchpoint,
                    created_by=created_by,
                )
            ]
        per_store = [
            create_distribution(
                survey=survey,
                kind=DistributionKind.QR,
                store=store,
                touchpoint=touchpoint,
                created_by=created_by,
            )
            for store in stores
        ]
        per_staff_member = [
            create_distribution(
                survey=survey,
                kind=DistributionKind.QR,
                staff=member,
                touchpoint=touchpoint,
                created_by=created_by,
            )
            for member in staff
        ]
        return per_store + per_staff_member


def invite_segment(
    *,
    survey: Survey,
    kind: str,
    city: str = "",
    tag: str = "",
    segment_id: int | None = None,
    name: str = "",
    options: dict | None = None,
    created_by=None,
    now: datetime | None = None,
) -> tuple[Distribution, InvitationBatch]:
    """Invite the members of a segment (``segment_id``) or the customers a filter selects
    (``city`` and/or ``tag``, as in the customer list) by email or SMS in one step: create the
    distribution with its ``options`` (expiry, reminders), create the invitations (fatigue and
    consent apply) and enqueue the sending (``send_invitations``), all or nothing. Raises
    InvalidInput for a survey that is not open, a kind that does not send, an unknown segment,
    neither segment nor filter, or bad options. Emits ``distribution.created`` and
    ``invitations.created``."""
    errors = []
    if kind not in SENDING_KINDS:
        errors.append(FieldError("kind", "must be email or sms"))
    if survey.status != SurveyStatus.OPEN:
        errors.append(FieldError("survey", "open the survey before sending invitations"))
    if segment_id is not None:
        _check_segment(segment_id, "segment", errors)
    elif not city.strip() and not tag.strip():
        errors.append(FieldError("customers", "give a segment or a filter (city, tag)"))
    if errors:
        raise InvalidInput(errors)
    options = dict(options or {})
    with transaction.atomic():
        distribution = create_distribution(
            survey=survey, kind=kind, name=name, options=options, created_by=created_by
        )
        batch = create_invitations(
            distribution=distribution,
            city=city.strip(),
            tag=tag.strip(),
            segment_id=segment_id,
            now=now,
        )
        if batch.created:
            send_invitations(distribution=distribution)
    return distribution, batch


def create_personal_links(
    *,
    survey: Survey,
    segment_id: int | None = None,
    city: str = "",
    tag: str = "",
    customer_ids: list[str] | None = None,
    skip_unknown: bool = False,
    name: str = "",
    expires_days: int | None = None,
    created_by=None,
    now: datetime | None = None,
) -> tuple[Distribution, InvitationBatch]:
    """Make a personal-links distribution whose single-use links the business hands out
    through its own channels (a WeChat service account, its CRM, letters): one link per member
    of a segment (``segment_id``), per customer a filter selects (``city``, ``tag``), or per
    customer id of a list (``customer_ids``; an id listed twice gets one link). Nothing is sent
    and no consent is checked (Kesheng delivers nothing); the fatigue rule applies as for email
    (those it protects get a ``skipped_fatigue`` row and no link to hand out). The links are
    handed out from now, so they are ``sent`` at ``now`` and count for fatigue from then. A list
    with ids that are not customers is refused, with a ``customer_ids.<position>`` error (1 =
    the first id) for each, and nothing is created, unless ``skip_unknown`` (then they are left
    out and listed in ``unknown_customer_ids``); an audience of nobody is refused too. All or
    nothing. Emits ``distribution.created`` and ``invitations.created``."""
    now = now or timezone.now()
    errors = []
    if survey.status != SurveyStatus.OPEN:
        errors.append(FieldError("survey", "open the survey before sending invitations"))
    listed = customer_ids is not None
    has_filter = bool(city.strip() or tag.strip())
    if listed and (segment_id is not None or has_filter):
        errors.append(FieldError("customers", "give a segment, a filter or a list, not several"))
    elif segment_id is not None:
        _check_segment(segment_id, "segment", errors)
    elif not listed and not has_filter:
        errors.append(FieldError("customers", "give a segment, a filter (city, tag) or a list"))
    elif listed and not customer_ids:
        errors.append(FieldError("customer_ids", "the list is empty"))
    if errors:
        raise InvalidInput(errors)
    customer_pks = None
    unknown: list[str] = []
    if listed:
        wanted = [str(value).strip() for value in customer_ids]
        found = map_customer_ids(wanted)
        missing = [
            (position, value) for position, value in enumerate(wanted, 1) if value not in found
        ]
        if missing and not skip_unknown:
            raise InvalidInput(
                [
                    FieldError(f"customer_ids.{position}", f"unknown customer id {value}")
                    for position, value in missing
                ]
            )
        unknown = sorted({value for _, value in missing})
        customer_pks = [found[value] for value in wanted if value in found]
    options = {"expires_days": expires_days} if expires_days else {}
    with transaction.atomic():
        distribution = create_distribution(
            survey=survey,
            kind=DistributionKind.PERSONAL,
            name=name,
            options=options,
            created_by=created_by,
        )
        batch = create_invitations(
            distribution=distribution,
            customer_pks=customer_pks,
            city="" if listed else city.strip(),
            tag="" if listed else tag.strip(),
            segment_id=None if listed else segment_id,
            now=now,
        )
        if not batch.created and not batch.skipped_fatigue:
            # Raised inside the transaction: the empty distribution is undone.
            raise InvalidInput([FieldError("customers", "no customer matches")])
        # Kesheng's part ends here: the links are the business's to hand out from now on.
        Invitation.objects.filter(
            distribution=distribution, status=InvitationStatus.PENDING
        ).update(status=InvitationStatus.SENT, sent_at=now)
    batch.unknown_customer_ids = unknown
    return distribution, batch
