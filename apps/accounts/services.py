"""Writes of the accounts app: registration, tokens, profile, follow graph, blocks.

Follower/following counts change only through F() expressions, and only when a row
was really inserted or deleted, so concurrent follow/unfollow keeps them exact.
"""

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts import identity, lockout, selectors
from apps.accounts.models import Block, CreatorSettings, Follow, FollowRequest, User
from apps.accounts.tokens import (  # noqa: F401 - token_* names stay importable from here
    TOKEN_GENERATION_CLAIM,
    HashedRefreshToken,
    denied_access_key,
    token_generation_stale,
    token_is_revoked,
)
from apps.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, RateLimited, ValidationFailed


class InvalidCredentials(ApplicationError):
    status_code = 401
    code = "invalid_credentials"
    message = "Wrong username or password."


class TokenInvalid(ApplicationError):
    status_code = 401
    code = "token_not_valid"
    message = "The token is invalid, expired or revoked."


class WrongPassword(ApplicationError):
    # 403, not 400: the request is well formed; the caller failed to prove who they are.
    status_code = 403
    code = "wrong_password"
    message = "The current password is wrong."


# --- registration and tokens ---------------------------------------------------------


def user_register(*, username: str, password: str, email: str = "", display_name: str = "") -> User:
    candidate = User(username=username, email=email, display_name=display_name)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "The password is too weak.", code="weak_password", details={"password": list(exc.messages)}
        ) from exc
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("That username is taken.", code="username_taken")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username, password=password, email=email, display_name=display_name or username
            )
            CreatorSettings.objects.create(user=user)
    except IntegrityError as exc:  # lost a race for the same username
        raise Conflict("That username is taken.", code="username_taken") from exc
    return user


def tokens_for_user(*, user: User) -> dict[str, str]:
    refresh = HashedRefreshToken.for_user(user)  # carries the account's token generation
    identity.remember([user.pk])  # the session's requests authenticate from the snapshot
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def session_refreshed(*, access: str) -> None:
    """A refresh issued ``access``: snapshot its account for the requests that will carry it."""
    identity.remember([int(AccessToken(access)[api_settings.USER_ID_CLAIM])])


def user_login(*, request: HttpRequest, username: str, password: str) -> dict[str, Any]:
    """Password login for API clients.

    The per-network budget was taken before this is called (the ``login`` rate-limit scope);
    django-axes refuses a locked-out account or network before any password is hashed."""
    username = _canonical_username(username)
    if not lockout.login_allowed(request, username):
        raise RateLimited(
            "Too many failed logins; try again later.",
            retry_after=lockout.lockout_seconds(),
            details={"scope": "login_lockout"},
        )
    user = authenticate(request=request, username=username, password=password)
    if user is None or not user.is_active:
        raise InvalidCredentials()
    return {"user": user, "tokens": tokens_for_user(user=user)}


def _canonical_username(username: str) -> str:
    found = User.objects.filter(username__iexact=username).values_list("username", flat=True).first()
    return found or username


def token_revoke(*, user: User, refresh: str, access_jti: str | None = None, access_exp: int | None = None) -> None:
    """Log out one session of ``user``: blacklist its refresh token, deny its access token."""
    try:
        token = HashedRefreshToken(refresh)
    except TokenError as exc:
        raise TokenInvalid("The refresh token is invalid or already revoked.") from exc
    if str(token.payload.get(api_settings.USER_ID_CLAIM)) != str(user.pk):
        # Someone else's session is not the caller's to end (and says nothing about it).
        raise PermissionDenied("That refresh token is not one of your sessions.", code="not_token_owner")
    token.blacklist()
    if access_jti and access_exp:
        remaining = int(access_exp - timezone.now().timestamp())
        if remaining > 0:
            cache.set(denied_access_key(access_jti), 1, timeout=remaining)


