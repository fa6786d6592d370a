"""Engagement storage tables.

Two sets with the same meaning: Cassandra tables (cqlengine models, created by
``sync_cassandra``; see docs/engagement-store.md for keys and partition sizes) used in
production and tests, and ORM tables used by the embedded default. Both are written only
through apps.engagement.store. Ids are plain integers: the store does not join.
"""

from cassandra.cqlengine import columns
from cassandra.cqlengine.models import Model as CqlModel
from django.db import models

DAY_S = 24 * 3600


# --- Cassandra ----------------------------------------------------------------------------


class VideoEventByBucket(CqlModel):
    """Every accepted event of a video, newest first, in 10-minute buckets x 16 shards."""

    __table_name__ = "video_events_by_bucket"
    __options__ = {"default_time_to_live": 90 * DAY_S}
    video_id = columns.BigInt(partition_key=True)
    bucket = columns.Integer(partition_key=True)
    shard = columns.SmallInt(partition_key=True)
    occurred_at = columns.DateTime(primary_key=True, clustering_order="DESC")
    event_id = columns.UUID(primary_key=True)
    kind = columns.Text()
    user_id = columns.BigInt()
    session_id = columns.Text()
    watch_ms = columns.Integer()
    position_ms = columns.Integer()
    duration_ms = columns.Integer()
    target = columns.Text()


class VideoCountedEvent(CqlModel):
    """Ids of the counted views and shares of a video (16 shards): exact recounts for reconciliation."""

    __table_name__ = "video_counted_events"
    video_id = columns.BigInt(partition_key=True)
    kind = columns.Text(partition_key=True)
    shard = columns.SmallInt(partition_key=True)
    event_id = columns.UUID(primary_key=True)


class UserHistoryByMonth(CqlModel):
    """A user's engagement, newest first, one partition per user and month."""

    __table_name__ = "user_history_by_month"
    __options__ = {"default_time_to_live": 180 * DAY_S}
    user_id = columns.BigInt(partition_key=True)
    month = columns.Integer(partition_key=True)
    occurred_at = columns.DateTime(primary_key=True, clustering_order="DESC")
    event_id = columns.UUID(primary_key=True)
    kind = columns.Text()
    video_id = columns.BigInt()
    watch_ms = columns.Integer()


class LikeState(CqlModel):
    """Does user U like video V now? Written with USING TIMESTAMP = event time (last intent wins)."""

    __table_name__ = "like_state"
    user_id = columns.BigInt(partition_key=True)
    video_id = columns.BigInt(primary_key=True, clustering_order="DESC")
    liked = columns.Boolean()
    changed_at = columns.DateTime()
    event_id = columns.UUID()


class VideoLiker(CqlModel):
    """The users who like a video now: a row per like, deleted on unlike; 64 shards by user."""

    __table_name__ = "video_likers"
    video_id = columns.BigInt(partition_key=True)
    shard = columns.SmallInt(partition_key=True)
    user_id = columns.BigInt(primary_key=True)
    liked_at = columns.DateTime()


class VideoLikeRecent(CqlModel):
    """Like events of a video by day, newest first (who liked recently; checked against VideoLiker)."""

    __table_name__ = "video_likes_recent"
    __options__ = {"default_time_to_live": 30 * DAY_S}
    video_id = columns.BigInt(partition_key=True)
    day = columns.Integer(partition_key=True)
    shard = columns.SmallInt(partition_key=True)
    liked_at = columns.DateTime(primary_key=True, clustering_order="DESC")
    user_id = columns.BigInt(primary_key=True)


class WatchSessionRow(CqlModel):
    """Per (viewer, video): the playback events of the session, keyed by event id (so replays
    and late events only add or rewrite entries, never count twice). Written blind, one row
    per (viewer, video) of a worker batch; totals, completion, plays and rewatches are derived
    on read (events.summarize_ticks)."""

    __table_name__ = "watch_sessions"
    __options__ = {"default_time_to_live": 180 * DAY_S}
    viewer_key = columns.Text(partition_key=True)
    video_id = columns.BigInt(primary_key=True, clustering_order="DESC")
    ticks = columns.Map(columns.Text, columns.Text)  # event id hex -> "kind,watch_ms,position_ms,duration_ms,µs"


