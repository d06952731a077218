from django.urls import path

from egisz.cabinet.profile import views

app_name = "profile"

urlpatterns = [
    path("profile/", views.complete, name="complete"),
    path("profile/corrections/", views.corrections, name="corrections"),
]
