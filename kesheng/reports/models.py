"""Scheduled reports: a monthly CX report emailed to chosen staff, once per month."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportSchedule(models.Model):
    """Email last month's CX report on ``day_of_month`` to the recipients. Each recipient who
    is a store manager receives the report of their own stores only."""

    name = models.CharField(_("name"), max_length=200)
    file_format = models.CharField(
        _("format"), max_length=4, choices=[("pdf", "PDF"), ("xlsx", "XLSX")], default="pdf"
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        default="zh-hans",
    )
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("The report of the previous month is sent on this day (1 to 28)."),
    )
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("staff recipients")
    )
    extra_emails = models.TextField(
        _("other email addresses"), blank=True, help_text=_("One per line; they get every store.")
    )
    survey = models.ForeignKey(
        "surveys.Survey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("survey"),
        help_text=_("Empty: every survey."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(day_of_month__gte=1, day_of_month__lte=28),
                name="report_schedule_day_in_every_month",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ReportDelivery(models.Model):
    """One month's report of one schedule, sent (the unique pair means never twice)."""

    schedule = models.ForeignKey(
        ReportSchedule, on_delete=models.CASCADE, related_name="deliveries"
    )
    period_start = models.DateField(_("month"))
    sent_at = models.DateTimeField(_("sent at"))
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "period_start"], name="report_delivery_once_a_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule} {self.period_start:%Y-%m}"
