from django.contrib import admin

from kesheng.core.admin import ReadOnlyAdmin
from kesheng.feedback.actions import edit_feedback_text
from kesheng.feedback.models import (
    CategoryModel,
    FeedbackAlert,
    FeedbackCorrection,
    FeedbackItem,
    KnowledgeArticle,
)


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "source", "platform", "store", "sentiment", "rating")
    list_filter = ("source", "sentiment", "analysis_status")
    search_fields = ("text", "source_id", "author")
    raw_id_fields = ("customer", "response", "store", "product")
    readonly_fields = (
        "source",
        "source_id",
        "response",
        "question",
        "received_at",
        "text_edited_at",
        "analysis_status",
        "detected_language",
        "sentiment",
        "sentiment_score",
        "categories",
        "aspects",
        "categories_corrected",
        "sentiment_corrected",
        "keywords",
        "analysed_at",
        "analysis_version",
    )

    def save_model(self, request, obj, form, change):
        # An edited text goes through the action, so it is analysed again.
        if change and "text" in form.changed_data:
            text = obj.text
            obj.text = form.initial.get("text", obj.text)
            super().save_model(request, obj, form, change)
            edit_feedback_text(item=obj, text=text)
            return
        super().save_model(request, obj, form, change)


@admin.register(FeedbackCorrection)
class FeedbackCorrectionAdmin(ReadOnlyAdmin):
    """Corrections are made on the item's page in the inbox; here they are only read."""

    list_display = ("corrected_at", "item", "corrected_by", "categories", "sentiment")
    list_filter = ("sentiment",)
    raw_id_fields = ("item",)


@admin.register(CategoryModel)
class CategoryModelAdmin(ReadOnlyAdmin):
    list_display = ("trained_at", "version", "examples", "categories")
    exclude = ("arrays",)


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    """Staff write help articles here (zh-Hans required, English optional) and publish them."""

    list_display = (
        "slug",
        "title_zh",
        "title_en",
        "is_published",
        "helpful_votes",
        "not_helpful_votes",
    )
    list_filter = ("is_published",)
    search_fields = ("slug", "title_zh", "title_en", "body_zh", "body_en")
    prepopulated_fields = {"slug": ("title_en",)}
    readonly_fields = ("helpful_votes", "not_helpful_votes", "created_at", "updated_at")


@admin.register(FeedbackAlert)
class FeedbackAlertAdmin(admin.ModelAdmin):
    list_display = (
        "period_start",
        "kind",
        "scope_kind",
        "scope_key",
        "observed",
        "expected",
        "p_value",
        "n",
    )
    list_filter = ("kind", "scope_kind")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
