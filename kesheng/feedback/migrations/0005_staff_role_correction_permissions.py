"""Give the staff role groups their permissions on feedback corrections (docs/roles.md):

- admin: everything on corrections, and reading the trained category models;
- cx_manager, agent: correct an item's categories and sentiment (add) and read corrections;
- analyst, store_manager: read corrections (a store manager only their stores', in queries).

Permissions are normally created after all migrations ran (post_migrate), so on a fresh
database they do not exist yet here; the migration creates the ones it needs first.
"""

from django.db import migrations

CORRECTION = ("feedback", "feedbackcorrection")
ROLE_PERMISSIONS = {
    "admin": [
        *[(*CORRECTION, action) for action in ("view", "add", "change", "delete")],
        ("feedback", "categorymodel", "view"),
    ],
    "cx_manager": [(*CORRECTION, action) for action in ("view", "add")],
    "agent": [(*CORRECTION, action) for action in ("view", "add")],
    "analyst": [(*CORRECTION, "view")],
    "store_manager": [(*CORRECTION, "view")],
}


def _create_missing_permissions(apps, using):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("feedback")
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
        ("feedback", "0004_corrections_aspects_and_category_models"),
    ]

    operations = [migrations.RunPython(grant_role_permissions, revoke_role_permissions)]
