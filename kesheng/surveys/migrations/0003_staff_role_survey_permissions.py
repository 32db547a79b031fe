"""Give the staff role groups their survey permissions (docs/roles.md):

- admin: everything on surveys, versions, distributions, invitations and responses;
- cx_manager: builds and sends surveys (view, add, change surveys, versions, distributions,
  invitations) and reads responses;
- analyst: reads surveys and responses (results and exports);
- agent, store_manager: read surveys and responses, change nothing.

Permissions are normally created after all migrations ran (post_migrate), so on a fresh
database they do not exist yet here; the migration creates the ones it needs first.
"""

from django.db import migrations

VIEW = ("view",)
EDIT = ("view", "add", "change")
FULL = ("view", "add", "change", "delete")
BUILD_MODELS = ["survey", "surveyversion", "distribution", "invitation"]
ANSWER_MODELS = ["response", "responsevalue"]


def _grant(models, actions):
    return [("surveys", model, action) for model in models for action in actions]


ROLE_PERMISSIONS = {
    "admin": _grant(BUILD_MODELS + ANSWER_MODELS, FULL),
    "cx_manager": _grant(BUILD_MODELS, EDIT) + _grant(ANSWER_MODELS, VIEW),
    "analyst": _grant(BUILD_MODELS + ANSWER_MODELS, VIEW),
    "agent": _grant(["survey", "surveyversion", *ANSWER_MODELS], VIEW),
    "store_manager": _grant(["survey", "surveyversion", *ANSWER_MODELS], VIEW),
}


def _create_missing_permissions(apps, using):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("surveys")
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
        ("surveys", "0002_invitation_send_after_and_trigger"),
    ]

    operations = [migrations.RunPython(grant_role_permissions, revoke_role_permissions)]
