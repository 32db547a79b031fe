"""Let admin, cx_manager and analyst see the referral funnel (docs/roles.md, docs/loyalty.md).

Permissions are normally created after all migrations ran (post_migrate), so on a fresh
database they do not exist yet here; the migration creates the ones it needs first.
"""

from django.db import migrations

ROLES = ("admin", "cx_manager", "analyst")


def _create_missing_permissions(apps, using):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("loyalty")
    # Historical app configs have no models module, which makes create_permissions skip them.
    app_config.models_module = True
    try:
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
    finally:
        app_config.models_module = None


def _view_referral(apps, using):
    permission_model = apps.get_model("auth", "Permission")
    return permission_model.objects.using(using).get(
        content_type__app_label="loyalty",
        content_type__model="referral",
        codename="view_referral",
    )


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    _create_missing_permissions(apps, using)
    group_model = apps.get_model("auth", "Group")
    permission = _view_referral(apps, using)
    for role_name in ROLES:
        group, _ = group_model.objects.using(using).get_or_create(name=role_name)
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    using = schema_editor.connection.alias
    group_model = apps.get_model("auth", "Group")
    permission = _view_referral(apps, using)
    for group in group_model.objects.using(using).filter(name__in=ROLES):
        group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_role_permissions"),
        ("loyalty", "0005_member_pages_and_referrals"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
