from django.urls import path

from apps.accounts.api import views

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all", views.LogoutAllView.as_view(), name="auth-logout-all"),
    path("auth/password", views.PasswordChangeView.as_view(), name="auth-password"),
    path("me", views.MeView.as_view(), name="me"),
    path("me/avatar", views.AvatarView.as_view(), name="me-avatar"),
    path("me/settings", views.CreatorSettingsView.as_view(), name="me-settings"),
    path("me/follow-requests", views.FollowRequestsView.as_view(), name="me-follow-requests"),
    path("me/follow-requests/<str:username>", views.FollowRequestDecisionView.as_view(), name="me-follow-request"),
    path("me/followers/<str:username>", views.FollowerRemoveView.as_view(), name="me-follower"),
    path("me/blocks", views.BlocksView.as_view(), name="me-blocks"),
    path("users/<str:username>", views.UserDetailView.as_view(), name="user-detail"),
    path("users/<str:username>/follow", views.FollowView.as_view(), name="user-follow"),
    path("users/<str:username>/block", views.BlockView.as_view(), name="user-block"),
    path("users/<str:username>/followers", views.FollowersView.as_view(), name="user-followers"),
    path("users/<str:username>/following", views.FollowingView.as_view(), name="user-following"),
]
