from django.urls import path

from egisz.cabinet.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
]
