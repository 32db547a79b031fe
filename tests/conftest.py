"""Shared fixtures. Data is built through the real actions, as a caller would build it."""

import pytest
from django.conf import settings
from django.utils import translation

from kesheng.customers.actions import CustomerRecord, upsert_customer


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the default language (zh-Hans): a request with Accept-Language
    activates its language for the thread, which would otherwise leak into the next test."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def make_customer(db):
    """Create (or update) a customer through identity resolution; returns the Customer."""

    def make(customer_id: str = "C001", **fields):
        return upsert_customer(record=CustomerRecord(customer_id=customer_id, **fields)).customer

    return make


@pytest.fixture
def customer(make_customer):
    return make_customer(
        "C001", name="王芳", email="wang.fang@example.com", phone="13800138000", city="上海"
    )


@pytest.fixture
def api_client(db):
    """A test client sending a fresh API key with the given scopes (English messages)."""
    from django.test import Client

    from kesheng.accounts.actions import create_api_key

    def make(*scopes: str) -> Client:
        key = create_api_key(name="tests", scopes=list(scopes)).plaintext
        return Client(headers={"Authorization": f"Bearer {key}", "Accept-Language": "en"})

    return make
