from django.urls import path

from egisz.idp.security import settings_views, views

app_name = "security"

# URL names other parts of the IdP link to: recover, sessions, journal, password_change, totp.
urlpatterns = [
    path("recover/", views.recover, name="recover"),
    path("recover/code/", views.recover_code, name="recover_code"),
    path("recover/code/resend/", views.recover_resend, name="recover_resend"),
    path("recover/app/", views.recover_app, name="recover_app"),
    path("recover/password/", views.recover_password, name="recover_password"),
    path("settings/sessions/", settings_views.sessions_view, name="sessions"),
    path("settings/sessions/<int:pk>/end/", settings_views.session_end, name="session_end"),
    path(
        "settings/sessions/end-others/",
        settings_views.sessions_end_others,
        name="sessions_end_others",
    ),
    path("settings/journal/", settings_views.journal_view, name="journal"),
    path("settings/password/", settings_views.password_change_view, name="password_change"),
    path("settings/authenticator/", settings_views.totp_view, name="totp"),
    path("settings/authenticator/start/", settings_views.totp_start, name="totp_start"),
    path("settings/authenticator/confirm/", settings_views.totp_confirm, name="totp_confirm"),
    path("settings/authenticator/disable/", settings_views.totp_disable, name="totp_disable"),
    path(
        "settings/authenticator/recovery-codes/",
        settings_views.totp_recovery_codes,
        name="totp_recovery_codes",
    ),
]
