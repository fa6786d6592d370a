from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.http import HttpRequest

from apps.accounts import services
from apps.accounts.models import Block, CreatorSettings, Follow, FollowRequest, User

# What only a superuser may change: who is an operator and what an operator may do.
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


class RevokingPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's "change password": the account's sessions end with the old password."""

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        if commit:
            services.tokens_revoke_all(user=user)
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    change_password_form = RevokingPasswordChangeForm
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

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Read-only fields are not in the form: a POSTed is_superuser=on is ignored.
            fields += [name for name in PRIVILEGE_FIELDS if name not in fields]
        return fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An operator's account (its password, its activity) is a superuser's to change:
        # otherwise staff could take over a superuser by setting its password.
        if obj is not None and (obj.is_staff or obj.is_superuser) and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and (obj.is_staff or obj.is_superuser) and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


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
