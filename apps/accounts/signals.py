"""Announce changes to who may see an account's videos (apps.core.signals.access_changed):
the account's privacy or activity, blocks either way, an ended follow, and its like-count setting. Retire an
account's authentication snapshot (accounts.identity) when one of its columns changes."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.accounts import identity
from apps.accounts.models import Block, CreatorSettings, Follow, User
from apps.core.signals import announce_access_changed


@receiver(post_save, sender=User, dispatch_uid="accounts.access_changed.user_save")
@receiver(post_delete, sender=User, dispatch_uid="accounts.access_changed.user_delete")
def _account_changed(sender: Any, instance: User, created: bool = False, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if not created and identity.snapshot_changed(update_fields):
        identity.forget([instance.pk])
    if created or (update_fields is not None and not {"is_private", "is_active"} & set(update_fields)):
        return  # a new account has nothing cached; a login or profile edit changes no access
    announce_access_changed(user_ids=[instance.pk])


@receiver(post_save, sender=Block, dispatch_uid="accounts.access_changed.block_save")
@receiver(post_delete, sender=Block, dispatch_uid="accounts.access_changed.block_delete")
def _block_changed(sender: Any, instance: Block, **kwargs: Any) -> None:
    announce_access_changed(user_ids=[instance.blocker_id, instance.blocked_id])


@receiver(post_delete, sender=Follow, dispatch_uid="accounts.access_changed.follow_delete")
def _follow_ended(sender: Any, instance: Follow, **kwargs: Any) -> None:
    # An unfollow (or a removed follower) ends access to followers-only videos: move the
    # follower's epoch so their open sockets re-check. A new follow only grants access.
    announce_access_changed(user_ids=[instance.follower_id])


@receiver(post_save, sender=CreatorSettings, dispatch_uid="accounts.access_changed.creator_settings_save")
def _creator_settings_changed(sender: Any, instance: CreatorSettings, created: bool = False, **kwargs: Any) -> None:
    # The access facts carry show_like_counts (apps/engagement/access.py): move the creator's
    # epoch so counters, sockets and like answers read the new value at once.
    update_fields = kwargs.get("update_fields")
    if created or (update_fields is not None and "show_like_counts" not in update_fields):
        return
    announce_access_changed(user_ids=[instance.user_id])
