"""Stores, a survey and staff for the case tests, built through the real actions."""

import pytest

from kesheng.commerce.models import Store
from tests.surveys.results_fixtures import make_sample_survey


@pytest.fixture
def stores(db):
    return {
        "sh01": Store.objects.create(code="sh01", name_zh="上海一店", name_en="Shanghai 1"),
        "bj01": Store.objects.create(code="bj01", name_zh="北京一店", name_en="Beijing 1"),
    }


@pytest.fixture
def survey(db):
    return make_sample_survey()


@pytest.fixture(autouse=True)
def english(default_language):
    """Messages are asserted in English (after the shared fixture set zh-Hans)."""
    from django.utils import translation

    translation.activate("en")
    yield


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 that Django's mail settings point at."""
    from tests.messaging.smtp import running_smtp_server

    settings.KESHENG_PUBLIC_URL = "http://testserver"
    with running_smtp_server(settings) as handler:
        yield handler


@pytest.fixture(autouse=True)
def no_urgency_rules(settings):
    """The opening rules' urgencies as the rules give them; raising by sentiment or tier is
    tested on its own (test_urgency_rules.py turns it back on)."""
    settings.KESHENG_CASE_RAISE_SENTIMENT_MAX = None
    settings.KESHENG_CASE_RAISE_TIERS = []
