"""Writes of comments. Notifications are enqueued after commit through notifications.facade."""

import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts import facade as accounts
from apps.comments import moderation, selectors
from apps.comments.models import Comment, CommentEdit, CommentLike, ModerationDecision, ShadowRestriction
from apps.core import shared_redis
from apps.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from apps.core.parsing import parse_hashtags, parse_mentions
from apps.notifications import facade as notifications
from apps.videos import facade as videos

logger = logging.getLogger(__name__)
S = Comment.Status
DIRTY_KEY = "comments:dirty"
DIRTY_VIDEOS_KEY = "comments:dirty-videos"


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(details={"body": [{"code": "blank", "message": "A comment needs text."}]})
    if len(body) > settings.COMMENT_MAX_LENGTH:
        raise ValidationFailed(details={"body": [{"code": "max_length", "message": "The comment is too long."}]})
    return body


def _mentions(body: str, *, author_id: int) -> dict[str, int]:
    ids = accounts.user_ids_by_username(parse_mentions(body))
    return {
        name: uid for name, uid in ids.items() if uid != author_id and not accounts.is_blocked_between(uid, author_id)
    }


def _check_audience(*, creator_id: int, user: Any) -> None:
    """The creator's ``who_can_comment`` (everyone / followers / nobody), for top-level comments
    and replies alike. The creator may always comment on their own videos."""
    if user.pk == creator_id:
        return
    audience = accounts.who_can_comment(creator_id)
    if audience == "nobody":
        raise PermissionDenied("The creator has turned comments off.", code="comments_disabled")
    if audience == "followers" and not accounts.is_following(follower_id=user.pk, followee_id=creator_id):
        raise PermissionDenied("Only the creator's followers may comment.", code="comments_followers_only")


def _visible_parent(*, parent_id: int, video_id: int, user: Any) -> Comment:
    parent = Comment.objects.select_related("author").filter(pk=parent_id, video_id=video_id).first()
    if parent is None or accounts.is_blocked_between(parent.author_id, user.pk):
        raise NotFound("No such comment.", code="comment_not_found")
    if parent.status == S.DELETED:
        raise Conflict("That comment was deleted.", code="comment_deleted")
    own = parent.author_id == user.pk
    if not own and (parent.status != S.PUBLISHED or parent.shadow_hidden):
        raise NotFound("No such comment.", code="comment_not_found")
    return parent


def _record(comment: Comment, outcome: str, reasons: list[str], by: str) -> ModerationDecision:
    return ModerationDecision.objects.create(comment=comment, outcome=outcome, reasons=reasons, decided_by=by)


@transaction.atomic
def comment_create(*, user: Any, video_id: int, body: str, parent_id: int | None = None) -> Comment:
    # The hard per-user limit is the "comment" rate-limit scope (apps/core/ratelimit.py), taken
    # before the view runs; the flood rule in moderation stays a moderation signal.
    body = _clean_body(body)
    video = videos.video_comment_settings(video_id)
    if video is None or not videos.video_can_view(video_id=video_id, viewer=user):
        raise NotFound("No such video.", code="video_not_found")
    if not video["allow_comments"]:
        raise PermissionDenied("Comments are turned off for this video.", code="comments_disabled")
    _check_audience(creator_id=video["creator_id"], user=user)
    root, reply_to = None, None
    if parent_id is not None:
        parent = _visible_parent(parent_id=parent_id, video_id=video_id, user=user)
        root = parent.parent if parent.parent_id else parent
        if root.status != S.PUBLISHED and root.author_id != user.pk:
            raise NotFound("No such comment.", code="comment_not_found")
        reply_to = parent.author
        if parent.parent_id and reply_to.pk != user.pk and f"@{reply_to.username.lower()}" not in body.lower():
            body = _clean_body(f"@{reply_to.username} {body}")
    mentioned = _mentions(body, author_id=user.pk)
    verdict = moderation.rules_check(body=body, author_id=user.pk, creator_id=video["creator_id"])
    hook = moderation.classifier()
    status = verdict.outcome
    if status == S.PUBLISHED and hook is not None:
        status = S.PENDING  # the classifier decides in a worker; the author sees it meanwhile
    shadow = ShadowRestriction.objects.filter(user_id=user.pk).exists()
    comment = Comment.objects.create(
        video_id=video_id,
        author=user,
        parent=root,
        reply_to_user=reply_to,
        body=body,
        mentions=sorted(mentioned),
        hashtags=parse_hashtags(body),
        status=status,
        shadow_hidden=shadow,
        moderation_reasons=verdict.reasons + (["shadow_restricted"] if shadow else []),
    )
    comment.rank = _fresh_rank(comment)
    comment.save(update_fields=["rank"])
    if status != S.PENDING:
        _record(comment, status, comment.moderation_reasons, "rules")
    if status == S.PUBLISHED:
        _on_published(comment)
    elif status == S.PENDING:
        from apps.comments.tasks import moderate

        transaction.on_commit(lambda: moderate.delay(comment.pk))
    return comment


