from django.urls import path

from apps.engagement.api import views

urlpatterns = [
    path("videos/<int:video_id>/like", views.VideoLikeView.as_view(), name="video-like"),
    path("videos/<int:video_id>/share", views.VideoShareView.as_view(), name="video-share"),
    path("videos/<int:video_id>/counters", views.VideoCountersView.as_view(), name="video-counters"),
    path("engagement/playback", views.PlaybackBatchView.as_view(), name="engagement-playback"),
    path("engagement/anonymous-session", views.AnonymousSessionView.as_view(), name="engagement-anonymous-session"),
]
