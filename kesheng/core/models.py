"""Shared base models and the domain-event outbox."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class DomainEvent(models.Model):
    """A domain event written in the transaction that caused it (a transactional outbox).

    Because the row commits with the change, a crash between commit and dispatch loses nothing:
    ``kesheng.core.redispatch_domain_events`` picks up rows whose dispatch never finished.
    """

    name = models.CharField(_("name"), max_length=100, db_index=True)
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)

    class Meta:
        verbose_name = _("domain event")
        verbose_name_plural = _("domain events")
        indexes = [
            models.Index(
                fields=["created_at"],
                name="core_event_pending_idx",
                condition=models.Q(dispatched_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class LocalizedNameMixin(models.Model):
    """Master data shown to staff in both languages (store, channel, touchpoint names)."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        language = (get_language() or "zh-hans").lower()
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh or self.name_en


class ScheduledJob(models.Model):
    """One periodic job of ``settings.CELERY_BEAT_SCHEDULE`` as the in-process scheduler of
    embedded mode keeps it (``kesheng.core.scheduler``): when it last started, and the lease
    of the process running it. Every process on the database shares the row, so each due run
    is claimed by one process only (a compare-and-set on ``last_run_at``) and a job never
    runs in two processes at once (the lease)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True)
    lease_owner = models.CharField(_("lease owner"), max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    run_count = models.PositiveIntegerField(_("runs"), default=0)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name
