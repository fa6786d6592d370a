"""The two operator groups: staff (run the platform) and moderator (review content).

Neither may change who is an operator: the user admin leaves is_staff, is_superuser, groups
and permissions to superusers (apps/accounts/admin.py). Moderators review videos and never
open the user admin.
"""

from typing import Any

OPERATOR_GROUPS: dict[str, list[tuple[str, str]]] = {
    "staff": [
        ("accounts", "view_user"),
        ("accounts", "change_user"),
        ("accounts", "view_follow"),
        ("accounts", "view_block"),
        ("accounts", "view_creatorsettings"),
        ("videos", "view_video"),
        ("videos", "change_video"),
        ("videos", "view_hashtag"),
        ("videos", "change_hashtag"),
    ],
    "moderator": [
        ("videos", "view_video"),
        ("videos", "change_video"),
        ("videos", "view_hashtag"),
    ],
}


def ensure_operator_groups(group_model: Any, permission_model: Any) -> None:
    """Give the groups exactly these permissions (idempotent; one granted by hand is taken
    away). Takes the models so a migration can pass its historical ones."""
    for name, wanted in OPERATOR_GROUPS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        permissions = []
        for app_label, codename in wanted:
            permission = permission_model.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                permissions.append(permission)
        group.permissions.set(permissions)
