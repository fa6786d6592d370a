from django.apps import AppConfig
from django.conf import settings


class VideosConfig(AppConfig):
    name = "apps.videos"
    label = "videos"

    def ready(self) -> None:
        # Media limits default to settings/components/media.py unless a settings module set them.
        from settings.components import media as defaults

        for name in dir(defaults):
            if name.startswith("MEDIA_") and not hasattr(settings, name):
                setattr(settings, name, getattr(defaults, name))
