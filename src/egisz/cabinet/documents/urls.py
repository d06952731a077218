from django.urls import path

from egisz.cabinet.documents import views

app_name = "documents"

urlpatterns = [
    path("documents/<int:pk>/download/", views.download, name="download"),
]
