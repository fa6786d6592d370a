from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "apps.videos"
    label = "videos"

    def ready(self) -> None:
        from apps.videos import signals  # noqa: F401  (announces access changes)
