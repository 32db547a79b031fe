"""A survey with every kind of question and completed responses, for the results, export and
staff-page tests.

Responses go through S3's ``submit_complete_response`` once it is importable; until then
``add_completed_response`` writes the rows the way models.ResponseValue documents them.
"""

import secrets
from datetime import datetime

from django.utils import timezone

from kesheng.surveys.actions.surveys import create_survey
from kesheng.surveys.models import Response, ResponseStatus, ResponseValue, Survey


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
    return create_survey(title=title, definition=SAMPLE_DEFINITION, is_anonymous=is_anonymous)


def _flatten(definition: dict, answers: dict) -> list[tuple[str, str, float | None, str]]:
    """The ResponseValue rows of ``answers`` as models.ResponseValue documents them."""
    types = {
        question["name"]: question["type"]
        for page in definition["pages"]
        for question in page["questions"]
    }
    rows = []
    for name, answer in answers.items():
        kind = types[name]
        if kind == "multiple_choice":
            for value in answer:
                if isinstance(value, dict):
                    rows.append((name, "other", None, value["other"]))
                else:
                    rows.append((name, "", None, value))
        elif kind == "matrix":
            rows.extend((name, row, float(column), "") for row, column in answer.items())
        elif kind == "ranking":
            rows.extend((name, value, float(rank), "") for rank, value in enumerate(answer, 1))
        elif kind == "yes_no":
            rows.append((name, "", 1.0 if answer else 0.0, "true" if answer else "false"))
        elif isinstance(answer, dict):
            rows.append((name, "other", None, answer["other"]))
        elif isinstance(answer, (int, float)):
            rows.append((name, "", float(answer), ""))
        else:
            rows.append((name, "", None, str(answer)))
    return rows


def add_completed_response(
    survey: Survey,
    answers: dict,
    *,
    completed_at: datetime | None = None,
    customer=None,
    distribution=None,
    language: str = "zh-hans",
) -> Response:
    completed_at = completed_at or timezone.now()
    version = survey.current_version
    response = Response.objects.create(
        survey=survey,
        version=version,
        customer=None if survey.is_anonymous else customer,
        distribution=distribution,
        status=ResponseStatus.COMPLETED,
        answers=answers,
        language=language,
        device_type="mobile",
        resume_key=secrets.token_urlsafe(24),
        started_at=completed_at,
        completed_at=completed_at,
    )
    ResponseValue.objects.bulk_create(
        ResponseValue(
            response=response,
            survey=survey,
            question=question,
            item=item,
            number=number,
            text=value_text,
        )
        for question, item, number, value_text in _flatten(version.definition, answers)
    )
    return response


def add_response_in_progress(survey: Survey, answers: dict, *, started_at=None) -> Response:
    return Response.objects.create(
        survey=survey,
        version=survey.current_version,
        answers=answers,
        resume_key=secrets.token_urlsafe(24),
        started_at=started_at or timezone.now(),
    )
