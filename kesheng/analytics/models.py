"""Tables the analytics app derives from the survey responses, so that dashboards read a few
thousand pre-counted rows instead of millions of answers.

``AnswerCountByMonth`` holds, for every NPS, CSAT and CES answer value, how many completed
responses gave it, per survey, question, month in the business time zone, store, channel,
touchpoint, staff member and language. ``AnswerCountByDay`` holds the same per day but only per
survey, question and store, and ``AnswerCountByDayAndTouchpoint`` per day, survey, question,
channel and touchpoint: a day table with every dimension would be nearly as large as the
answers themselves (a chain's stores × channels × touchpoints × scale points outnumber a day's
responses), while a trend by day or week, the days at the ends of a period, a store manager's
view and the dashboard's breakdown by touchpoint each need only one of these. They are a cache of
``surveys.ResponseValue``: ``kesheng.analytics.actions.count_new_responses`` adds the responses
not counted yet (``CountedResponse`` remembers which), and ``recount_answers`` rebuilds both
from scratch. Ids are plain integers, 0 for "none", so that the unique key treats a missing
store like any other value on every database and so that deleting a store or a survey never
waits on this cache.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The unique key of each count table: the columns that tell one row from another.
DAY_KEY = ("survey_id", "question", "day", "store_id", "value", "metric")
DAY_TOUCHPOINT_KEY = (
    "survey_id",
    "question",
    "day",
    "channel_id",
    "touchpoint_id",
    "value",
    "metric",
)
MONTH_KEY = (
    "survey_id",
    "question",
    "month",
    "store_id",
    "channel_id",
    "touchpoint_id",
    "staff_id",
    "language",
    "value",
    "metric",
)


class AnswerCount(models.Model):
    metric = models.CharField(_("metric"), max_length=8)
    survey_id = models.PositiveIntegerField(_("survey id"))
    question = models.CharField(_("question"), max_length=64)
    value = models.FloatField(_("value"))
    count = models.PositiveIntegerField(_("count"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.metric} {self.question}={self.value}: {self.count}"


class AnswerCountByDay(AnswerCount):
    day = models.DateField(_("day"))
    store_id = models.PositiveIntegerField(_("store id"), default=0)

    KEY = DAY_KEY

    class Meta:
        verbose_name = _("answer count by day")
        verbose_name_plural = _("answer counts by day")
        constraints = [models.UniqueConstraint(fields=DAY_KEY, name="answer_count_day_key")]


class AnswerCountByDayAndTouchpoint(AnswerCount):
    """Per day and survey, question, channel and touchpoint, across stores: a trend or
    breakdown by channel or touchpoint over days, for anyone who sees every store."""

    day = models.DateField(_("day"))
    channel_id = models.PositiveIntegerField(_("channel id"), default=0)
    touchpoint_id = models.PositiveIntegerField(_("touchpoint id"), default=0)

    KEY = DAY_TOUCHPOINT_KEY

    class Meta:
        verbose_name = _("answer count by day and touchpoint")
        verbose_name_plural = _("answer counts by day and touchpoint")
        constraints = [
            models.UniqueConstraint(
                fields=DAY_TOUCHPOINT_KEY, name="answer_count_day_touchpoint_key"
            )
        ]


class AnswerCountByMonth(AnswerCount):
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    store_id = models.PositiveIntegerField(_("store id"), default=0)
    channel_id = models.PositiveIntegerField(_("channel id"), default=0)
    touchpoint_id = models.PositiveIntegerField(_("touchpoint id"), default=0)
    staff_id = models.PositiveIntegerField(_("staff member id"), default=0)
    language = models.CharField(_("language"), max_length=10, blank=True)

    KEY = MONTH_KEY

    class Meta:
        verbose_name = _("answer count by month")
        verbose_name_plural = _("answer counts by month")
        constraints = [models.UniqueConstraint(fields=MONTH_KEY, name="answer_count_month_key")]


class CountedResponse(models.Model):
    """A completed response whose answers are in the counts; ``batch`` is the run that counted
    it (the counting statements select the run's responses by it)."""

    response_id = models.BigIntegerField(_("response id"), primary_key=True)
    batch = models.BigIntegerField(_("batch"), db_index=True)

    class Meta:
        verbose_name = _("counted response")
        verbose_name_plural = _("counted responses")

    def __str__(self) -> str:
        return str(self.response_id)


class RfmSegment(models.TextChoices):
    """The RFM segments of ``kesheng.analytics.rfm.SEGMENTS``, with their labels."""

    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALISTS = "potential_loyalists", _("Potential loyalists")
    NEW = "new", _("New customers")
    PROMISING = "promising", _("Promising")
    NEEDS_ATTENTION = "needs_attention", _("Needs attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE_THEM = "cant_lose_them", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")


class ChurnMethod(models.TextChoices):
    """How a scoring run computed the churn risk (docs/analytics.md, "Churn early warning")."""

    RULES = "rules", _("rule-based score")
    CLASSIFIER = "classifier", _("classifier trained on this business's history")


class CustomerScore(models.Model):
    """A customer's scores from the last scoring run (``score_customers``): RFM from their kept
    orders in the default currency, and from BG/NBD and Gamma-Gamma P(alive), the purchases
    expected over the horizon and the discounted CLV (null when the models could not be fitted
    on the business's data), and the churn risk with its reasons and the method that gave it.
    Derived and rebuilt as a whole by every run."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="score"
    )
    r = models.PositiveSmallIntegerField(_("R score"))
    f = models.PositiveSmallIntegerField(_("F score"))
    m = models.PositiveSmallIntegerField(_("M score"))
    segment = models.CharField(_("RFM segment"), max_length=24, choices=RfmSegment.choices)
    recency_days = models.PositiveIntegerField(_("days since the last order"))
    frequency = models.PositiveIntegerField(_("orders"))
    monetary = models.DecimalField(_("spend"), max_digits=16, decimal_places=2)
    p_alive = models.FloatField(_("P(alive)"), null=True)
    expected_purchases = models.FloatField(_("expected purchases"), null=True)
    clv = models.DecimalField(_("CLV"), max_digits=16, decimal_places=2, null=True)
    churn_risk = models.FloatField(_("churn risk"), null=True)
    # Structured codes with numbers (kesheng.analytics.churn); words are made at display time.
    churn_reasons = models.JSONField(_("churn reasons"), default=list)
    churn_method = models.CharField(
        _("churn method"), max_length=12, choices=ChurnMethod.choices, blank=True
    )
    # The customer's persona (``Persona.number``) from the last run; null when the run could
    # not form personas (too few customers).
    persona = models.PositiveSmallIntegerField(_("persona"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        indexes = [models.Index(fields=["segment"], name="customer_score_segment_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.segment}"


class ScoringRun(models.Model):
    """What a scoring run (``score_customers``) reported: how many customers and orders, why
    CLV is empty if it is, and which churn method it used with the classifier's evaluation
    (AUC, lift at the top decile). The analytics page shows the latest; kept as a history."""

    computed_at = models.DateTimeField(_("computed at"), db_index=True)
    customers = models.PositiveIntegerField(_("customers"))
    orders = models.PositiveIntegerField(_("orders"))
    summary = models.JSONField(_("summary"), default=dict)

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")

    def __str__(self) -> str:
        return f"{self.computed_at:%Y-%m-%d %H:%M}: {self.customers}"


class WinBackSelection(models.TextChoices):
    TOP = "top", _("the riskiest N customers")
    MIN_RISK = "min_risk", _("every customer with a churn risk of at least")


class WinBackList(models.Model):
    """The customers most at risk at one moment, frozen (``WinBackMember``), split into the
    treated, whom the campaign targets through ``segment``, and a held-out control group, so
    that the win-back rate can be compared (docs/analytics.md, "Win-back"). ``store_ids`` is
    the scope it was drawn from: null for every customer, else the customers of those stores
    (a store manager sees only lists drawn from their own stores)."""

    name = models.CharField(_("name"), max_length=120)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    selection = models.CharField(_("selection"), max_length=12, choices=WinBackSelection.choices)
    top = models.PositiveIntegerField(_("riskiest N"), null=True, blank=True)
    min_risk = models.FloatField(_("minimum churn risk"), null=True, blank=True)
    control_share = models.FloatField(_("control share"))
    seed = models.PositiveBigIntegerField(_("seed of the control split"))
    store_ids = models.JSONField(_("stores"), null=True, blank=True)
    scores_computed_at = models.DateTimeField(_("scores computed at"), null=True, blank=True)
    segment = models.ForeignKey(
        "customers.Segment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("segment"),
    )
    treated_count = models.PositiveIntegerField(_("treated members"), default=0)
    control_count = models.PositiveIntegerField(_("control members"), default=0)

    class Meta:
        verbose_name = _("win-back list")
        verbose_name_plural = _("win-back lists")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class WinBackMember(models.Model):
    """One customer of a win-back list, as they stood when it was made."""

    win_back_list = models.ForeignKey(WinBackList, on_delete=models.CASCADE, related_name="members")
    # A named reverse relation: merge_customers moves only the rows it can see.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="win_back_memberships"
    )
    is_control = models.BooleanField(_("in the control group"))
    churn_risk = models.FloatField(_("churn risk"))

    class Meta:
        verbose_name = _("win-back list member")
        verbose_name_plural = _("win-back list members")
        constraints = [
            models.UniqueConstraint(
                fields=["win_back_list", "customer"], name="win_back_member_once"
            )
        ]
        indexes = [
            models.Index(fields=["customer"], name="win_back_member_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.win_back_list_id}: {self.customer_id}"


class Persona(models.Model):
    """One group of customers who behave alike, from the last persona run
    (``kesheng.analytics.personas``; docs/analytics.md, "Personas"): numbered 1..k by mean
    spend, highest first, with the facts its description is written from. Rebuilt as a whole
    by every run."""

    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    customers = models.PositiveIntegerField(_("customers"))
    share = models.FloatField(_("share of customers"))
    mean_monetary = models.FloatField(_("mean spend"))
    mean_frequency = models.FloatField(_("mean orders"))
    mean_recency_days = models.FloatField(_("mean days since the last order"))
    # Relative to all customers' mean spend: 1.0 is average.
    value_index = models.FloatField(_("value index"))
    mean_nps = models.FloatField(_("mean latest NPS"), null=True)
    nps_answers = models.PositiveIntegerField(_("customers with an NPS answer"), default=0)
    # [[code, share], ...] of the persona's events per channel and spend per category, top 3.
    channels = models.JSONField(_("typical channels"), default=list)
    categories = models.JSONField(_("typical categories"), default=list)
    silhouette = models.FloatField(_("silhouette"), null=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("persona")
        verbose_name_plural = _("personas")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"persona {self.number}"
