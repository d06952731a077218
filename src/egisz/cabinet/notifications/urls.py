from django.urls import path

from egisz.cabinet.notifications import views

app_name = "notifications"

urlpatterns = [
    path("settings/", views.notification_settings, name="settings"),
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read/", views.mark_read, name="mark_read"),
]
