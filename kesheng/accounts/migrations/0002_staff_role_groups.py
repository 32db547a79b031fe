from django.db import migrations

ROLE_NAMES = ["admin", "analyst", "cx_manager", "agent", "store_manager"]


def create_role_groups(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    for role_name in ROLE_NAMES:
        group_model.objects.get_or_create(name=role_name)


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
