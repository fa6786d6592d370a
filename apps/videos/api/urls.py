from django.urls import path

from apps.videos.api import views

urlpatterns = [
    path("videos", views.VideoListCreateView.as_view(), name="video-list"),
    path("videos/upload", views.DirectUploadView.as_view(), name="video-upload"),
    path("videos/<int:video_id>", views.VideoDetailView.as_view(), name="video-detail"),
    path("videos/<int:video_id>/processing", views.VideoProcessingView.as_view(), name="video-processing"),
    path("videos/<int:video_id>/retry", views.VideoRetryView.as_view(), name="video-retry"),
    path("videos/<int:video_id>/playback", views.VideoPlaybackView.as_view(), name="video-playback"),
    path("uploads", views.UploadSessionCreateView.as_view(), name="upload-list"),
    path("uploads/<uuid:session_id>", views.UploadSessionDetailView.as_view(), name="upload-detail"),
    path("uploads/<uuid:session_id>/chunks/<int:index>", views.UploadChunkView.as_view(), name="upload-chunk"),
    path("uploads/<uuid:session_id>/finalise", views.UploadFinaliseView.as_view(), name="upload-finalise"),
    path("media/s/<str:token>/<path:path>", views.signed_media, name="media-signed"),
    path("users/<str:username>/videos", views.CreatorVideosView.as_view(), name="user-videos"),
    path("hashtags/<str:name>", views.HashtagDetailView.as_view(), name="hashtag-detail"),
    path("hashtags/<str:name>/videos", views.HashtagVideosView.as_view(), name="hashtag-videos"),
]
