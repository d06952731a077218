from django.urls import path

from egisz.idp.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("register/", views.register, name="register"),
    path("register/confirm/", views.register_confirm, name="register_confirm"),
    path("register/confirm/resend/", views.register_resend, name="register_resend"),
    path("terms/", views.terms, name="terms"),
    path("account/data/", views.personal_data, name="personal_data"),
    path("account/email/send/", views.send_email_confirmation, name="send_email_confirmation"),
    path("email/confirm/<str:token>/", views.confirm_email, name="confirm_email"),
]
