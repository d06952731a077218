from django.urls import path

from egisz.cabinet.sso import views

app_name = "sso"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("callback/", views.callback_view, name="callback"),
    path("logout/", views.logout_view, name="logout"),
    path("backchannel-logout/", views.backchannel_logout_view, name="backchannel_logout"),
]
