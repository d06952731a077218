"""Included at "operator/" ahead of Django's admin, so its login goes through here."""

from django.urls import path

from egisz.cabinet.staff import views

app_name = "staff"

urlpatterns = [
    path("login/", views.operator_login, name="login"),
    path("login/code/", views.operator_login_code, name="login_code"),
    path("login/code/resend/", views.operator_login_resend, name="login_resend"),
]
