from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "kesheng.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from kesheng.cases import actions
        from kesheng.cases.queries import get_cases_panel
        from kesheng.core.events import subscribe
        from kesheng.customers.contributions import (
            ProfilePanel,
            register_merge_handler,
            register_profile_panel,
        )

        # The closed loop's rules: detractors and low scores, negative reviews, complaints,
        # negative social mentions with a large reach.
        subscribe("response.completed", actions.open_cases_for_response)
        subscribe("feedback.created", actions.open_cases_for_feedback)
        # Social mentions need their sentiment, known once the analysis stored it.
        subscribe("feedback.analysed", actions.open_cases_for_social_mentions)
        # Closing the loop: the handling survey after a case closes.
        subscribe("case.closed", actions.send_handling_survey)
        register_merge_handler("cases.Case", actions.merge_cases)
        # Right after loyalty on the 360 page: an agent on the phone must see open complaints.
        register_profile_panel(
            "cases",
            ProfilePanel(
                title=_("Cases"),
                template_name="cases/customer_cases_panel.html",
                context=get_cases_panel,
                order=6,
            ),
        )
