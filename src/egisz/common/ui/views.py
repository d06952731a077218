"""Error pages, the health check and the CSRF failure page, shared by both sites."""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: the database did not answer")
        return JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def unauthorized(request):
    return render(request, "errors/401.html", status=401)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # Rendered without the request context: the failing request may be what broke.
    return render(
        None, "errors/500.html", {"support_contact": settings.SUPPORT_CONTACT}, status=500
    )


def csrf_failure(request, reason=""):
    return render(request, "errors/csrf.html", status=403)


def session_expired(request):
    return render(request, "errors/session_expired.html", status=401)
