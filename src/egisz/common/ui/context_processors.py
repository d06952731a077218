from django.conf import settings


def site(request):
    return {
        "site_name": getattr(settings, "SITE_TITLE", "ЕГИСЗ"),
        "demo_mode": settings.DEMO,
    }
