from datetime import UTC, date, datetime

import pytest

from kesheng.commerce.actions import record_orders
from kesheng.commerce.models import Order
from kesheng.core.errors import InvalidInput
from kesheng.customers.actions import CustomerRecord, set_consent, upsert_customer
from kesheng.customers.models import Consent, Customer, CustomerMerge, Identity
from kesheng.customers.queries import get_customer
from kesheng.tracking.actions import record_events
from kesheng.tracking.models import Event


def test_creates_a_customer_with_every_identity(db):
    result = upsert_customer(
        record=CustomerRecord(
            customer_id="C1", name="李雷", email="Li.Lei@Example.com", phone="138 0013 8000"
        )
    )
    assert result.created is True
    identities = set(result.customer.identities.values_list("kind", "value"))
    assert identities == {
        ("customer_id", "C1"),
        ("email", "li.lei@example.com"),
        ("phone", "+8613800138000"),
    }


def test_record_matching_an_identity_updates_that_customer(make_customer):
    first = make_customer("C1", email="li@example.com", city="北京")
    result = upsert_customer(record=CustomerRecord(email="LI@example.com", city="上海"))
    assert result.created is False
    assert result.customer.pk == first.pk
    assert Customer.objects.get(pk=first.pk).city == "上海"
    assert Customer.objects.count() == 1


def test_same_record_twice_changes_nothing(db):
    record = CustomerRecord(customer_id="C1", name="李雷", email="li@example.com", tags=["vip"])
    upsert_customer(record=record)
    before = Customer.objects.get().updated_at
    again = upsert_customer(record=record)
    assert again.changed is False
    assert Customer.objects.get().updated_at == before
    assert Identity.objects.count() == 2


def test_record_joining_two_profiles_merges_them_keeping_events_and_orders(make_customer):
    by_phone = make_customer("C1", phone="13800138000", name="王芳")
    by_email = make_customer("C2", email="wang@example.com", city="杭州")
    record_orders(
        items=[
            {
                "order_id": "O1",
                "customer_id": "C2",
                "ordered_at": "2025-01-02T10:00:00+08:00",
                "amount": "99.50",
                "channel": "web",
            }
        ]
    )
    record_events(
        items=[
            {
                "event_id": "E1",
                "customer_id": "C2",
                "type": "page_view",
                "touchpoint": "web_browse",
                "occurred_at": "2025-01-01T09:00:00+08:00",
            }
        ]
    )
    result = upsert_customer(
        record=CustomerRecord(phone="+86 138-0013-8000", email="wang@example.com")
    )
    assert result.customer.pk == by_phone.pk
    assert result.merged_customer_ids == ["C2"]
    assert not Customer.objects.filter(pk=by_email.pk).exists()
    assert Order.objects.get(order_id="O1").customer_id == by_phone.pk
    assert Event.objects.get(event_id="E1").customer_id == by_phone.pk
    survivor = Customer.objects.get(pk=by_phone.pk)
    assert survivor.city == "杭州"  # blank field filled from the merged profile
    assert get_customer("C2").pk == by_phone.pk  # the merged id still resolves
    merge = CustomerMerge.objects.get()
    assert merge.merged_customer_id == "C2"
    assert merge.merged_profile["city"] == "杭州"


def test_merge_keeps_the_latest_consent_decision(make_customer):
    first = make_customer("C1", phone="13800138000")
    second = make_customer("C2", email="a@example.com")
    set_consent(customer=first, channel="sms", purpose="marketing", is_granted=True, source="t")
    set_consent(customer=second, channel="sms", purpose="marketing", is_granted=False, source="t")
    upsert_customer(record=CustomerRecord(phone="13800138000", email="a@example.com"))
    consent = Consent.objects.get()
    assert consent.customer_id == first.pk
    assert consent.is_granted is False


def test_refuses_a_record_without_identity_and_writes_nothing(db):
    with pytest.raises(InvalidInput) as error:
        upsert_customer(record=CustomerRecord(name="无名"))
    assert error.value.errors[0].field == "customer_id"
    assert Customer.objects.count() == 0


def test_refuses_a_bad_email_naming_the_field(db):
    with pytest.raises(InvalidInput) as error:
        upsert_customer(record=CustomerRecord(customer_id="C1", email="not-an-email"))
    assert [e.field for e in error.value.errors] == ["email"]
    assert Customer.objects.count() == 0


def test_signed_up_at_is_stored(db):
    moment = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    result = upsert_customer(record=CustomerRecord(customer_id="C1", signed_up_at=moment))
    assert Customer.objects.get(pk=result.customer.pk).signed_up_at == moment


@pytest.mark.parametrize("birthday", [date(1850, 1, 1), date(2999, 1, 1)])
def test_refuses_a_birthday_no_customer_can_have(db, birthday):
    with pytest.raises(InvalidInput) as error:
        upsert_customer(record=CustomerRecord(customer_id="C1", birthday=birthday))
    assert [e.field for e in error.value.errors] == ["birthday"]
    assert Customer.objects.count() == 0
