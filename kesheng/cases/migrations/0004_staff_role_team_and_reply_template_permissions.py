"""Give the staff role groups their permissions on teams, agent availability and reply
templates (docs/roles.md):

- admin and cx_manager: manage teams (members, lead, stores, categories, hours), agents' away
  flags and caps, and reply templates;
- agent, store_manager and analyst: see teams and reply templates.

As in 0002, the permissions are created first on a fresh database.
"""

from django.db import migrations

MANAGED = ("team", "agentavailability", "replytemplate")
FULL = ("view", "add", "change", "delete")

ROLE_PERMISSIONS = {
    "admin": [("cases", model, action) for model in MANAGED for action in FULL],
    "cx_manager": [("cases", model, action) for model in MANAGED for action in FULL],
    "agent": [("cases", model, "view") for model in ("team", "replytemplate")],
    "store_manager": [("cases", model, "view") for model in ("team", "replytemplate")],
    "analyst": [("cases", model, "view") for model in ("team", "replytemplate")],
}


def _create_missing_permissions(apps, using):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("cases")
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
        ("cases", "0003_teams_warnings_escalation_replies_handling_survey"),
    ]

    operations = [migrations.RunPython(grant_role_permissions, revoke_role_permissions)]
