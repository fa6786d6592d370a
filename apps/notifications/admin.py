from django.contrib import admin

from apps.notifications import services
from apps.notifications.models import Notification, NotificationSettings, PushDelivery, PushSubscription


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "recipient", "kind", "target_key", "actor_count", "is_read", "updated_at")
    list_filter = ("kind", "is_read")
    search_fields = ("recipient__username", "target_key")
    readonly_fields = ("actor_count", "recent_actor_ids", "bucket", "created_at", "updated_at")
    raw_id_fields = ("recipient",)


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "muted_until", "last_seen_at")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "provider", "is_active", "created_at")
    list_filter = ("provider", "is_active")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)


@admin.action(description="Replay dead deliveries")
def replay_dead(modeladmin: admin.ModelAdmin, request: object, queryset: object) -> None:
    for delivery in queryset.filter(status=PushDelivery.Status.DEAD):  # type: ignore[attr-defined]
        services.push_delivery_replay(delivery_id=delivery.pk)


@admin.register(PushDelivery)
class PushDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "notification", "subscription", "status", "attempts", "last_status_code", "updated_at")
    list_filter = ("status",)
    readonly_fields = ("attempts", "last_status_code", "last_error", "sent_at", "next_attempt_at")
    raw_id_fields = ("notification", "subscription")
    actions = [replay_dead]
