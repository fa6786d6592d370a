from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.errors import ApplicationError
from apps.videos.models import Hashtag, UploadSession, Video, VideoMedia

COUNTERS = ["like_count", "view_count", "share_count", "comment_count"]


MEDIA_FIELDS = [
    "storage_key",
    "source",
    "source_size",
    "source_sha256",
    "container",
    "attempts",
    "stage_timings",
    "last_error",
    "checks",
    "probe",
    "renditions",
    "master_playlist",
    "sprite",
    "publish_at",
    "lease_owner",
    "lease_until",
    "started_at",
    "finished_at",
]


class VideoMediaInline(admin.StackedInline):
    model = VideoMedia
    can_delete = False
    readonly_fields = MEDIA_FIELDS
    fields = MEDIA_FIELDS
    extra = 0


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    inlines = [VideoMediaInline]
    actions = ["retry_processing"]
    list_display = [
        "id",
        "creator",
        "short_caption",
        "visibility",
        "status",
        "processing_stage",
        "failure_reason",
        "moderation_status",
        *COUNTERS,
        "created_at",
    ]
    list_filter = ["status", "failure_reason", "moderation_status", "visibility", "created_at"]
    search_fields = ["caption", "creator__username", "hashtags__name"]
    raw_id_fields = ["creator"]
    filter_horizontal = ["hashtags"]
    readonly_fields = [
        *COUNTERS,
        "mentions",
        "created_at",
        "updated_at",
        "processing_stage",
        "processing_percent",
        "failure_reason",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["creator"]

    @admin.action(description="Retry processing of the selected failed videos")
    def retry_processing(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        from apps.videos.processing import video_processing_retry

        done = 0
        for video in queryset.filter(status=Video.Status.FAILED):
            try:
                video_processing_retry(video=video, actor=request.user)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"video {video.pk}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} video(s) queued for processing again.")

    @admin.display(description="caption")
    def short_caption(self, obj: Video) -> str:
        return obj.caption[:60]


@admin.register(Hashtag)
class HashtagAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(UploadSession)
class UploadSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "creator", "state", "size", "total_chunks", "video", "created_at", "expires_at"]
    list_filter = ["state", "created_at"]
    search_fields = ["id", "creator__username"]
    raw_id_fields = ["creator", "video"]
    readonly_fields = ["size", "sha256", "chunk_size", "total_chunks", "created_at"]
