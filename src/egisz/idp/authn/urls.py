from django.urls import path

from egisz.idp.authn import views

app_name = "authn"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.code_view, name="code"),
    path("login/code/<str:factor>/", views.switch_factor, name="switch_factor"),
    path("login/new-password/", views.temporary_password_view, name="temporary_password"),
    path("logout/", views.logout_view, name="logout"),
]
