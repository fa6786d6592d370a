"""The project's URLs with the benchmark endpoints mounted, as settings/bench.py mounts them."""

from bench.django_app.root_urls import urlpatterns

__all__ = ["urlpatterns"]
