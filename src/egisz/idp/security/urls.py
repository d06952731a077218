from django.urls import path

from egisz.idp.security import views

app_name = "security"

urlpatterns = [
    path("recover/", views.recover, name="recover"),
]
