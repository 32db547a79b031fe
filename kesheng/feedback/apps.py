from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "kesheng.feedback"
    label = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        from django.conf import settings

        from kesheng.core.events import subscribe
        from kesheng.core.importing import register_importer
        from kesheng.feedback import actions
        from kesheng.feedback.importing import FeedbackImporter
        from kesheng.feedback.text.categories import configure_taxonomy

        subscribe("response.completed", actions.collect_survey_comments)
        subscribe("responses.imported", actions.collect_imported_survey_comments)
        register_importer("feedback", FeedbackImporter())
        # The deployment's own categories: a bad file stops the start with its reason.
        configure_taxonomy(getattr(settings, "KESHENG_FEEDBACK_TAXONOMY", []))
