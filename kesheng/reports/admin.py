"""Back office of the reports: monthly report schedules, and their deliveries (read-only)."""

from django.contrib import admin

from kesheng.core.admin import ReadOnlyAdmin
from kesheng.reports.models import ReportDelivery, ReportSchedule


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "file_format", "language", "day_of_month", "is_active"]
    list_filter = ["is_active", "file_format"]
    filter_horizontal = ["recipients"]


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["schedule", "period_start", "sent_at", "recipient_count"]
    list_filter = ["schedule"]
