from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "apps.engagement"
    label = "engagement"

    def ready(self) -> None:
        from apps.core import health
        from apps.core.signals import access_changed
        from apps.engagement import access, store

        access_changed.connect(access.on_access_changed, dispatch_uid="engagement.access_changed")

        health.register("engagement_store", lambda: store.get_store().ping())
