"""Shared fixtures. Data is built through the real actions, as a caller would build it."""

import pytest

from kesheng.customers.actions import CustomerRecord, upsert_customer


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
