from django.urls import path

from apps.videos.api import views

urlpatterns = [
    path("videos", views.VideoListCreateView.as_view(), name="video-list"),
    path("videos/<int:video_id>", views.VideoDetailView.as_view(), name="video-detail"),
    path("users/<str:username>/videos", views.CreatorVideosView.as_view(), name="user-videos"),
    path("hashtags/<str:name>", views.HashtagDetailView.as_view(), name="hashtag-detail"),
    path("hashtags/<str:name>/videos", views.HashtagVideosView.as_view(), name="hashtag-videos"),
]
