import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse

from kesheng.core.models import DomainEvent
from tests.staff_fixtures import build_customer_with_history

KESHENG_APPS = {"core", "accounts", "customers", "tracking", "commerce"}


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    return client


def test_every_kesheng_model_is_in_the_admin(db):
    from django.apps import apps

    models = {model for label in KESHENG_APPS for model in apps.get_app_config(label).get_models()}
    assert models - set(admin.site._registry) == set()


def test_every_admin_list_and_detail_page_opens(admin_client):
    build_customer_with_history("C001", events=2, orders=1)
    for model in admin.site._registry:
        if model._meta.app_label not in KESHENG_APPS:
            continue
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert admin_client.get(changelist).status_code == 200, changelist
        assert admin_client.get(changelist, {"q": "C001"}).status_code == 200, changelist
        first = model.objects.first()
        if first is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            assert admin_client.get(change).status_code == 200, change


def test_domain_events_are_read_only_in_the_admin(admin_client):
    build_customer_with_history("C001")
    event = DomainEvent.objects.first()
    assert admin_client.get(reverse("admin:core_domainevent_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:core_domainevent_change", args=[event.pk]), {"name": "changed"}
    )
    assert response.status_code == 403
    assert DomainEvent.objects.get(pk=event.pk).name == event.name
