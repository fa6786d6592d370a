from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from apps.core.views import health_live, health_ready
from apps.engagement.api.views import live_counters_page

# The hottest routes first: Django tries patterns in order, and every swipe reports playback
# and many like (docs/benchmark.md).
api_v1 = [
    path("", include("apps.engagement.api.urls")),
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.videos.api.urls")),
    path("", include("apps.comments.api.urls")),
    path("", include("apps.notifications.api.urls")),
]
urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("videos/<int:video_id>/live", live_counters_page, name="video-live"),
    path("health/live", health_live, name="health-live"),
    path("health/ready", health_ready, name="health-ready"),
]

# Unmatched URLs and unhandled errors under /api/ answer the error envelope (apps/core/views.py).
handler404 = "apps.core.views.not_found"
handler500 = "apps.core.views.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
