"""Read-only admin over the ORM engagement tables (the embedded default's store)."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.engagement.models import (
    AffinityRecord,
    DeadLetter,
    EventRecord,
    LikeRecord,
    WatchRecord,
    WatchSessionRecord,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(EventRecord)
class EventRecordAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "kind", "video_id", "user_id", "occurred_at"]
    list_filter = ["kind"]
    search_fields = ["=video_id", "=user_id", "=event_id"]


@admin.register(LikeRecord)
class LikeRecordAdmin(ReadOnlyAdmin):
    list_display = ["user_id", "video_id", "liked", "changed_at"]
    list_filter = ["liked"]
    search_fields = ["=video_id", "=user_id"]


@admin.register(WatchRecord)
class WatchRecordAdmin(ReadOnlyAdmin):
    list_display = ["viewer_key", "video_id", "kind", "watch_ms", "occurred_at"]
    list_filter = ["kind"]
    search_fields = ["viewer_key", "=video_id"]


@admin.register(WatchSessionRecord)
class WatchSessionRecordAdmin(ReadOnlyAdmin):
    list_display = ["viewer_key", "video_id", "total_watch_ms", "plays", "rewatches", "completed"]
    search_fields = ["viewer_key", "=video_id"]


@admin.register(AffinityRecord)
class AffinityRecordAdmin(ReadOnlyAdmin):
    list_display = ["user_id", "kind", "key", "weight", "at"]
    list_filter = ["kind"]
    search_fields = ["=user_id", "key"]


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "reason", "status", "task_name", "stream_id", "created_at", "replayed_at"]
    list_filter = ["status", "kind", "reason"]
    search_fields = ["payload", "error", "stream_id", "task_name"]
    readonly_fields = [
        "key",
        "kind",
        "stream_id",
        "task_name",
        "payload",
        "statuses",
        "reason",
        "error",
        "status",
        "created_at",
        "replayed_at",
    ]
    actions = ["replay"]

    @admin.action(description="Replay selected letters (events back on the stream, tasks sent again)")
    def replay(self, request: HttpRequest, queryset: QuerySet) -> None:
        from apps.engagement import pipeline

        replayed = pipeline.replay_dead_letters(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{replayed} dead letter(s) replayed.", messages.SUCCESS)
