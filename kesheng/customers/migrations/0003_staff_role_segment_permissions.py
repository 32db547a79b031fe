"""Give the staff role groups their segment permissions (docs/roles.md):

- admin, cx_manager, analyst: view, add, change and delete segments (they build the lists that
  surveys, campaigns and reports target);
- agent, store_manager: view segments.

Permissions are normally created after all migrations ran (post_migrate), so on a fresh
database they do not exist yet here; the migration creates the ones it needs first.
"""

from django.db import migrations

FULL = ("view", "add", "change", "delete")

ROLE_PERMISSIONS = {
    "admin": FULL,
    "cx_manager": FULL,
    "analyst": FULL,
    "agent": ("view",),
    "store_manager": ("view",),
}


def _create_missing_permissions(apps, using):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("customers")
    # Historical app configs have no models module, which makes create_permissions skip them.
    app_config.models_module = True
    try:
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
    finally:
        app_config.models_module = None


def _permissions_for(apps, role_name, using):
    permission_model = apps.get_model("auth", "Permission")
    return [
        permission_model.objects.using(using).get(
            content_type__app_label="customers",
            content_type__model="segment",
            codename=f"{action}_segment",
        )
        for action in ROLE_PERMISSIONS[role_name]
    ]


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
        ("accounts", "0003_role_permissions"),
        ("customers", "0002_segment"),
    ]

    operations = [migrations.RunPython(grant_role_permissions, revoke_role_permissions)]
