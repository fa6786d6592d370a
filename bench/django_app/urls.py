from django.urls import path

from bench.django_app import views

urlpatterns = [
    path("noop", views.NoopView.as_view(), name="bench-noop"),
    path("naive-like/<int:video_id>", views.NaiveLikeView.as_view(), name="bench-naive-like"),
    path("naive-playback", views.NaivePlaybackView.as_view(), name="bench-naive-playback"),
]