def _fresh_rank(comment: Comment) -> float:
    import math

    return math.log10(1) + comment.created_at.timestamp() / settings.COMMENTS_RANK_DECAY_S


def _on_published(comment: Comment) -> None:
    """Side effects of a comment becoming visible: counters and notifications (after commit)."""
    mark_dirty([comment.parent_id] if comment.parent_id else [], video_ids=[comment.video_id])
    if comment.shadow_hidden:
        return  # an abuser's comment notifies nobody
    creator_id = videos.video_creator_id(comment.video_id)
    events: list[dict[str, Any]] = []
    told: set[int] = {comment.author_id}
    base = {"actor_id": comment.author_id, "video_id": comment.video_id, "comment_id": comment.pk}
    if comment.parent_id is None and creator_id:
        events.append(
            {**base, "kind": "comment", "target_user_id": creator_id, "event_id": f"comment:{comment.pk}:comment"}
        )
        told.add(creator_id)
    else:
        root_author = Comment.objects.filter(pk=comment.parent_id).values_list("author_id", flat=True).first()
        for uid in (comment.reply_to_user_id, root_author):
            if uid and uid not in told:
                events.append(
                    {**base, "kind": "reply", "target_user_id": uid, "event_id": f"comment:{comment.pk}:reply:{uid}"}
                )
                told.add(uid)
    for uid in accounts.user_ids_by_username(comment.mentions).values():
        if uid not in told:
            events.append(
                {**base, "kind": "mention", "target_user_id": uid, "event_id": f"comment:{comment.pk}:mention:{uid}"}
            )
            told.add(uid)
    notifications.notify_events(events)


@transaction.atomic
def comment_moderate(
    *, comment_id: int, outcome: str, reasons: list[str], by: str, judged_body: str | None = None
) -> Comment | None:
    """Apply a decision (classifier or moderator). Idempotent: the same outcome twice is a no-op.
    With ``judged_body`` (the classifier) a decision about text the author has since edited is
    dropped: the edit queued a classification of its own."""
    comment = Comment.objects.select_for_update().filter(pk=comment_id).first()
    if comment is None or comment.status == S.DELETED or comment.status == outcome:
        return comment
    if judged_body is not None and comment.body != judged_body:
        return comment
    comment.status = outcome
    comment.moderation_reasons = reasons
    comment.save(update_fields=["status", "moderation_reasons"])
    decision = _record(comment, outcome, reasons, by)
    if outcome == S.PUBLISHED:
        _on_published(comment)
    else:
        mark_dirty([comment.parent_id] if comment.parent_id else [], video_ids=[comment.video_id])
    if by.startswith("moderator:") or (by == "classifier" and outcome != S.PUBLISHED):
        notifications.notify_event(
            kind="moderation",
            actor_id=None,
            target_user_id=comment.author_id,
            video_id=comment.video_id,
            comment_id=comment.pk,
            event_id=f"comment-moderation:{decision.pk}",
            data={"content": "comment", "outcome": outcome, "reasons": reasons},
        )
    return comment


