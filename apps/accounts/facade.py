"""What other apps may ask of accounts: plain values (ids, frozensets, frozen dataclasses),
never models or QuerySets. The only module of accounts another app imports (.importlinter)."""

from dataclasses import dataclass
from typing import Any

from apps.accounts import tokens
from apps.accounts.selectors import (
    block_partner_ids,
    block_partner_ids_many,
    followee_ids,
    follower_ids_page,
    is_blocked_between,
    is_following,
)
from apps.accounts.ws_auth import CLOSE_UNAUTHORIZED, RecheckingConsumer

__all__ = [
    "CLOSE_UNAUTHORIZED",
    "CREATOR_FACTS_SQL",
    "TOKEN_CHECK_LUA",
    "PendingToken",
    "RecheckingConsumer",
    "ViewerGraph",
    "account_resolved",
    "block_partner_ids",
    "block_partner_ids_many",
    "demo_account_ensure",
    "demo_follow",
    "followee_ids",
    "follower_ids_page",
    "is_blocked_between",
    "is_following",
    "pending_token",
    "user_id_visible",
    "user_ids_by_username",
    "viewer_graph",
    "who_can_comment",
]


def _creator_facts_sql() -> str:
    from django.db import connection

    from apps.accounts.models import CreatorSettings, User

    users = connection.ops.quote_name(User._meta.db_table)
    creator_settings = connection.ops.quote_name(CreatorSettings._meta.db_table)
    return (
        f"(SELECT u.id AS user_id, u.is_active, u.is_private, cs.show_like_counts FROM {users} u"  # noqa: S608
        f" LEFT JOIN {creator_settings} cs ON cs.user_id = u.id)"
    )


# A relation (a parenthesised SELECT) another app's plain-SQL read may join on ``user_id`` for an
# account's access columns: ``is_active``, ``is_private``, ``show_like_counts`` (NULL without a
# settings row). The engagement request path reads them with the video in one query; accounts
# owns the tables behind it.
CREATOR_FACTS_SQL = _creator_facts_sql()


@dataclass(frozen=True)
class ViewerGraph:
    """The part of the follow graph a visibility rule needs about one viewer."""

    followee_ids: frozenset[int]
    block_partner_ids: frozenset[int]  # either direction


def viewer_graph(user_id: int) -> ViewerGraph:
    """Whom ``user_id`` follows and who is on the other side of a block with them (one query)."""
    from apps.accounts.selectors import viewer_graph as read

    followees, partners = read(user_id)
    return ViewerGraph(followee_ids=followees, block_partner_ids=partners)


def user_id_visible(*, username: str, viewer: Any) -> int:
    """The id of the active account ``username`` as ``viewer`` may see it (NotFound
    ``user_not_found`` for none, or when it blocked the viewer)."""
    from apps.accounts.selectors import user_get_visible

    return user_get_visible(username=username, viewer=viewer).pk


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


# --- tokens checked inside another app's Redis script (apps/accounts/tokens.py) ------------------

# A Lua function ``token_valid(snapshot_key, deny_key, generation)`` a script prepends to its
# source and calls with a PendingToken's fields: true only when the account is certainly fine.
TOKEN_CHECK_LUA = tokens.LUA_TOKEN_VALID
PendingToken = tokens.PendingToken
pending_token = tokens.pending_token
account_resolved = tokens.account_resolved


# --- the demo data (seed_demo, embedded default only) --------------------------------------------


def demo_account_ensure(*, username: str, password: str, display_name: str = "", **profile: Any) -> tuple[int, bool]:
    """The id of account ``username``, registered (with ``profile`` fields) when missing; and
    whether it was created now."""
    from apps.accounts import services
    from apps.accounts.models import User

    found = User.objects.filter(username=username).values_list("pk", flat=True).first()
    if found is not None:
        return found, False
    user = services.user_register(username=username, password=password, display_name=display_name)
    if profile:
        services.profile_update(user=user, data=profile)
    return user.pk, True


def demo_follow(*, follower_id: int, followee_id: int) -> str:
    """Follow as the API does ("following", or "requested" for a private account)."""
    from apps.accounts import services
    from apps.accounts.models import User

    return services.follow_create(follower=User.objects.get(pk=follower_id), followee=User.objects.get(pk=followee_id))
