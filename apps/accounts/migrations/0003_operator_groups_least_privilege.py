"""Moderators lose the user admin (view_user); groups hold exactly apps.accounts.groups' list."""

from django.db import migrations

from apps.accounts.groups import ensure_operator_groups


def apply_groups(apps, schema_editor):
    ensure_operator_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_staff_and_moderator_groups")]
    operations = [migrations.RunPython(apply_groups, migrations.RunPython.noop)]
