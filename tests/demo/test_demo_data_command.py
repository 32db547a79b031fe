import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.utils import translation

from kesheng.commerce.models import Order, OrderLine, Product, Store
from kesheng.customers.models import Customer, Identity
from kesheng.demo.actions import DEMO_PASSWORD, load_demo_data
from kesheng.demo.generator import generate
from kesheng.tracking.models import Event

NOW = datetime(2026, 3, 15, 6, 30, tzinfo=UTC)


def counts():
    return {
        "customers": Customer.objects.count(),
        "identities": Identity.objects.count(),
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "events": Event.objects.count(),
        "stores": Store.objects.count(),
        "products": Product.objects.count(),
        "users": get_user_model().objects.count(),
    }


def test_loads_what_the_generator_produces(db):
    expected = generate(customer_count=25, seed=3, now=NOW, zone=ZoneInfo("Asia/Shanghai"))
    summary = load_demo_data(customer_count=25, seed=3, now=NOW)
    assert summary.customers_created == 25
    assert summary.orders_created == len(expected.orders)
    assert summary.events_created == len(expected.events)
    assert Customer.objects.count() == 25
    assert Order.objects.count() == len(expected.orders)
    assert OrderLine.objects.count() == sum(len(order.lines) for order in expected.orders)
    assert Event.objects.count() == len(expected.events)
    assert Store.objects.count() == 15
    first = expected.customers[0]
    stored = Customer.objects.get(customer_id=first.customer_id)
    assert stored.name == first.name
    assert stored.city == first.city
    assert sorted(stored.tags.values_list("name", flat=True)) == sorted(first.tags)
    assert Identity.objects.filter(customer=stored, kind="phone").get().value == (
        "+86" + first.phone
    )


def test_loading_twice_adds_nothing(db):
    load_demo_data(customer_count=20, seed=3, now=NOW)
    before = counts()
    again = load_demo_data(customer_count=20, seed=3, now=NOW)
    assert counts() == before
    assert (again.customers_created, again.orders_created, again.events_created) == (0, 0, 0)


def test_command_with_if_empty_skips_when_customers_exist(db, capsys):
    call_command("demo_data", "--customers", "15", "--seed", "5", "--json")
    loaded = json.loads(capsys.readouterr().out)
    assert loaded["skipped"] is False
    assert loaded["customers_created"] == 15
    before = counts()
    call_command("demo_data", "--customers", "15", "--seed", "6", "--if-empty", "--json")
    skipped = json.loads(capsys.readouterr().out)
    assert skipped["skipped"] is True
    assert counts() == before


def test_command_with_if_empty_reminds_of_the_demo_login_when_skipping(db, capsys):
    call_command("demo_data", "--customers", "5")
    capsys.readouterr()
    with translation.override("en"):
        call_command("demo_data", "--customers", "5", "--if-empty")
    output = capsys.readouterr().out
    assert "demo / kesheng-demo" in output
    assert Customer.objects.count() == 5


def test_command_with_if_empty_loads_into_an_empty_database(db, capsys):
    with translation.override("en"):
        call_command("demo_data", "--customers", "10", "--if-empty")
    output = capsys.readouterr().out
    assert "kesheng-demo" in output
    assert "demo_store_manager" in output
    assert Customer.objects.count() == 10


def test_demo_staff_can_log_in_and_have_their_roles(db):
    load_demo_data(customer_count=5, seed=3, now=NOW)
    superuser = authenticate(username="demo", password=DEMO_PASSWORD)
    assert superuser is not None
    assert superuser.is_superuser is True
    for role in ("admin", "analyst", "cx_manager", "agent", "store_manager"):
        user = authenticate(username=f"demo_{role}", password=DEMO_PASSWORD)
        assert user is not None
        assert list(user.groups.values_list("name", flat=True)) == [role]


@pytest.mark.parametrize("arguments", [["--customers", "0"], ["--seed", "-1"]])
def test_command_refuses_bad_numbers_with_exit_code_2(db, arguments):
    with pytest.raises(CommandError) as raised:
        call_command("demo_data", *arguments)
    assert raised.value.returncode == 2
    assert Customer.objects.count() == 0
