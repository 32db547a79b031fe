"""Give the staff role groups their customer-analytics permissions (docs/roles.md,
docs/analytics.md "The analytics page"):

- every role: view the customer scores (the analytics page; a store manager sees only the
  customers of their stores, checked in queries);
- admin, cx_manager, analyst: view and create win-back lists (creating one creates a
  customer segment, which these roles build);
- store_manager: view the win-back lists drawn from their own stores.

Permissions are normally created after all migrations ran (post_migrate), so on a fresh
database they do not exist yet here; the migration creates the ones it needs first.
"""

from django.db import migrations

SCORES = [("analytics", "customerscore", "view")]
BUILD = [("analytics", "winbacklist", action) for action in ("view", "add")]

ROLE_PERMISSIONS = {
    "admin": SCORES + BUILD,
    "cx_manager": SCORES + BUILD,
    "analyst": SCORES + BUILD,
    "store_manager": SCORES + [("analytics", "winbacklist", "view")],
    "agent": SCORES,
}


def _create_missing_permissions(apps, using):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("analytics")
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
            content_type__app_label=app_label,
            content_type__model=model,
            codename=f"{action}_{model}",
        )
        for app_label, model, action in ROLE_PERMISSIONS[role_name]
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
        ("analytics", "0004_scoring_runs_and_win_back_lists"),
    ]

    operations = [migrations.RunPython(grant_role_permissions, revoke_role_permissions)]