def comment_classify(*, comment_id: int) -> Comment | None:
    """Worker step: run the classifier on a pending comment."""
    comment = Comment.objects.filter(pk=comment_id, status=S.PENDING).first()
    hook = moderation.classifier()
    if comment is None:
        return None
    verdict = hook(comment.body, author_id=comment.author_id, video_id=comment.video_id) if hook else None
    if isinstance(verdict, tuple):
        verdict = moderation.Verdict(*verdict)
    outcome, reasons = (verdict.outcome, verdict.reasons) if verdict else (S.PUBLISHED, [])
    return comment_moderate(
        comment_id=comment_id, outcome=outcome, reasons=reasons or [], by="classifier", judged_body=comment.body
    )


def moderator_decide(*, comment: Comment, moderator: Any, outcome: str, reason: str) -> Comment:
    if outcome not in (S.PUBLISHED, S.HIDDEN, S.HELD):
        raise ValidationFailed(details={"outcome": [{"code": "invalid_choice", "message": "Unknown outcome."}]})
    return comment_moderate(
        comment_id=comment.pk, outcome=outcome, reasons=[reason] if reason else [], by=f"moderator:{moderator.pk}"
    )


def _require_video_owner(*, comment: Comment, user: Any) -> None:
    if videos.video_creator_id(comment.video_id) != user.pk:
        raise PermissionDenied("Only the video's creator may do this.", code="not_video_owner")


@transaction.atomic
def comment_edit(*, comment: Comment, user: Any, body: str) -> Comment:
    if comment.author_id != user.pk:
        raise PermissionDenied("Only the author may edit a comment.", code="not_comment_author")
    if comment.status == S.DELETED:
        raise Conflict("That comment was deleted.", code="comment_deleted")
    body = _clean_body(body)
    if body == comment.body:
        return comment
    CommentEdit.objects.create(comment=comment, previous_body=comment.body)
    mentioned = _mentions(body, author_id=user.pk)
    verdict = moderation.rules_check(
        body=body, author_id=user.pk, creator_id=videos.video_creator_id(comment.video_id), count_flood=False
    )
    comment.body, comment.mentions, comment.hashtags, comment.edited_at = (
        body,
        sorted(mentioned),
        parse_hashtags(body),
        timezone.now(),
    )
    comment.save(update_fields=["body", "mentions", "hashtags", "edited_at"])
    hook = moderation.classifier()
    if comment.status == S.PUBLISHED and verdict.outcome != S.PUBLISHED:
        comment_moderate(comment_id=comment.pk, outcome=verdict.outcome, reasons=verdict.reasons, by="rules")
        comment.refresh_from_db()
    elif comment.status in (S.PUBLISHED, S.PENDING) and hook is not None:
        # New text, new classification, exactly as for a new comment: hidden from others until
        # the classifier decides. A classification of the old text still under way is discarded
        # (comment_classify checks the body it judged is still the body).
        if comment.status == S.PUBLISHED:
            Comment.objects.filter(pk=comment.pk).update(status=S.PENDING)
            comment.status = S.PENDING
            mark_dirty([comment.parent_id] if comment.parent_id else [], video_ids=[comment.video_id])
        from apps.comments.tasks import moderate

        transaction.on_commit(partial(moderate.delay, comment.pk))
    elif comment.status == S.PUBLISHED:
        _on_published(comment)  # newly mentioned users are told; the others' event ids repeat
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, user: Any) -> None:
    if comment.author_id != user.pk:
        _require_video_owner(comment=comment, user=user)
    Comment.objects.filter(pk=comment.pk).update(status=S.DELETED, is_pinned=False)
    mark_dirty([comment.parent_id] if comment.parent_id else [], video_ids=[comment.video_id])


