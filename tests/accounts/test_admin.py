import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from kesheng.accounts.actions import create_api_key
from kesheng.accounts.models import ApiKey, AuditEntry


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    return client


def test_api_key_page_never_shows_the_secret_hash(admin_client):
    key = create_api_key(name="POS sync", scopes=["events:write"]).api_key
    response = admin_client.get(reverse("admin:accounts_apikey_change", args=[key.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert key.secret_hash not in html
    assert 'name="secret_hash"' not in html
    assert 'name="name"' not in html  # shown, not editable
    listing = admin_client.get(reverse("admin:accounts_apikey_changelist")).content.decode()
    assert key.secret_hash not in listing


def test_api_key_cannot_be_added_or_edited_in_the_admin(admin_client):
    key = create_api_key(name="POS sync", scopes=["events:write"]).api_key
    assert admin_client.get(reverse("admin:accounts_apikey_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:accounts_apikey_change", args=[key.pk]),
        {"name": "renamed", "secret_hash": "0" * 64},
    )
    assert response.status_code == 403
    unchanged = ApiKey.objects.get(pk=key.pk)
    assert (unchanged.name, unchanged.secret_hash) == ("POS sync", key.secret_hash)


def test_admin_action_revokes_the_selected_api_keys(admin_client):
    kept = create_api_key(name="kept", scopes=["events:write"]).api_key
    revoked = create_api_key(name="leaked", scopes=["events:write"]).api_key
    response = admin_client.post(
        reverse("admin:accounts_apikey_changelist"),
        {"action": "revoke_selected", "_selected_action": [revoked.pk]},
    )
    assert response.status_code == 302
    assert ApiKey.objects.get(pk=revoked.pk).revoked_at is not None
    assert ApiKey.objects.get(pk=kept.pk).revoked_at is None
    assert AuditEntry.objects.filter(action="api_key.revoked").count() == 1
