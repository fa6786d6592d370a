"""A user's notification preferences: which kinds on which channel, and muting."""

from typing import Any

from django.utils import timezone

from apps.notifications.models import (
    NotificationSettings,
)


def kind_enabled(prefs: NotificationSettings | None, kind: str, channel: str) -> bool:
    if prefs is None:
        return True
    return bool((prefs.kinds or {}).get(kind, {}).get(channel, True))


def is_muted(prefs: NotificationSettings | None) -> bool:
    return bool(prefs and prefs.muted_until and prefs.muted_until > timezone.now())


def settings_update(
    *, user: Any, kinds: dict[str, dict[str, bool]] | None, muted_until: Any = ...
) -> NotificationSettings:
    prefs, _ = NotificationSettings.objects.get_or_create(user=user)
    fields = []
    if kinds is not None:
        merged = dict(prefs.kinds or {})
        for kind, channels in kinds.items():
            merged[kind] = {**merged.get(kind, {}), **channels}
        prefs.kinds = merged
        fields.append("kinds")
    if muted_until is not ...:
        prefs.muted_until = muted_until
        fields.append("muted_until")
    if fields:
        prefs.save(update_fields=fields)
    return prefs