class AffinityByVideo(CqlModel):
    """Per user, target (creator or hashtag) and video: the engagement's parts and their
    weights (a like, a share, a counted view, a skip or a rewatch by event id; "completed"
    once). Summed on read; each part expires 30 days after it was written."""

    __table_name__ = "affinity_by_video"
    __options__ = {"default_time_to_live": 30 * DAY_S}
    user_id = columns.BigInt(partition_key=True)
    kind = columns.Text(partition_key=True)
    key = columns.Text(primary_key=True)
    video_id = columns.BigInt(primary_key=True)
    parts = columns.Map(columns.Text, columns.Float)
    at = columns.DateTime()


CASSANDRA_TABLES = [
    VideoEventByBucket,
    VideoCountedEvent,
    UserHistoryByMonth,
    LikeState,
    VideoLiker,
    VideoLikeRecent,
    WatchSessionRow,
    AffinityByVideo,
]


# --- ORM (embedded default) -------------------------------------------------------------


class EventRecord(models.Model):
    event_id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=16)
    video_id = models.BigIntegerField()
    user_id = models.BigIntegerField(null=True)
    session_id = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField()
    watch_ms = models.IntegerField(default=0)
    position_ms = models.IntegerField(default=0)
    duration_ms = models.IntegerField(default=0)
    target = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["video_id", "-occurred_at"]), models.Index(fields=["user_id", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.kind} on {self.video_id} ({self.event_id})"


class LikeRecord(models.Model):
    user_id = models.BigIntegerField()
    video_id = models.BigIntegerField()
    liked = models.BooleanField()
    changed_at = models.DateTimeField()
    event_id = models.UUIDField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "video_id"], name="engagement_like_unique")]
        indexes = [models.Index(fields=["video_id", "liked", "-changed_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {'likes' if self.liked else 'unliked'} {self.video_id}"


class WatchRecord(models.Model):
    event_id = models.UUIDField(primary_key=True)
    viewer_key = models.CharField(max_length=80)
    video_id = models.BigIntegerField()
    kind = models.CharField(max_length=16)
    watch_ms = models.IntegerField(default=0)
    position_ms = models.IntegerField(default=0)
    duration_ms = models.IntegerField(default=0)
    occurred_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["viewer_key", "video_id"])]

    def __str__(self) -> str:
        return f"{self.kind} by {self.viewer_key} on {self.video_id}"


class WatchSessionRecord(models.Model):
    viewer_key = models.CharField(max_length=80)
    video_id = models.BigIntegerField()
    total_watch_ms = models.BigIntegerField(default=0)
    max_position_ms = models.IntegerField(default=0)
    duration_ms = models.IntegerField(default=0)
    plays = models.IntegerField(default=0)
    rewatches = models.IntegerField(default=0)
    completed = models.BooleanField(default=False)
    first_at = models.DateTimeField(null=True)
    last_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["viewer_key", "video_id"], name="engagement_watch_session_unique")
        ]

    def __str__(self) -> str:
        return f"{self.viewer_key} watched {self.video_id}"


class AffinityRecord(models.Model):
    user_id = models.BigIntegerField()
    kind = models.CharField(max_length=16)
    key = models.CharField(max_length=100)
    event_id = models.UUIDField()
    weight = models.FloatField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "kind", "key", "event_id"], name="engagement_affinity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}:{self.key} {self.weight:+}"


class DeadLetter(models.Model):
    """What the workers could not process: an engagement event or batch entry (malformed, unknown
    video, a processing bug), or a task that failed for good. Kept for operators: visible in the
    admin, replayable once the cause is fixed (``apps/engagement/deadletters.py``). ``key`` is
    unique, so a redelivered entry or task records nothing twice."""

    class Status(models.TextChoices):
        DEAD = "dead", "Dead"
        REPLAYED = "replayed", "Replayed"

    class Kind(models.TextChoices):
        EVENT = "event", "Engagement event (stream field e)"
        BATCH = "batch", "Engagement batch entry (stream fields p and m)"
        TASK = "task", "Celery task"

    key = models.CharField(max_length=128, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.EVENT)
    stream_id = models.CharField(max_length=40, blank=True, help_text="Stream entry id, or the task id.")
    task_name = models.CharField(max_length=128, blank=True)
    payload = models.TextField()
    statuses = models.TextField(blank=True, help_text="A batch entry's statuses (stream field m).")
    reason = models.CharField(max_length=64)
    error = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DEAD)
    created_at = models.DateTimeField(auto_now_add=True)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return f"dead letter {self.pk} ({self.kind}: {self.reason})"