def tokens_revoke_all(*, user: User) -> int:
    """Log out everywhere: blacklist every outstanding refresh token, refuse older access tokens."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(token_generation=F("token_generation") + 1)
    identity.forget([user.pk])
    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=now).exclude(blacklistedtoken__isnull=False)
    created = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(created)


def password_change(*, user: User, current_password: str, new_password: str) -> dict[str, str]:
    """Change the password, end every session, and open a fresh one for the caller."""
    account = User.objects.get(pk=user.pk)  # the request's user is a snapshot without the hash
    if not account.check_password(current_password):
        raise WrongPassword()
    password_set(user=account, password=new_password)
    account.refresh_from_db(fields=["token_generation"])
    return tokens_for_user(user=account)


def password_set(*, user: User, password: str) -> None:
    """Set a new password (validated) and revoke every session: the API's and the admin's way."""
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "The password is too weak.", code="weak_password", details={"password": list(exc.messages)}
        ) from exc
    user.set_password(password)
    with transaction.atomic():
        user.save(update_fields=["password"])
        tokens_revoke_all(user=user)


# --- profile and settings ------------------------------------------------------------


def profile_update(*, user: User, data: dict[str, Any]) -> User:
    allowed = {"display_name", "bio", "is_private", "email", "avatar"}
    fields = [name for name in data if name in allowed]
    going_public = user.is_private and data.get("is_private") is False
    for name in fields:
        setattr(user, name, data[name])
    with transaction.atomic():
        if fields:
            user.save(update_fields=fields)
        if going_public:
            # A public account has no gate: everyone who asked is let in.
            for request in FollowRequest.objects.filter(target=user).select_related("requester"):
                follow_request_accept(target=user, requester=request.requester)
    return user


def creator_settings_update(*, user: User, data: dict[str, Any]) -> CreatorSettings:
    settings_row, _ = CreatorSettings.objects.get_or_create(user=user)
    fields = [
        name
        for name in ("default_visibility", "who_can_comment", "allow_downloads", "show_like_counts")
        if name in data
    ]
    for name in fields:
        setattr(settings_row, name, data[name])
    if fields:
        settings_row.save(update_fields=fields)
    return settings_row


# --- follow graph ---------------------------------------------------------------------


def _follow_insert(*, follower_id: int, followee_id: int) -> bool:
    """Insert the edge and bump both counts; False (and no count change) if it existed."""
    try:
        with transaction.atomic():
            Follow.objects.create(follower_id=follower_id, followee_id=followee_id)
            User.objects.filter(pk=followee_id).update(follower_count=F("follower_count") + 1)
            User.objects.filter(pk=follower_id).update(following_count=F("following_count") + 1)
    except IntegrityError:
        return False
    return True


def _follow_remove(*, follower_id: int, followee_id: int) -> bool:
    with transaction.atomic():
        deleted, _ = Follow.objects.filter(follower_id=follower_id, followee_id=followee_id).delete()
        if deleted:
            User.objects.filter(pk=followee_id).update(follower_count=F("follower_count") - 1)
            User.objects.filter(pk=follower_id).update(following_count=F("following_count") - 1)
    return bool(deleted)


def follow_create(*, follower: User, followee: User) -> str:
    """Follow (public account) or ask to follow (private). Returns "following" or "requested"."""
    if follower.pk == followee.pk:
        raise ValidationFailed("You cannot follow yourself.", code="cannot_follow_self")
    if selectors.is_blocked_between(follower.pk, followee.pk):
        raise PermissionDenied("You cannot follow this account.", code="blocked")
    if Follow.objects.filter(follower=follower, followee=followee).exists():
        return "following"
    from apps.notifications import facade as notifications  # here: notifications imports accounts.facade

    if followee.is_private:
        _, created = FollowRequest.objects.get_or_create(requester=follower, target=followee)
        if created:
            notifications.notify_event(
                kind="follow_request",
                actor_id=follower.pk,
                target_user_id=followee.pk,
                event_id=f"follow_request:{follower.pk}:{followee.pk}",
            )
        return "requested"
    if _follow_insert(follower_id=follower.pk, followee_id=followee.pk):
        notifications.notify_event(
            kind="follow",
            actor_id=follower.pk,
            target_user_id=followee.pk,
            event_id=f"follow:{follower.pk}:{followee.pk}",
        )
    return "following"


def follow_delete(*, follower: User, followee: User) -> str:
    """Unfollow, or withdraw a pending request. Idempotent."""
    FollowRequest.objects.filter(requester=follower, target=followee).delete()
    _follow_remove(follower_id=follower.pk, followee_id=followee.pk)
    return "none"


def follow_request_accept(*, target: User, requester: User) -> None:
    """Turn a pending request into a follow. Nobody is notified: the target acted, and there is
    no "request accepted" kind for the requester (their follow list shows it)."""
    with transaction.atomic():
        deleted, _ = FollowRequest.objects.filter(requester=requester, target=target).delete()
        if not deleted:
            if Follow.objects.filter(follower=requester, followee=target).exists():
                return  # accepted already: a second click changes nothing
            raise NotFound("There is no such follow request.", code="follow_request_not_found")
        if deleted:
            _follow_insert(follower_id=requester.pk, followee_id=target.pk)


def follow_request_reject(*, target: User, requester: User) -> None:
    FollowRequest.objects.filter(requester=requester, target=target).delete()


def follower_remove(*, user: User, follower: User) -> None:
    _follow_remove(follower_id=follower.pk, followee_id=user.pk)


# --- blocks -----------------------------------------------------------------------------


def block_create(*, blocker: User, blocked: User) -> None:
    """Block: cuts follows both ways and pending requests, and hides each from the other."""
    if blocker.pk == blocked.pk:
        raise ValidationFailed("You cannot block yourself.", code="cannot_block_self")
    with transaction.atomic():
        Block.objects.get_or_create(blocker=blocker, blocked=blocked)
        _follow_remove(follower_id=blocker.pk, followee_id=blocked.pk)
        _follow_remove(follower_id=blocked.pk, followee_id=blocker.pk)
        FollowRequest.objects.filter(requester=blocker, target=blocked).delete()
        FollowRequest.objects.filter(requester=blocked, target=blocker).delete()


def block_delete(*, blocker: User, blocked: User) -> None:
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()
