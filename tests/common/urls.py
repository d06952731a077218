"""A small urlconf for tests of the shared middleware and error handlers: pages that write
the session, fail, or refuse, behind the same middleware as every real page."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import include, path

from egisz.common.ui import views as ui_views

handler403 = "egisz.common.ui.views.permission_denied"
handler404 = "egisz.common.ui.views.page_not_found"
handler500 = "egisz.common.ui.views.server_error"


def remember_visit(request):
    request.session["visited"] = True
    return HttpResponse("ok")


def broken(request):
    raise RuntimeError("a bug in a view")


def forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("healthz", ui_views.healthz),
    path("i18n/", include("django.conf.urls.i18n")),
    path("test/session", remember_visit),
    path("test/broken", broken),
    path("test/forbidden", forbidden),
]
