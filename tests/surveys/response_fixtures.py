"""A three-page survey with skip logic, display logic, piping and randomised choices, and the
surveys, distributions and invitations the answering tests start from."""

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone

from kesheng.commerce.actions import save_store
from kesheng.surveys.actions.surveys import create_survey
from kesheng.surveys.models import Distribution, DistributionKind, Invitation, SurveyStatus
from kesheng.tracking.models import Channel, Touchpoint


def text(zh: str, en: str) -> dict:
    return {"zh-hans": zh, "en": en}


def choice(value: str, zh: str, en: str) -> dict:
    return {"value": value, "text": text(zh, en)}


# p1 (nps, visit) --nps >= 9--> p3; otherwise p2 (problem; refund_ok only after a return) -> p3.
STORE_VISIT = {
    "format": "kesheng-survey/1",
    "languages": ["zh-hans", "en"],
    "default_language": "zh-hans",
    "title": text("门店体验调查", "Store visit survey"),
    "thank_you": text("感谢您的反馈！", "Thank you for your feedback!"),
    "show_progress": True,
    "pages": [
        {
            "name": "p1",
            "title": text("总体评价", "Overall"),
            "questions": [
                {
                    "name": "nps",
                    "type": "nps",
                    "title": text(
                        "您向朋友推荐{store_name}的可能性有多大？",
                        "How likely are you to recommend {store_name}?",
                    ),
                    "required": True,
                },
                {
                    "name": "visit",
                    "type": "single_choice",
                    "title": text("您这次来店的目的", "Why did you visit?"),
                    "required": True,
                    "choices": [
                        choice("buy", "购物", "Shopping"),
                        choice("return", "退货", "A return"),
                        choice("browse", "随便看看", "Browsing"),
                    ],
                },
            ],
            "skip": [{"if": "{nps} >= 9", "to": "p3"}],
        },
        {
            "name": "p2",
            "title": text("改进", "What to improve"),
            "questions": [
                {
                    "name": "problem",
                    "type": "long_text",
                    "title": text("关于{visit}，哪里让您不满意？", "What went wrong with {visit}?"),
                    "required": True,
                },
                {
                    "name": "refund_ok",
                    "type": "yes_no",
                    "title": text("退款顺利吗？", "Was the refund smooth?"),
                    "visible_if": "{visit} = 'return'",
                },
            ],
        },
        {
            "name": "p3",
            "title": text("最后", "Last"),
            "questions": [
                {
                    "name": "channels",
                    "type": "multiple_choice",
                    "title": text("您还通过哪些渠道购物？", "Where else do you shop with us?"),
                    "randomize": True,
                    "choices": [
                        choice("app", "App", "App"),
                        choice("web", "网站", "Website"),
                        choice("wechat", "微信", "WeChat"),
                        choice("phone", "电话", "Phone"),
                    ],
                },
                {
                    "name": "comment",
                    "type": "short_text",
                    "title": text("其他意见", "Anything else?"),
                },
            ],
        },
    ],
}


@pytest.fixture
def store(db):
    return save_store(code="sh-nanjing", name_zh="南京路店", name_en="Nanjing Road")


@pytest.fixture
def make_survey(db):
    def make(definition=None, *, slug="store-visit", status=SurveyStatus.OPEN, **options):
        survey = create_survey(
            title="Store visit",
            definition=definition or STORE_VISIT,
            slug=slug,
            status=status,
            is_anonymous=options.pop("is_anonymous", False),
        )
        if options:
            for name, value in options.items():
                setattr(survey, name, value)
            survey.save(update_fields=[*options, "updated_at"])
        return survey

    return make


@pytest.fixture
def survey(make_survey):
    return make_survey()


@pytest.fixture
def qr_distribution(survey, store):
    return Distribution.objects.create(
        survey=survey,
        kind=DistributionKind.QR,
        name="Nanjing Road counter",
        key="nanjing-qr",
        channel=Channel.objects.get(code="store"),
        touchpoint=Touchpoint.objects.get(code="store_checkout"),
        store=store,
    )


@pytest.fixture
def make_invitation(db):
    def make(survey, customer, *, expires_in=timedelta(days=14), language=""):
        distribution = Distribution.objects.filter(survey=survey, kind="email").first()
        if distribution is None:
            distribution = Distribution.objects.create(
                survey=survey,
                kind=DistributionKind.EMAIL,
                name="Email",
                key=f"email-{survey.pk}",
                channel=Channel.objects.get(code="email"),
            )
        return Invitation.objects.create(
            distribution=distribution,
            customer=customer,
            token=secrets.token_urlsafe(32),
            expires_at=timezone.now() + expires_in,
            language=language,
        )

    return make
