"""Give the staff role groups their help-article permissions (docs/feedback.md):

- admin, cx_manager: write, publish and delete help articles;
- agent, analyst, store_manager: read them (staff pages), as customers may at /help/.

Permissions are normally created after all migrations ran (post_migrate), so on a fresh
database they do not exist yet here; the migration creates the ones it needs first.
"""

from django.db import migrations

VIEW = ("view",)
FULL = ("view", "add", "change", "delete")

ROLE_PERMISSIONS = {
    "admin": [("feedback", "knowledgearticle", action) for action in FULL],
    "cx_manager": [("feedback", "knowledgearticle", action) for action in FULL],
    "agent": [("feedback", "knowledgearticle", action) for action in VIEW],
    "analyst": [("feedback", "knowledgearticle", action) for action in VIEW],
    "store_manager": [("feedback", "knowledgearticle", action) for action in VIEW],
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
        ("feedback", "0002_staff_role_feedback_permissions"),
        ("feedback", "0006_alerts_tags_and_help_articles"),
    ]

    operations = [migrations.RunPython(grant_role_permissions, revoke_role_permissions)]
