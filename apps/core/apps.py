from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        # Load the Celery app so @shared_task binds to it in web processes too.
        import workers.celery  # noqa: F401
