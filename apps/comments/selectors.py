"""Reads of comments. Every path goes through ``comments_visible_to``."""

import base64
from typing import Any

from django.db.models import Q, QuerySet

from apps.accounts import facade as accounts
from apps.comments.models import Comment, CommentEdit
from apps.comments.services import liked_by
from apps.core.errors import NotFound
from apps.videos import facade as videos

S = Comment.Status


def comments_visible_to(viewer: Any) -> QuerySet[Comment]:
    """Published, not shadow-hidden comments by people without a block with the viewer; plus the
    viewer's own comments in any state but deleted (pending, held, shadow-hidden look normal)."""
    qs = Comment.objects.select_related("author", "reply_to_user").annotate(liked_by_me=liked_by(viewer))
    public = Q(status=S.PUBLISHED, shadow_hidden=False, author__is_active=True)
    if not getattr(viewer, "is_authenticated", False):
        return qs.filter(public)
    own = Q(author_id=viewer.pk) & ~Q(status=S.DELETED)
    return qs.filter((public & ~Q(author_id__in=accounts.block_partner_ids(viewer.pk))) | own)


def _check_video(*, video_id: int, viewer: Any) -> None:
    if not videos.video_can_view(video_id=video_id, viewer=viewer):
        raise NotFound("No such video.", code="video_not_found")


def comment_get_visible(*, comment_id: int, viewer: Any) -> Comment:
    comment = comments_visible_to(viewer).filter(pk=comment_id).first()
    if comment is None or not videos.video_can_view(video_id=comment.video_id, viewer=viewer):
        raise NotFound("No such comment.", code="comment_not_found")
    return comment


def comment_get_any(*, comment_id: int, viewer: Any) -> Comment:
    """For the video's creator and moderators: any non-deleted comment on a video they can see.
    Anyone else gets only what they may read (comment_get_visible): a held or hidden comment
    answers them 404 like a missing one, never a 403 that confirms it exists."""
    comment = Comment.objects.select_related("author").filter(pk=comment_id).exclude(status=S.DELETED).first()
    if comment is None or not videos.video_can_view(video_id=comment.video_id, viewer=viewer):
        raise NotFound("No such comment.", code="comment_not_found")
    if not _may_see_every_comment(video_id=comment.video_id, viewer=viewer):
        return comment_get_visible(comment_id=comment_id, viewer=viewer)
    return comment


def _may_see_every_comment(*, video_id: int, viewer: Any) -> bool:
    if not getattr(viewer, "is_authenticated", False):
        return False
    if viewer.is_superuser or videos.video_creator_id(video_id) == viewer.pk:
        return True
    return viewer.groups.filter(name="moderator").exists()


def top_level_comments(*, video_id: int, viewer: Any) -> QuerySet[Comment]:
    _check_video(video_id=video_id, viewer=viewer)
    return comments_visible_to(viewer).filter(video_id=video_id, parent__isnull=True)


def replies_of(*, comment: Comment, viewer: Any) -> QuerySet[Comment]:
    return comments_visible_to(viewer).filter(parent_id=comment.pk)


def comment_history(*, comment: Comment) -> QuerySet[CommentEdit]:
    return CommentEdit.objects.filter(comment=comment).order_by("-id")


# --- keyset cursor over the stored rank (stable: values live in the rows, not in "now") ---


def encode_rank_cursor(rank: float, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{rank!r}|{pk}".encode()).decode()


def decode_rank_cursor(cursor: str) -> tuple[float, int]:
    try:
        rank, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return float(rank), int(pk)
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotFound("Invalid cursor.", code="invalid_cursor") from exc


def top_page(qs: QuerySet[Comment], *, cursor: str | None, limit: int) -> tuple[list[Comment], str | None]:
    qs = qs.order_by("-rank", "-id")
    if cursor:
        rank, pk = decode_rank_cursor(cursor)
        qs = qs.filter(Q(rank__lt=rank) | Q(rank=rank, id__lt=pk))
    rows = list(qs[: limit + 1])
    nxt = encode_rank_cursor(rows[limit - 1].rank, rows[limit - 1].pk) if len(rows) > limit else None
    return rows[:limit], nxt
