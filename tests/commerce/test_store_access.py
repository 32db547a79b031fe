"""Store managers see only their stores."""

import pytest

from kesheng.commerce.actions import grant_store_access
from kesheng.commerce.models import Store, StoreAccess
from kesheng.commerce.queries import visible_store_ids
from kesheng.core.errors import InvalidInput
from tests.staff_fixtures import create_staff_user


@pytest.fixture
def stores(db):
    return {
        code: Store.objects.create(code=code, name_zh=code, city="上海").pk
        for code in ("sh01", "sh02", "bj01")
    }


def test_a_store_manager_sees_only_the_stores_granted(stores):
    manager = create_staff_user("manager.wang", role="store_manager")
    assert visible_store_ids(manager) == frozenset()
    assert grant_store_access(user=manager, store_codes=["sh01", "sh02"]) == 2
    assert grant_store_access(user=manager, store_codes=["sh01"]) == 0  # already granted
    assert visible_store_ids(manager) == {stores["sh01"], stores["sh02"]}


@pytest.mark.parametrize("role", ["admin", "analyst", "cx_manager", "agent"])
def test_other_roles_see_every_store(stores, role):
    assert visible_store_ids(create_staff_user(f"{role}.user", role=role)) is None


def test_a_store_manager_with_another_role_sees_every_store(stores):
    person = create_staff_user("both", role="store_manager")
    person.groups.add(create_staff_user("other", role="cx_manager").groups.get())
    assert visible_store_ids(person) is None


def test_unknown_store_codes_are_refused_and_nothing_is_granted(stores):
    manager = create_staff_user("manager.wang", role="store_manager")
    with pytest.raises(InvalidInput) as refused:
        grant_store_access(user=manager, store_codes=["sh01", "xx99"])
    assert refused.value.errors[0].as_dict() == {
        "field": "stores",
        "reason": "unknown store code xx99",
    }
    assert StoreAccess.objects.count() == 0
