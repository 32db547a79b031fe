"""A survey with every kind of question and completed responses, for the results, export and
staff-page tests.

Responses are started and completed through the respondent's actions.
"""

from datetime import datetime

from django.utils import timezone

from kesheng.analytics.actions import count_new_responses
from kesheng.surveys.actions.responses import complete_response, start_response
from kesheng.surveys.actions.surveys import create_survey
from kesheng.surveys.models import Response, Survey, SurveyStatus


def text(zh: str, en: str) -> dict:
    return {"zh-hans": zh, "en": en}


def choice(value: str, zh: str, en: str) -> dict:
    return {"value": value, "text": text(zh, en)}


SAMPLE_DEFINITION = {
    "format": "kesheng-survey/1",
    "languages": ["zh-hans", "en"],
    "default_language": "zh-hans",
    "title": text("购物体验调查", "Shopping survey"),
    "pages": [
        {
            "name": "p1",
            "title": text("总体", "Overall"),
            "questions": [
                {
                    "name": "nps",
                    "type": "nps",
                    "title": text("推荐可能性", "Likelihood to recommend"),
                    "required": True,
                },
                {"name": "csat", "type": "csat", "title": text("满意度", "Satisfaction")},
                {"name": "ces", "type": "ces", "title": text("省力程度", "Effort")},
                {
                    "name": "stars",
                    "type": "rating",
                    "title": text("星级", "Stars"),
                    "scale": {
                        "min": 1,
                        "max": 5,
                        "min_label": text("很差", "Poor"),
                        "max_label": text("很好", "Great"),
                        "style": "stars",
                    },
                },
                {
                    "name": "visit",
                    "type": "single_choice",
                    "title": text("到访原因", "Reason for visit"),
                    "has_other": True,
                    "choices": [
                        choice("shop", "购物", "Shopping"),
                        choice("complaint", "投诉", "Complaint"),
                    ],
                },
                {
                    "name": "channels",
                    "type": "multiple_choice",
                    "title": text("使用渠道", "Channels used"),
                    "has_other": True,
                    "choices": [
                        choice("app", "应用", "App"),
                        choice("web", "网站", "Website"),
                        choice("store", "门店", "Store"),
                    ],
                },
            ],
        },
        {
            "name": "p2",
            "title": text("细节", "Details"),
            "questions": [
                {
                    "name": "satisfaction",
                    "type": "matrix",
                    "title": text("各方面满意度", "Satisfaction with"),
                    "scale": {"points": 5},
                    "rows": [
                        choice("delivery", "配送", "Delivery"),
                        choice("price", "价格", "Price"),
                    ],
                },
                {
                    "name": "rank",
                    "type": "ranking",
                    "title": text("重要性排序", "Rank by importance"),
                    "choices": [
                        choice("speed", "速度", "Speed"),
                        choice("cost", "价格", "Cost"),
                        choice("care", "服务", "Care"),
                    ],
                },
                {"name": "age", "type": "numeric", "title": text("年龄", "Age")},
                {"name": "again", "type": "yes_no", "title": text("会再来吗", "Come again?")},
                {"name": "comment", "type": "long_text", "title": text("意见", "Comments")},
            ],
        },
    ],
}


def make_sample_survey(*, title: str = "购物体验调查", is_anonymous: bool = False) -> Survey:
    return create_survey(
        title=title,
        definition=SAMPLE_DEFINITION,
        is_anonymous=is_anonymous,
        status=SurveyStatus.OPEN,
    )


IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40"
)


def add_completed_response(
    survey: Survey,
    answers: dict,
    *,
    completed_at: datetime | None = None,
    customer=None,
    distribution=None,
    language: str = "zh-hans",
) -> Response:
    """A response answered on a phone and completed at ``completed_at``, through the
    respondent's actions (so its answers are checked and its values flattened as in real
    use)."""
    completed_at = completed_at or timezone.now()
    response = start_response(
        survey=survey,
        distribution=distribution,
        language=language,
        user_agent=IPHONE,
        now=completed_at,
    )
    if customer is not None and not survey.is_anonymous:
        # A customer is linked through a personal invitation in real use; the invitation
        # itself does not matter to these tests.
        Response.objects.filter(pk=response.pk).update(customer=customer)
        response.customer = customer
    response.answers = answers
    response = complete_response(response=response, now=completed_at)
    # What the response.completed subscriber does after the commit, which a test wrapped in
    # one transaction never reaches: count the answers for the metrics.
    count_new_responses(response_ids=[response.pk])
    return response


def add_response_in_progress(survey: Survey, *, started_at=None) -> Response:
    return start_response(survey=survey, user_agent=IPHONE, now=started_at or timezone.now())
