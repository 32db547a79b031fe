"""Surveys, their versions, distributions, personal invitations and responses.

The definition of a version is JSON in the format of docs/surveys.md ("the definition format").
A response keeps the version it answered; its answers are JSON keyed by question name, and, once
completed, are also spread into ``ResponseValue`` rows so metrics aggregate with GROUP BY.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kesheng.commerce.models import StaffMember, Store
from kesheng.core.models import TimestampedModel
from kesheng.customers.models import Customer
from kesheng.tracking.models import Channel, Touchpoint


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class Survey(TimestampedModel):
    slug = models.SlugField(_("link name"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=200)
    template_key = models.CharField(_("template"), max_length=60, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    is_anonymous = models.BooleanField(
        _("anonymous"), default=False, help_text=_("No link to a customer and no IP address.")
    )
    allow_resume = models.BooleanField(_("allow resume"), default=True)
    one_response_per_browser = models.BooleanField(_("one response per browser"), default=False)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    response_cap = models.PositiveIntegerField(_("response cap"), null=True, blank=True)
    current_version = models.ForeignKey(
        "SurveyVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current version"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class SurveyVersion(models.Model):
    """One immutable definition. Editing a survey that has responses makes a new version."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    definition = models.JSONField(_("definition"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("survey version")
        verbose_name_plural = _("survey versions")
        ordering = ["survey", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="survey_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number}"


class DistributionKind(models.TextChoices):
    LINK = "link", _("anonymous link")
    QR = "qr", _("QR code")
    PERSONAL = "personal", _("personal links")
    EMAIL = "email", _("email invitations")
    SMS = "sms", _("SMS invitations")
    WIDGET = "widget", _("website widget")


class Distribution(TimestampedModel):
    """One way a survey reaches people; its responses carry its channel, touchpoint, store and
    staff member."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="distributions")
    kind = models.CharField(_("kind"), max_length=10, choices=DistributionKind.choices)
    name = models.CharField(_("name"), max_length=200)
    key = models.SlugField(_("key"), max_length=40, unique=True)
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.PROTECT)
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.PROTECT)
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.PROTECT)
    # A QR code or link per staff member: its responses say who served the respondent.
    staff = models.ForeignKey(
        StaffMember,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="distributions",
        verbose_name=_("staff member"),
    )
    options = models.JSONField(_("options"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    OPENED = "opened", _("opened")
    STARTED = "started", _("started")
    COMPLETED = "completed", _("completed")
    FAILED = "failed", _("failed")
    SKIPPED_CONSENT = "skipped_consent", _("skipped: no consent")
    SKIPPED_FATIGUE = "skipped_fatigue", _("skipped: surveyed recently")
    EXPIRED = "expired", _("expired")


class Invitation(models.Model):
    """A personal, single-use link for one customer (``/r/<token>/``).

    The token is 32 random bytes (256 bits) in URL-safe base64, so it cannot be guessed.
    """

    distribution = models.ForeignKey(
        Distribution, on_delete=models.CASCADE, related_name="invitations"
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(_("token"), max_length=64, unique=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # A triggered invitation waits until this time (an order's survey a day after the order).
    send_after = models.DateTimeField(_("send after"), null=True, blank=True)
    # What caused a triggered invitation ("order:<order id>"): one invitation per cause.
    trigger_key = models.CharField(_("trigger"), max_length=120, blank=True)
    reminder_count = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["customer", "sent_at"], name="invitation_customer_sent_idx"),
            models.Index(fields=["distribution", "status"], name="invitation_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["distribution", "trigger_key"],
                condition=~models.Q(trigger_key=""),
                name="invitation_unique_trigger",
            )
        ]

    def __str__(self) -> str:
        return f"{self.distribution} → {self.customer}"


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("in progress")
    COMPLETED = "completed", _("completed")


class DeviceType(models.TextChoices):
    MOBILE = "mobile", _("mobile")
    TABLET = "tablet", _("tablet")
    DESKTOP = "desktop", _("desktop")
    UNKNOWN = "unknown", _("unknown")


class Response(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="responses")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    distribution = models.ForeignKey(
        Distribution, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ResponseStatus.choices,
        default=ResponseStatus.IN_PROGRESS,
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    current_page = models.CharField(_("current page"), max_length=64, blank=True)
    page_history = models.JSONField(_("pages visited"), default=list, blank=True)
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.PROTECT)
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.PROTECT)
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.PROTECT)
    staff = models.ForeignKey(
        StaffMember,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responses",
        verbose_name=_("staff member"),
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    device_type = models.CharField(
        _("device type"), max_length=10, choices=DeviceType.choices, default=DeviceType.UNKNOWN
    )
    # A random key kept in the respondent's cookie: resumes a closed tab, and enforces "one
    # response per browser" without storing anything that identifies the person.
    resume_key = models.CharField(_("resume key"), max_length=64, unique=True)
    external_id = models.CharField(
        _("external id"), max_length=100, null=True, blank=True, unique=True
    )
    started_at = models.DateTimeField(_("started at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["survey", "status", "completed_at"], name="response_survey_idx"),
            models.Index(fields=["customer", "completed_at"], name="response_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.survey} #{self.pk}"


class ResponseValue(models.Model):
    """One answer value of a completed response, flattened for aggregation in SQL.

    A single value gives one row; a multiple choice one row per chosen value; a matrix one row
    per answered row (``item`` = row value); a ranking one row per choice (``item`` = choice,
    ``number`` = rank). ``number`` holds numeric answers and scale points, ``text`` choice
    values and texts.
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="values")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    question = models.CharField(_("question"), max_length=64)
    item = models.CharField(_("item"), max_length=64, blank=True)
    number = models.FloatField(_("number"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("response value")
        verbose_name_plural = _("response values")
        indexes = [models.Index(fields=["survey", "question", "item"], name="value_question_idx")]

    def __str__(self) -> str:
        return f"{self.question}={self.number if self.number is not None else self.text}"
