"""Feedback items: every voice of the customer in one table, whatever its source.

A survey's open-text answer, a product or store review, a social mention, a call note or
transcript, a complaint form and an email all become one ``FeedbackItem`` with the same fields,
so the inbox, the analysis and (later) cases and alerts read one place. ``source`` with
``source_id`` (the source's own id) is unique: the same item sent twice is stored once.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kesheng.commerce.models import Order, Product, Store
from kesheng.customers.models import Customer
from kesheng.surveys.models import Response
from kesheng.tracking.models import Channel, Touchpoint


class FeedbackSource(models.TextChoices):
    SURVEY = "survey", _("survey comment")
    REVIEW = "review", _("review")
    SOCIAL = "social", _("social mention")
    CALL = "call", _("call note")
    EMAIL = "email", _("email")
    COMPLAINT = "complaint", _("complaint form")


# What the API and the import accept: survey comments arrive by themselves.
EXTERNAL_SOURCES = tuple(value for value in FeedbackSource.values if value != "survey")


class AnalysisStatus(models.TextChoices):
    PENDING = "pending", _("waiting for analysis")
    ANALYSED = "analysed", _("analysed")
    FAILED = "failed", _("analysis failed")


class SentimentLabel(models.TextChoices):
    POSITIVE = "positive", _("positive")
    NEUTRAL = "neutral", _("neutral")
    NEGATIVE = "negative", _("negative")


class FeedbackItem(models.Model):
    source = models.CharField(_("source"), max_length=12, choices=FeedbackSource.choices)
    source_id = models.CharField(_("source id"), max_length=200)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("channel")
    )
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("touchpoint")
    )
    store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("store")
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("product")
    )
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_items",
        verbose_name=_("customer"),
    )
    # A survey comment's response and question; erasing the response erases its comments.
    response = models.ForeignKey(
        Response,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="feedback_items",
        verbose_name=_("survey response"),
    )
    question = models.CharField(_("question"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    occurred_at = models.DateTimeField(_("written at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    author = models.CharField(_("author"), max_length=200, blank=True)
    rating = models.FloatField(_("rating"), null=True, blank=True)
    reach = models.BigIntegerField(_("reach"), null=True, blank=True)
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    platform = models.CharField(_("platform"), max_length=60, blank=True)
    text = models.TextField(_("text"))
    text_edited_at = models.DateTimeField(_("text edited at"), null=True, blank=True)

    analysis_status = models.CharField(
        _("analysis"),
        max_length=10,
        choices=AnalysisStatus.choices,
        default=AnalysisStatus.PENDING,
    )
    detected_language = models.CharField(_("detected language"), max_length=10, blank=True)
    sentiment = models.CharField(
        _("sentiment"), max_length=10, choices=SentimentLabel.choices, blank=True
    )
    sentiment_score = models.FloatField(_("sentiment score"), null=True, blank=True)
    categories = models.JSONField(_("categories"), default=list, blank=True)
    # [{"category", "sentiment", "score", "mentions"}]: what the text says of each category.
    aspects = models.JSONField(_("aspects"), default=list, blank=True)
    # Set by a staff correction: analysing the same text again keeps the person's answer.
    # Editing the text clears them (the correction was about the old text).
    categories_corrected = models.BooleanField(_("categories corrected by staff"), default=False)
    sentiment_corrected = models.BooleanField(_("sentiment corrected by staff"), default=False)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    analysed_at = models.DateTimeField(_("analysed at"), null=True, blank=True)
    # Which model analysed it, so a retrained model can find what to analyse again.
    analysis_version = models.CharField(_("analysis version"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"], name="feedback_item_source_unique"
            )
        ]
        indexes = [
            models.Index(fields=["occurred_at"], name="feedback_occurred_idx"),
            models.Index(fields=["store", "occurred_at"], name="feedback_store_idx"),
            models.Index(fields=["sentiment", "occurred_at"], name="feedback_sentiment_idx"),
            models.Index(fields=["analysis_status"], name="feedback_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id}"


def complaint_photo_path(instance: "ComplaintDetails", filename: str) -> str:
    """Where a complaint's photo goes under MEDIA_ROOT: a random name (never the sender's file
    name, which may carry their name or a path) with the extension of the checked format."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"complaints/{secrets.token_hex(16)}.{extension}"


