"""Give each staff role group its model permissions (docs/roles.md explains the choices).

Permissions are normally created after all migrations ran (post_migrate), so on a fresh
database they do not exist yet here; the migration creates them for the apps it needs first.
"""

from django.db import migrations

VIEW = ("view",)
EDIT = ("view", "add", "change")
FULL = ("view", "add", "change", "delete")

CUSTOMER_MODELS = ["customer", "identity", "consent", "tag", "customermerge"]
TRACKING_MODELS = ["channel", "touchpoint", "event"]
COMMERCE_MODELS = ["store", "product", "order", "orderline"]


def _grant(app_label, models, actions):
    return [(app_label, model, action) for model in models for action in actions]


ROLE_PERMISSIONS = {
    "admin": (
        _grant("customers", CUSTOMER_MODELS, FULL)
        + _grant("tracking", TRACKING_MODELS, FULL)
        + _grant("commerce", COMMERCE_MODELS, FULL)
        + _grant("accounts", ["apikey", "auditentry"], FULL)
        + _grant("core", ["domainevent"], VIEW)
        + _grant("auth", ["user", "group"], FULL)
    ),
    "analyst": (
        _grant("customers", CUSTOMER_MODELS, VIEW)
        + _grant("tracking", TRACKING_MODELS, VIEW)
        + _grant("commerce", COMMERCE_MODELS, VIEW)
    ),
    "cx_manager": (
        _grant("customers", CUSTOMER_MODELS, VIEW)
        + _grant("customers", ["customer", "identity", "consent", "tag"], EDIT)
        + _grant("tracking", TRACKING_MODELS, VIEW)
        + _grant("tracking", ["channel", "touchpoint"], EDIT)
        + _grant("commerce", COMMERCE_MODELS, VIEW)
    ),
    "agent": (
        _grant("customers", ["customer", "identity", "consent", "tag"], VIEW)
        + _grant("customers", ["customer", "consent"], ("change",))
        + _grant("tracking", TRACKING_MODELS, VIEW)
        + _grant("commerce", COMMERCE_MODELS, VIEW)
    ),
    "store_manager": (
        _grant("customers", ["customer", "identity", "consent", "tag"], VIEW)
        + _grant("tracking", TRACKING_MODELS, VIEW)
        + _grant("commerce", COMMERCE_MODELS, VIEW)
    ),
}

APP_LABELS = ["auth", "core", "accounts", "customers", "tracking", "commerce"]


def _create_missing_permissions(apps, using):
    from django.contrib.auth.management import create_permissions

    for label in APP_LABELS:
        app_config = apps.get_app_config(label)
        # Historical app configs have no models module, which makes create_permissions skip them.
        app_config.models_module = True
        try:
            create_permissions(app_config, apps=apps, verbosity=0, using=using)
        finally:
            app_config.models_module = None


def _permissions_for(apps, role_name, using):
    permission_model = apps.get_model("auth", "Permission")
    wanted = ROLE_PERMISSIONS[role_name]
    found = []
    for app_label, model, action in wanted:
        found.append(
            permission_model.objects.using(using).get(
                content_type__app_label=app_label,
                content_type__model=model,
                codename=f"{action}_{model}",
            )
        )
    return found


def grant_role_permissions(apps, schema_editor):
    using = schema_editor.connection.alias
    _create_missing_permissions(apps, using)
    group_model = apps.get_model("auth", "Group")
    for role_name in ROLE_PERMISSIONS:
        group, _ = group_model.objects.using(using).get_or_create(name=role_name)
        group.permissions.add(*_permissions_for(apps, role_name, using))


def revoke_role_permissions(apps, schema_editor):
    using = schema_editor.connection.alias
    group_model = apps.get_model("auth", "Group")
    for role_name in ROLE_PERMISSIONS:
        group = group_model.objects.using(using).filter(name=role_name).first()
        if group is not None:
            group.permissions.remove(*_permissions_for(apps, role_name, using))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_staff_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
        ("customers", "0001_initial"),
        ("tracking", "0002_default_channels_and_touchpoints"),
        ("commerce", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant_role_permissions, revoke_role_permissions)]
