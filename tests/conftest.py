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
