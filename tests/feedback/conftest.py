"""Stores and customers the feedback tests send items about."""

import pytest

from kesheng.commerce.models import Store


@pytest.fixture
def stores(db):
    return {
        "sh01": Store.objects.create(code="sh01", name_zh="上海一店", name_en="Shanghai 1"),
        "bj01": Store.objects.create(code="bj01", name_zh="北京一店", name_en="Beijing 1"),
    }
