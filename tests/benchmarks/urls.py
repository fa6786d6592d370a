"""The project's URLs with the benchmark endpoints mounted, as settings/bench.py mounts them."""

from django.urls import include, path

from settings.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("api/v1/bench/", include("apps.benchmarks.urls")), *project_urlpatterns]
