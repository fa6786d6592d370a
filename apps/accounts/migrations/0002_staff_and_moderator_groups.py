"""The two operator groups: staff (run the platform) and moderator (review content)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF_PERMISSIONS = [
    ("accounts", "view_user"),
    ("accounts", "change_user"),
    ("accounts", "view_follow"),
    ("accounts", "view_block"),
    ("accounts", "view_creatorsettings"),
    ("videos", "view_video"),
    ("videos", "change_video"),
    ("videos", "view_hashtag"),
    ("videos", "change_hashtag"),
]
MODERATOR_PERMISSIONS = [
    ("accounts", "view_user"),
    ("videos", "view_video"),
    ("videos", "change_video"),
    ("videos", "view_hashtag"),
]


def create_groups(apps, schema_editor):
    # Permissions are normally made after migrate; make them now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in (("staff", STAFF_PERMISSIONS), ("moderator", MODERATOR_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in wanted:
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                group.permissions.add(permission)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["staff", "moderator"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("videos", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
