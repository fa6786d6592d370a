from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "apps.engagement"
    label = "engagement"

    def ready(self) -> None:
        from apps.core import health
        from apps.engagement import store

        health.register("engagement_store", lambda: store.get_store().ping())