def comment_hide(*, comment: Comment, user: Any, reason: str = "") -> Comment:
    _require_video_owner(comment=comment, user=user)
    return comment_moderate(
        comment_id=comment.pk, outcome=S.HIDDEN, reasons=[reason or "creator_hidden"], by=f"creator:{user.pk}"
    )


@transaction.atomic
def comment_pin(*, comment: Comment, user: Any) -> Comment:
    _require_video_owner(comment=comment, user=user)
    if comment.parent_id or comment.status != S.PUBLISHED or comment.shadow_hidden:
        raise Conflict("Only a published top-level comment can be pinned.", code="cannot_pin")
    previous = list(Comment.objects.filter(video_id=comment.video_id, is_pinned=True).values_list("pk", flat=True))
    Comment.objects.filter(pk__in=previous).update(is_pinned=False)
    try:
        with transaction.atomic():
            Comment.objects.filter(pk=comment.pk).update(is_pinned=True)
    except IntegrityError as exc:  # a concurrent pin won
        raise Conflict("Another comment was pinned at the same time.", code="pin_conflict") from exc
    comment_counts_flush(comment_ids=[*previous, comment.pk])
    if comment.author_id != user.pk:
        notifications.notify_event(
            kind="comment_pinned",
            actor_id=user.pk,
            target_user_id=comment.author_id,
            video_id=comment.video_id,
            comment_id=comment.pk,
            event_id=f"pin:{comment.pk}",
        )
    comment.refresh_from_db()
    return comment


@transaction.atomic
def comment_unpin(*, comment: Comment, user: Any) -> Comment:
    _require_video_owner(comment=comment, user=user)
    Comment.objects.filter(pk=comment.pk).update(is_pinned=False)
    comment_counts_flush(comment_ids=[comment.pk])
    comment.refresh_from_db()
    return comment


# --- likes: idempotent rows, counts recounted by a coalesced flush ---------------------


@transaction.atomic
def comment_like(*, comment: Comment, user: Any) -> bool:
    """True when this call created the like. No counter is touched in the request."""
    try:
        with transaction.atomic():
            CommentLike.objects.create(comment=comment, user=user)
        inserted = True
    except IntegrityError:  # already liked (or a concurrent duplicate): idempotent
        inserted = False
    if videos.video_creator_id(comment.video_id) == user.pk:
        Comment.objects.filter(pk=comment.pk).update(creator_liked=True)
    mark_dirty([comment.pk])
    if inserted and comment.author_id != user.pk:
        notifications.notify_event(
            kind="like",
            actor_id=user.pk,
            target_user_id=comment.author_id,
            video_id=comment.video_id,
            comment_id=comment.pk,
            event_id=f"comment-like:{user.pk}:{comment.pk}",
        )
    return inserted


@transaction.atomic
def comment_unlike(*, comment: Comment, user: Any) -> bool:
    deleted, _ = CommentLike.objects.filter(comment=comment, user=user).delete()
    if videos.video_creator_id(comment.video_id) == user.pk:
        Comment.objects.filter(pk=comment.pk).update(creator_liked=False)
    mark_dirty([comment.pk])
    return bool(deleted)


def _has_redis() -> bool:
    """The embedded default (settings.local) has no Redis: the dirty sets are then skipped and
    every change is recounted inline, in its own transaction. That is the designed path there,
    not a degradation, so it logs nothing."""
    from django.core.cache import caches
    from django_redis.cache import RedisCache

    return isinstance(caches["default"], RedisCache)


def _recount_inline(comment_ids: list[int], video_ids: list[int]) -> None:
    comment_counts_flush(comment_ids=comment_ids)
    video_comment_counts_flush(video_ids=video_ids)


