from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from apps.accounts.models import Block, CreatorSettings, Follow, FollowRequest, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "display_name",
        "email",
        "is_private",
        "follower_count",
        "following_count",
        "is_active",
        "is_staff",
        "created_at",
    ]
    list_filter = ["is_private", "is_active", "is_staff", "groups"]
    search_fields = ["username", "display_name", "email"]
    readonly_fields = [
        "follower_count",
        "following_count",
        "token_generation",
        "created_at",
        "last_login",
        "date_joined",
    ]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("Profile", {"fields": ["display_name", "bio", "avatar", "is_private"]}),
        ("Counters", {"fields": ["follower_count", "following_count", "token_generation", "created_at"]}),
    ]


@admin.register(CreatorSettings)
class CreatorSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "default_visibility", "who_can_comment", "allow_downloads", "show_like_counts"]
    list_filter = ["default_visibility", "who_can_comment"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["follower", "followee", "created_at"]
    search_fields = ["follower__username", "followee__username"]
    raw_id_fields = ["follower", "followee"]
    date_hierarchy = "created_at"


@admin.register(FollowRequest)
class FollowRequestAdmin(admin.ModelAdmin):
    list_display = ["requester", "target", "created_at"]
    search_fields = ["requester__username", "target__username"]
    raw_id_fields = ["requester", "target"]


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ["blocker", "blocked", "created_at"]
    search_fields = ["blocker__username", "blocked__username"]
    raw_id_fields = ["blocker", "blocked"]
