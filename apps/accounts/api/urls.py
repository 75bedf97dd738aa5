from django.urls import path

from . import privacy, profile, teams, views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh/", views.CookieRefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/me/", views.MeView.as_view(), name="auth-me"),
    path("auth/me/export/", privacy.ExportView.as_view(), name="auth-export"),
    path("auth/me/profile/", profile.ProfileView.as_view(), name="auth-profile"),
    path("auth/me/password/", profile.PasswordChangeView.as_view(), name="auth-password"),
    path("auth/me/email/", profile.EmailChangeView.as_view(), name="auth-email"),
    path("auth/verify-email/", profile.VerifyView.as_view(), name="auth-verify-email"),
    path(
        "auth/verify-email/resend/",
        profile.VerifyResendView.as_view(),
        name="auth-verify-email-resend",
    ),
    path("auth/password-reset/", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password-reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("auth/csrf/", views.CsrfView.as_view(), name="auth-csrf"),
    path("team/members/", teams.TeamMembersView.as_view(), name="team-members"),
    path(
        "team/members/<int:member_id>/",
        teams.TeamMemberDetailView.as_view(),
        name="team-member-detail",
    ),
]
