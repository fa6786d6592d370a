from django.contrib import admin

from apps.comments.models import BlockedTerm, Comment, ModerationDecision, ShadowRestriction


class DecisionInline(admin.TabularInline):
    model = ModerationDecision
    extra = 0
    readonly_fields = ("outcome", "reasons", "decided_by", "created_at")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "video_id", "author", "status", "shadow_hidden", "like_count", "is_pinned", "created_at")
    list_filter = ("status", "shadow_hidden", "is_pinned")
    search_fields = ("body", "author__username")
    readonly_fields = ("like_count", "reply_count", "rank", "creator_liked", "moderation_reasons")
    raw_id_fields = ("video", "author", "parent", "reply_to_user")
    inlines = [DecisionInline]


@admin.register(BlockedTerm)
class BlockedTermAdmin(admin.ModelAdmin):
    list_display = ("term", "creator")
    search_fields = ("term",)
    raw_id_fields = ("creator",)


@admin.register(ShadowRestriction)
class ShadowRestrictionAdmin(admin.ModelAdmin):
    list_display = ("user", "reason", "created_at")
    raw_id_fields = ("user",)
