from django.urls import path

from egisz.idp.security import views

app_name = "security"

# URL names other parts of the IdP link to: recover, sessions, journal, password_change, totp.
urlpatterns = [
    path("recover/", views.recover, name="recover"),
]
