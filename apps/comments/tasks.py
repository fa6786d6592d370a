"""Thin Celery edges of comments (default queue). Transient errors are retried by the base class,
then ``comments.moderate`` is a dead letter (the flush is redone by its next run instead)."""

from apps.comments import services
from workers.base import ReelhouseTask
from workers.celery import app


@app.task(name="comments.moderate", base=ReelhouseTask)
def moderate(comment_id: int) -> str | None:
    comment = services.comment_classify(comment_id=comment_id)
    return comment.status if comment else None


@app.task(name="comments.flush_counts", base=ReelhouseTask, max_retries=3, expires=300, record_failures=False)
def flush_counts() -> int:
    """Comment like/reply counts and Video.comment_count. Scheduled by the first write after a flush
    and, as a safety net, by beat every few seconds; recounts are idempotent."""
    from django.core.cache import cache

    cache.delete("comments:flush-scheduled")  # writes from now on schedule the next flush
    flushed = services.comment_counts_flush() + services.video_comment_counts_flush()
    if flushed:  # more may have arrived meanwhile: the next flush is scheduled by the next write
        return flushed + services.comment_counts_flush() + services.video_comment_counts_flush()
    return 0