class ComplaintDetails(models.Model):
    """What the public complaint form adds to its feedback item: how to reach the person, the
    order they named, and their photo. Kept apart from ``FeedbackItem`` because only complaints
    carry contact details, and erasing them must not touch the item's text or its case."""

    item = models.OneToOneField(
        FeedbackItem,
        on_delete=models.CASCADE,
        related_name="complaint",
        verbose_name=_("feedback item"),
    )
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    contact_requested = models.BooleanField(_("asked to be contacted"), default=False)
    consent_to_contact = models.BooleanField(_("consented to be contacted"), default=False)
    # As typed, so an agent sees it even when it matched no order.
    order_number = models.CharField(_("order number"), max_length=100, blank=True)
    order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("order"),
    )
    # Stored by the default storage under MEDIA_ROOT; MEDIA_URL is not served, only the
    # staff view ``feedback:complaint_photo`` reads it.
    photo = models.FileField(_("photo"), upload_to=complaint_photo_path, blank=True)
    photo_content_type = models.CharField(_("photo type"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("complaint details")
        verbose_name_plural = _("complaint details")

    def __str__(self) -> str:
        return f"complaint {self.item_id}"


class FeedbackCorrection(models.Model):
    """A staff member's correction of an item's categories and/or sentiment: who, when, what
    the analysis said before and what the person says. Kept with a copy of the text as it was
    corrected, so retraining (``kesheng feedback train``) learns from what the person read even
    after the item's text is edited. ``categories`` is null when only the sentiment was
    corrected, ``sentiment`` empty when only the categories were."""

    item = models.ForeignKey(
        FeedbackItem,
        on_delete=models.CASCADE,
        related_name="corrections",
        verbose_name=_("feedback item"),
    )
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("corrected by"),
    )
    corrected_at = models.DateTimeField(_("corrected at"), auto_now_add=True)
    text = models.TextField(_("text"))
    previous_categories = models.JSONField(_("categories before"), default=list, blank=True)
    categories = models.JSONField(_("corrected categories"), null=True, blank=True)
    previous_sentiment = models.CharField(
        _("sentiment before"), max_length=10, choices=SentimentLabel.choices, blank=True
    )
    sentiment = models.CharField(
        _("corrected sentiment"), max_length=10, choices=SentimentLabel.choices, blank=True
    )

    class Meta:
        verbose_name = _("feedback correction")
        verbose_name_plural = _("feedback corrections")
        ordering = ["-corrected_at", "-id"]
        indexes = [models.Index(fields=["corrected_at"], name="feedback_correction_at_idx")]

    def __str__(self) -> str:
        return f"correction {self.pk} of {self.item_id}"


class CategoryModel(models.Model):
    """A category classifier trained from staff corrections by ``kesheng feedback train``;
    the newest row is the one analysis uses. Stored in the database (not a file) so every web
    process and worker of a deployment reads the same model."""

    version = models.CharField(_("version"), max_length=40)
    trained_at = models.DateTimeField(_("trained at"), auto_now_add=True)
    examples = models.PositiveIntegerField(_("corrected examples"))
    categories = models.JSONField(_("learned categories"), default=list)
    # numpy .npz arrays (no pickle), see kesheng.feedback.text.categories.CategoryClassifier
    arrays = models.BinaryField(_("model arrays"))

    class Meta:
        verbose_name = _("category model")
        verbose_name_plural = _("category models")
        ordering = ["-trained_at", "-id"]

    def __str__(self) -> str:
        return self.version


class FeedbackItemTag(models.Model):
    """A staff tag on a feedback item (bulk-tagged from the inbox). A link table rather than a
    field on the item, so tags filter the same way on SQLite and PostgreSQL."""

    item = models.ForeignKey(
        FeedbackItem,
        on_delete=models.CASCADE,
        related_name="tag_links",
        verbose_name=_("feedback item"),
    )
    tag = models.CharField(_("tag"), max_length=40)
    tagged_at = models.DateTimeField(_("tagged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback tag")
        verbose_name_plural = _("feedback tags")
        ordering = ["tag"]
        constraints = [
            models.UniqueConstraint(fields=["item", "tag"], name="feedback_tag_unique"),
        ]
        indexes = [models.Index(fields=["tag"], name="feedback_tag_idx")]

    def __str__(self) -> str:
        return self.tag


class AlertKind(models.TextChoices):
    NEGATIVE_SHARE = "negative_share", _("negative share")
    VOLUME = "volume", _("volume")


class AlertScope(models.TextChoices):
    STORE = "store", _("store")
    CATEGORY = "category", _("category")
    PRODUCT = "product", _("product")


class FeedbackAlert(models.Model):
    """A spike in negative share or volume for one store, category or product in one week,
    against its own baseline (kesheng.feedback.spikes). One row per spike: the periodic check
    never alerts twice for the same kind, scope and week."""

    kind = models.CharField(_("what"), max_length=20, choices=AlertKind.choices)
    scope_kind = models.CharField(_("scope"), max_length=10, choices=AlertScope.choices)
    scope_key = models.CharField(_("scope key"), max_length=100)
    scope_label = models.CharField(_("scope name"), max_length=200, blank=True)
    period_start = models.DateField(_("week from"))
    period_end = models.DateField(_("week to"))
    observed = models.FloatField(_("observed"))
    expected = models.FloatField(_("expected"))
    p_value = models.FloatField(_("p-value"))
    n = models.PositiveIntegerField(_("items in the week"))
    baseline_n = models.PositiveIntegerField(_("items in the baseline"))
    detected_at = models.DateTimeField(_("detected at"))
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("feedback alert")
        verbose_name_plural = _("feedback alerts")
        ordering = ["-period_start", "p_value", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "scope_kind", "scope_key", "period_start"],
                name="feedback_alert_once_per_spike",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.scope_kind}:{self.scope_key} {self.period_start}"


class FeedbackAlertSubscription(models.Model):
    """A staff member who wants feedback alerts by email (one row per person who subscribed)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="feedback_alert_subscription",
        verbose_name=_("staff member"),
    )
    subscribed_at = models.DateTimeField(_("subscribed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback alert subscription")
        verbose_name_plural = _("feedback alert subscriptions")

    def __str__(self) -> str:
        return str(self.user)


class KnowledgeArticle(models.Model):
    """A self-service (FAQ) article in zh-Hans and English. Published articles are shown at
    ``/help/`` and suggested on the complaint form; votes count whether it helped."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body_zh = models.TextField(_("text (Chinese)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    helpful_votes = models.PositiveIntegerField(_("helpful votes"), default=0)
    not_helpful_votes = models.PositiveIntegerField(_("not helpful votes"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title_zh

    def title_in(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title_zh

    def body_in(self, language: str) -> str:
        return self.body_en if language == "en" and self.body_en else self.body_zh


class KnowledgeArticleVote(models.Model):
    """One visitor's vote on one article: the visitor is a hash of their session key, so a
    session votes once (a second vote changes it) and no session key is stored."""

    article = models.ForeignKey(
        KnowledgeArticle,
        on_delete=models.CASCADE,
        related_name="votes",
        verbose_name=_("help article"),
    )
    voter = models.CharField(_("visitor"), max_length=64)
    helpful = models.BooleanField(_("helpful"))
    voted_at = models.DateTimeField(_("voted at"), auto_now=True)

    class Meta:
        verbose_name = _("help article vote")
        verbose_name_plural = _("help article votes")
        constraints = [
            models.UniqueConstraint(fields=["article", "voter"], name="article_vote_once"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}:{self.helpful}"
