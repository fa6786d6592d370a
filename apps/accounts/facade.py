"""What other apps may ask of accounts: plain values and id subqueries, never models."""

from apps.accounts.selectors import (
    block_partner_ids,
    block_partner_ids_many,
    block_partners_of,
    followee_ids,
    follower_ids,
    is_blocked_between,
    is_following,
)

__all__ = [
    "block_partner_ids",
    "block_partner_ids_many",
    "block_partners_of",
    "followee_ids",
    "follower_ids",
    "is_blocked_between",
    "is_following",
    "user_ids_by_username",
    "who_can_comment",
]


def user_ids_by_username(usernames: list[str]) -> dict[str, int]:
    """Lower-cased username -> id for the active users among ``usernames``."""
    from django.db.models.functions import Lower

    from apps.accounts.models import User

    wanted = {name.lower() for name in usernames}
    rows = User.objects.annotate(lname=Lower("username")).filter(lname__in=wanted, is_active=True)
    return {lname: pk for lname, pk in rows.values_list("lname", "pk")}


def who_can_comment(user_id: int) -> str:
    """The creator's comment audience: "everyone", "followers" or "nobody" ("everyone" when the
    creator has no settings row yet)."""
    from apps.accounts.models import CreatorSettings

    found = CreatorSettings.objects.filter(user_id=user_id).values_list("who_can_comment", flat=True).first()
    return found or CreatorSettings.Audience.EVERYONE.value
