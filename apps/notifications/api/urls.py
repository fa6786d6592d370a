from django.urls import path

from apps.notifications.api import views

urlpatterns = [
    path("notifications", views.NotificationListView.as_view(), name="notification-list"),
    path("notifications/unread-count", views.UnreadCountView.as_view(), name="notification-unread-count"),
    path("notifications/read-all", views.MarkAllReadView.as_view(), name="notification-read-all"),
    path("notifications/preferences", views.PreferencesView.as_view(), name="notification-preferences"),
    path("notifications/push-subscriptions", views.PushSubscriptionView.as_view(), name="push-subscriptions"),
    path("notifications/<int:notification_id>/read", views.MarkReadView.as_view(), name="notification-read"),
]
