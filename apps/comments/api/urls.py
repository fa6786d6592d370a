from django.urls import path

from apps.comments.api import views

urlpatterns = [
    path("videos/<int:video_id>/comments", views.VideoCommentsView.as_view(), name="video-comments"),
    path("comments/<int:comment_id>", views.CommentDetailView.as_view(), name="comment-detail"),
    path("comments/<int:comment_id>/replies", views.CommentRepliesView.as_view(), name="comment-replies"),
    path("comments/<int:comment_id>/history", views.CommentHistoryView.as_view(), name="comment-history"),
    path("comments/<int:comment_id>/like", views.CommentLikeView.as_view(), name="comment-like"),
    path("comments/<int:comment_id>/pin", views.CommentPinView.as_view(), name="comment-pin"),
    path("comments/<int:comment_id>/hide", views.CommentHideView.as_view(), name="comment-hide"),
    path("comments/<int:comment_id>/moderate", views.CommentModerateView.as_view(), name="comment-moderate"),
]
