from django.contrib import admin

from apps.videos.models import Hashtag, Video

COUNTERS = ["like_count", "view_count", "share_count", "comment_count"]


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "creator",
        "short_caption",
        "visibility",
        "status",
        "moderation_status",
        *COUNTERS,
        "created_at",
    ]
    list_filter = ["status", "moderation_status", "visibility", "created_at"]
    search_fields = ["caption", "creator__username", "hashtags__name"]
    raw_id_fields = ["creator"]
    filter_horizontal = ["hashtags"]
    readonly_fields = [*COUNTERS, "mentions", "created_at", "updated_at", "processing_stage", "processing_percent"]
    date_hierarchy = "created_at"
    list_select_related = ["creator"]

    @admin.display(description="caption")
    def short_caption(self, obj: Video) -> str:
        return obj.caption[:60]


@admin.register(Hashtag)
class HashtagAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
