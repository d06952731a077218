from django.conf import settings
from django.urls import path

from egisz.common.outbox import views

app_name = "outbox"

# The demo outbox shows codes meant for someone's phone: it exists only in demo mode.
urlpatterns = [path("dev/outbox", views.dev_outbox, name="dev_outbox")] if settings.DEMO else []
