from django.contrib import admin
from django.urls import include, path

from egisz.common.ui import views as ui_views

handler400 = "egisz.common.ui.views.bad_request"
handler403 = "egisz.common.ui.views.permission_denied"
handler404 = "egisz.common.ui.views.page_not_found"
handler500 = "egisz.common.ui.views.server_error"

urlpatterns = [
    path("healthz", ui_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("egisz.idp.accounts.urls")),
    path("", include("egisz.idp.authn.urls")),
    path("", include("egisz.idp.security.urls")),
    path("", include("egisz.idp.oidc.urls")),
    path("support/", admin.site.urls),
    path("", include("egisz.common.outbox.urls")),
]
