from datetime import timedelta

import pytest
from django.utils import timezone

from kesheng.accounts.actions import (
    create_api_key,
    mark_api_key_used,
    revoke_api_key,
)
from kesheng.accounts.models import ApiKey, AuditEntry
from kesheng.accounts.queries import authenticate_api_key, list_api_keys, parse_api_key
from kesheng.core.errors import InvalidInput, NotFound


def test_creates_a_key_storing_only_the_hash_of_its_secret(db):
    new_key = create_api_key(name="shop", scopes=["events:write", "customers:read"])
    prefix, secret = parse_api_key(new_key.plaintext)
    stored = ApiKey.objects.get()
    assert new_key.plaintext == f"ks_{stored.prefix}_{secret}"
    assert prefix == stored.prefix
    assert stored.secret_hash == ApiKey.hash_secret(secret)
    assert secret not in stored.secret_hash
    assert stored.scopes == ["events:write", "customers:read"]
    assert stored.name == "shop"


def test_creating_a_key_is_audited(db):
    new_key = create_api_key(name="shop", scopes=["orders:write"])
    entry = AuditEntry.objects.get()
    assert entry.action == "api_key.created"
    assert entry.api_key_id == new_key.api_key.pk
    assert entry.target == f"ks_{new_key.api_key.prefix}"
    assert entry.details == {"name": "shop", "scopes": ["orders:write"]}


def test_unknown_scopes_are_refused_and_nothing_is_created(db):
    with pytest.raises(InvalidInput) as refused:
        create_api_key(name="shop", scopes=["events:write", "events:delete", "admin"])
    assert [error.field for error in refused.value.errors] == ["scopes", "scopes"]
    assert "events:delete" in refused.value.errors[0].reason
    assert "admin" in refused.value.errors[1].reason
    assert ApiKey.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_key_needs_a_name_and_a_scope(db):
    with pytest.raises(InvalidInput) as refused:
        create_api_key(name="  ", scopes=[])
    assert [error.field for error in refused.value.errors] == ["name", "scopes"]
    assert ApiKey.objects.count() == 0


def test_authenticates_the_full_key_only(db):
    new_key = create_api_key(name="shop", scopes=["events:write"])
    prefix = new_key.api_key.prefix
    assert authenticate_api_key(new_key.plaintext) == new_key.api_key
    assert authenticate_api_key(new_key.plaintext + "x") is None
    assert authenticate_api_key(f"ks_{prefix}_wrong") is None
    assert authenticate_api_key(f"ks_{prefix}") is None
    assert authenticate_api_key("ks_00000000_" + new_key.plaintext.split("_", 2)[2]) is None
    assert authenticate_api_key("") is None
    assert authenticate_api_key("Bearer nonsense") is None


def test_authentication_is_one_query(db, django_assert_num_queries):
    new_key = create_api_key(name="shop", scopes=["events:write"])
    with django_assert_num_queries(1):
        assert authenticate_api_key(new_key.plaintext) is not None
    with django_assert_num_queries(1):
        assert authenticate_api_key("ks_deadbeef_secret") is None


def test_revoked_key_stops_authenticating_and_revoking_is_audited(db):
    new_key = create_api_key(name="shop", scopes=["events:write"])
    revoked = revoke_api_key(prefix=f"ks_{new_key.api_key.prefix}")
    assert revoked.revoked_at is not None
    assert authenticate_api_key(new_key.plaintext) is None
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "api_key.created",
        "api_key.revoked",
    ]


def test_revoking_twice_changes_nothing(db):
    new_key = create_api_key(name="shop", scopes=["events:write"])
    first = revoke_api_key(prefix=new_key.api_key.prefix).revoked_at
    second = revoke_api_key(prefix=new_key.plaintext).revoked_at
    assert first == second
    assert AuditEntry.objects.filter(action="api_key.revoked").count() == 1


def test_revoking_an_unknown_prefix_is_not_found(db):
    with pytest.raises(NotFound):
        revoke_api_key(prefix="ks_12345678")


def test_last_used_is_written_at_most_once_a_minute(db, django_assert_num_queries):
    api_key = create_api_key(name="shop", scopes=["events:write"]).api_key
    now = timezone.now()
    with django_assert_num_queries(1):
        assert mark_api_key_used(api_key=api_key, now=now) is True
    with django_assert_num_queries(0):
        assert mark_api_key_used(api_key=api_key, now=now + timedelta(seconds=59)) is False
    assert mark_api_key_used(api_key=api_key, now=now + timedelta(seconds=61)) is True
    assert ApiKey.objects.get().last_used_at == now + timedelta(seconds=61)


def test_lists_keys_newest_first_and_can_leave_out_revoked_ones(db):
    old = create_api_key(name="old", scopes=["events:write"]).api_key
    create_api_key(name="new", scopes=["customers:read"])
    revoke_api_key(prefix=old.prefix)
    assert [key.name for key in list_api_keys()] == ["new", "old"]
    assert [key.name for key in list_api_keys(include_revoked=False)] == ["new"]
