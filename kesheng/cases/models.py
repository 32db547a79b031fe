"""Cases: a complaint or a detractor's answer that someone must handle within a deadline.

A ``Case`` belongs to a customer (when known) and a cause (its category), points at what
opened it (a feedback item and/or a survey response), carries its urgency, store, team and
assignee, and walks through the statuses in ``ALLOWED_TRANSITIONS``. Its two deadlines (first
response, resolution) are computed from the matching ``SlaPolicy`` when it opens and stored with
the terms they came from, so a restart loses nothing and a later change of the policy does not
rewrite a case's past. Every change and note is a ``CaseEvent``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kesheng.commerce.models import Store
from kesheng.customers.models import Customer
from kesheng.feedback.models import FeedbackItem
from kesheng.surveys.models import Response


class CaseStatus(models.TextChoices):
    NEW = "new", _("new")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    IN_PROGRESS = "in_progress", pgettext_lazy("case status", "in progress")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("waiting on customer")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")
    REOPENED = "reopened", _("reopened")


OPEN_STATUSES = (
    CaseStatus.NEW,
    CaseStatus.ACKNOWLEDGED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.WAITING_ON_CUSTOMER,
    CaseStatus.REOPENED,
)
_WORKING = (CaseStatus.IN_PROGRESS, CaseStatus.WAITING_ON_CUSTOMER, CaseStatus.RESOLVED)
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    CaseStatus.NEW: (CaseStatus.ACKNOWLEDGED, *_WORKING, CaseStatus.CLOSED),
    CaseStatus.ACKNOWLEDGED: (*_WORKING, CaseStatus.CLOSED),
    CaseStatus.IN_PROGRESS: (
        CaseStatus.WAITING_ON_CUSTOMER,
        CaseStatus.RESOLVED,
        CaseStatus.CLOSED,
    ),
    CaseStatus.WAITING_ON_CUSTOMER: (
        CaseStatus.IN_PROGRESS,
        CaseStatus.RESOLVED,
        CaseStatus.CLOSED,
    ),
    CaseStatus.RESOLVED: (CaseStatus.CLOSED, CaseStatus.REOPENED),
    CaseStatus.CLOSED: (CaseStatus.REOPENED,),
    CaseStatus.REOPENED: (*_WORKING, CaseStatus.CLOSED),
}


class CaseCategory(models.TextChoices):
    """The cause (nature) of a case. The first five are what the automatic rules open; the rest
    follow the feedback taxonomy, for cases opened or recategorised by hand."""

    DETRACTOR = "detractor", _("detractor (NPS 0–6)")
    LOW_SATISFACTION = "low_satisfaction", _("low satisfaction (CSAT 1–2)")
    NEGATIVE_REVIEW = "negative_review", _("negative review")
    COMPLAINT = "complaint", _("complaint")
    NEGATIVE_MENTION = "negative_mention", _("negative social mention")
    PRODUCT_QUALITY = "product_quality", _("product quality")
    PRICE = "price", _("price")
    DELIVERY = "delivery", _("delivery")
    STAFF = "staff", _("staff attitude")
    WAITING_TIME = "waiting_time", _("waiting time")
    ENVIRONMENT = "environment", _("store environment")
    AFTER_SALES = "after_sales", _("after-sales")
    DIGITAL = "digital", _("app or website")
    BILLING = "billing", _("billing")
    OTHER = "other", _("other")


class Urgency(models.TextChoices):
    P1 = "P1", _("P1 – critical")
    P2 = "P2", _("P2 – high")
    P3 = "P3", _("P3 – normal")
    P4 = "P4", _("P4 – low")


class SlaPolicy(models.Model):
    """Deadlines for the cases it matches. Policies are tried by ``position`` (then id); the
    first whose category and urgency match (blank matches any) wins. Without business hours the
    clock runs around the clock; with them, only inside the shifts (docs/cases.md)."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=100)
    category = models.CharField(
        _("category"), max_length=30, choices=CaseCategory.choices, blank=True
    )
    urgency = models.CharField(_("urgency"), max_length=2, choices=Urgency.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"), default=24 * 60
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (minutes)"), default=72 * 60
    )
    # {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], ...}; empty: around the clock.
    business_hours = models.JSONField(_("business hours"), default=dict, blank=True)
    holidays = models.JSONField(_("holidays"), default=list, blank=True)
    make_up_days = models.JSONField(_("make-up working days"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A group of agents who handle the cases of some stores and/or categories. A case opening
    goes to the team of its store first, else the team covering its category, and within the
    team round-robin to the next member who is not away and below the cap of open cases. The
    lead receives escalations. Business hours given here replace the SLA policy's for the
    team's cases (same format as the policy's)."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
        verbose_name=_("team lead"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="case_teams",
        verbose_name=_("members"),
    )
    stores = models.ManyToManyField(
        Store, blank=True, related_name="case_teams", verbose_name=_("stores")
    )
    # Case categories the team covers (CaseCategory values) when the store has no team.
    categories = models.JSONField(_("categories"), default=list, blank=True)
    max_open_cases_per_agent = models.PositiveIntegerField(
        _("open cases per agent at most"), default=20
    )
    business_hours = models.JSONField(_("business hours"), default=dict, blank=True)
    holidays = models.JSONField(_("holidays"), default=list, blank=True)
    make_up_days = models.JSONField(_("make-up working days"), default=list, blank=True)
    # Round-robin position: the member who got the last case.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentAvailability(models.Model):
    """Whether an agent takes new cases now (away: holiday, sick leave) and their own cap of
    open cases (blank: their team's)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="case_availability",
        verbose_name=_("agent"),
    )
    is_away = models.BooleanField(_("away"), default=False)
    max_open_cases = models.PositiveIntegerField(_("open cases at most"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent availability")
        verbose_name_plural = _("agent availability")

    def __str__(self) -> str:
        return str(self.user)


class ReplyTemplate(models.Model):
    """A reply an agent starts from. ``subject`` and ``body`` may hold the placeholders
    {customer_name}, {case_number}, {store}, {agent_name} and {category}; any other is refused
    when the template is saved. The key ``case_resolved`` (if present) is what the customer
    is told when their case is resolved."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CaseQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Case(models.Model):
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cases",
        verbose_name=_("customer"),
    )
    feedback_item = models.ForeignKey(
        FeedbackItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name=_("feedback item"),
    )
    response = models.ForeignKey(
        Response,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name=_("survey response"),
    )
    category = models.CharField(_("category"), max_length=30, choices=CaseCategory.choices)
    urgency = models.CharField(
        _("urgency"), max_length=2, choices=Urgency.choices, default=Urgency.P3
    )
    summary = models.TextField(_("summary"), blank=True)
    store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("store")
    )
    team = models.CharField(_("team"), max_length=60, blank=True)
    # The team that owns the case (round-robin assignment, escalation to its lead).
    handling_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name=_("handling team"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW
    )
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("opened by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    first_responded_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # While waiting on the customer the resolution clock is paused from this moment.
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)

    sla_policy = models.ForeignKey(
        SlaPolicy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name=_("SLA policy"),
    )
    # The policy's terms when the case opened (name, minutes, hours): the clock keeps to them.
    sla_terms = models.JSONField(_("SLA terms"), default=dict, blank=True)
    first_response_due = models.DateTimeField(_("first response due"))
    resolution_due = models.DateTimeField(_("resolution due"))
    # Set once, when a deadline is found missed (the time is the deadline itself).
    first_response_breached_at = models.DateTimeField(
        _("first response breached at"), null=True, blank=True
    )
    resolution_breached_at = models.DateTimeField(
        _("resolution breached at"), null=True, blank=True
    )
    # When the 75 % warning of each deadline falls due (moved on with a pause like the
    # deadline), and when it was given (once).
    first_response_warn_at = models.DateTimeField(
        _("first response warning at"), null=True, blank=True
    )
    resolution_warn_at = models.DateTimeField(_("resolution warning at"), null=True, blank=True)
    first_response_warned_at = models.DateTimeField(
        _("first response warned at"), null=True, blank=True
    )
    resolution_warned_at = models.DateTimeField(_("resolution warned at"), null=True, blank=True)
    # Set at the first breach: the case went to the team lead.
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_cases",
        verbose_name=_("escalated to"),
    )
    # The customer's answer (1-5) to the handling survey sent after the case closed.
    handling_csat = models.PositiveSmallIntegerField(_("handling CSAT"), null=True, blank=True)
    handling_response = models.ForeignKey(
        Response,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("handling survey response"),
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-id"]
        constraints = [
            # One open case per customer and cause: the same detractor answering twice adds to
            # the open case instead of opening another (a race is settled here, not in Python).
            models.UniqueConstraint(
                fields=["customer", "category"],
                condition=Q(customer__isnull=False) & Q(status__in=OPEN_STATUSES),
                name="case_one_open_per_customer_cause",
            ),
            # A retried event cannot open a second case for the same source.
            models.UniqueConstraint(
                fields=["response"],
                condition=Q(response__isnull=False),
                name="case_one_per_response",
            ),
            models.UniqueConstraint(
                fields=["feedback_item"],
                condition=Q(feedback_item__isnull=False),
                name="case_one_per_feedback_item",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "first_response_due"], name="case_first_due_idx"),
            models.Index(fields=["status", "resolution_due"], name="case_resolution_due_idx"),
            models.Index(fields=["store", "status"], name="case_store_idx"),
            models.Index(fields=["customer", "status"], name="case_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_breached(self) -> bool:
        return bool(self.first_response_breached_at or self.resolution_breached_at)

    def allowed_statuses(self) -> tuple[str, ...]:
        return ALLOWED_TRANSITIONS.get(self.status, ())


class CaseEventKind(models.TextChoices):
    OPENED = "opened", pgettext_lazy("case history", "opened")
    STATUS = "status", _("status changed")
    ASSIGNED = "assigned", _("assigned")
    URGENCY = "urgency", _("urgency changed")
    NOTE = "note", _("internal note")
    REPLY = "reply", _("reply to the customer")
    LINKED = "linked", _("another source linked")
    BREACHED = "breached", _("deadline missed")
    WARNED = "warned", _("deadline warning (75 %)")
    ESCALATED = "escalated", _("escalated to the team lead")
    CUSTOMER_TOLD = "customer_told", _("customer told of the resolution")
    SURVEY_SENT = "survey_sent", _("handling survey sent")
    SURVEY_ANSWERED = "survey_answered", _("handling survey answered")


class CaseEvent(models.Model):
    """One entry of a case's history: who (None: the system), when, what. A note stays inside
    the team; a reply is what the customer was told."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=CaseEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"))
    from_value = models.CharField(_("from"), max_length=60, blank=True)
    to_value = models.CharField(_("to"), max_length=60, blank=True)
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="case_event_case_idx")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.kind}"
