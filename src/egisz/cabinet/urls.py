from django.contrib import admin
from django.urls import include, path

from egisz.common.ui import views as ui_views

handler400 = "egisz.common.ui.views.bad_request"
handler403 = "egisz.common.ui.views.permission_denied"
handler404 = "egisz.common.ui.views.page_not_found"
handler500 = "egisz.common.ui.views.server_error"

admin.site.site_header = "ЕГИСЗ — оператор кабинета"
admin.site.site_title = "ЕГИСЗ — оператор"

urlpatterns = [
    path("healthz", ui_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("egisz.cabinet.portal.urls")),
    path("sso/", include("egisz.cabinet.sso.urls")),
    path("", include("egisz.cabinet.patients.urls")),
    path("", include("egisz.cabinet.notifications.urls")),
    path("", include("egisz.cabinet.documents.urls")),
    path("", include("egisz.cabinet.profile.urls")),
    path("", include("egisz.cabinet.organizations.urls")),
    # The admin's login behind a throttle, a lockout and the journal: before the admin.
    path("operator/", include("egisz.cabinet.staff.urls")),
    path("operator/", admin.site.urls),
    path("", include("egisz.common.outbox.urls")),
]