def _add_dirty(comment_ids: list[int], video_ids: list[int]) -> bool:
    """SADD the ids; False when Redis is down or absent (then they were recounted inline, still exact)."""
    if not _has_redis():
        _recount_inline(comment_ids, video_ids)
        return False
    try:
        shared_redis.dirty_add(
            shared_redis.client(),
            {shared_redis.key(DIRTY_KEY): comment_ids, shared_redis.key(DIRTY_VIDEOS_KEY): video_ids},
        )
    except Exception:
        logger.warning("dirty set unavailable; recounting inline", exc_info=True)
        _recount_inline(comment_ids, video_ids)
        return False
    return True


def mark_dirty(comment_ids: list[int], *, video_ids: list[int] | None = None) -> None:
    """Remember comments whose like/reply counts changed, and videos whose visible comments changed;
    one flush recounts each of them once.

    The ids are added now and again after commit: a flush that popped an id between the two
    recounted without this transaction's rows, and the second add makes the next flush see them."""
    comment_ids = [int(pk) for pk in comment_ids if pk]
    video_ids = [int(pk) for pk in video_ids or [] if pk]
    if not comment_ids and not video_ids:
        return
    if not _add_dirty(comment_ids, video_ids):
        return
    transaction.on_commit(lambda: _add_dirty(comment_ids, video_ids))
    if cache.add("comments:flush-scheduled", 1, timeout=settings.COMMENTS_FLUSH_INTERVAL_S):
        from apps.comments.tasks import flush_counts

        transaction.on_commit(lambda: flush_counts.apply_async(countdown=settings.COMMENTS_FLUSH_INTERVAL_S))


def _pop_dirty(name: str, limit: int) -> list[int]:
    if not _has_redis():
        return []  # nothing is ever left dirty without Redis: writes recount inline
    return shared_redis.dirty_pop(shared_redis.client(), shared_redis.key(name), limit)


def _put_back(name: str, ids: list[int]) -> None:
    try:
        shared_redis.dirty_add(shared_redis.client(), {shared_redis.key(name): ids})
    except Exception:
        logger.exception("could not put %d dirty ids back into %s", len(ids), name)


def comment_counts_flush(*, comment_ids: list[int] | None = None, limit: int = 1000) -> int:
    """Recount likes and replies of dirty comments from the rows themselves (idempotent: a
    redelivered flush writes the same numbers), one UPDATE for the whole batch, and re-rank."""
    popped = comment_ids is None
    if comment_ids is None:
        comment_ids = _pop_dirty(DIRTY_KEY, limit)
    if not comment_ids:
        return 0
    try:
        _comment_counts_write(comment_ids)
    except Exception:
        if popped:  # a failed flush must not forget what it popped
            _put_back(DIRTY_KEY, comment_ids)
        raise
    return len(comment_ids)


def _comment_counts_write(comment_ids: list[int]) -> None:
    with transaction.atomic():
        Comment.objects.filter(pk__in=comment_ids).update(
            like_count=selectors.like_count_expression(), reply_count=selectors.reply_count_expression()
        )
        Comment.objects.filter(pk__in=comment_ids).update(rank=selectors.rank_expression())


def video_comment_counts_flush(*, video_ids: list[int] | None = None, limit: int = 1000) -> int:
    """Recount the visible comments of dirty videos (one GROUP BY) and hand absolute values to
    ``videos.video_comment_counts_set``: one UPDATE per changed video, however many comments
    arrived since the last flush, and none when the number is unchanged (redelivery-safe)."""
    popped = video_ids is None
    if video_ids is None:
        video_ids = _pop_dirty(DIRTY_VIDEOS_KEY, limit)
    if not video_ids:
        return 0
    try:
        counts = selectors.visible_comment_counts(video_ids)
        videos.video_comment_counts_set(counts)
    except Exception:
        if popped:
            _put_back(DIRTY_VIDEOS_KEY, video_ids)
        raise
    return len(video_ids)
