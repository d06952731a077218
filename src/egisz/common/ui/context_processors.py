from django.conf import settings


def site(request):
    return {
        "site_name": getattr(settings, "SITE_TITLE", "ЕГИСЗ"),
        "demo_mode": settings.DEMO,
        # Wherever a page sends a person to support (EGISZ_SUPPORT_CONTACT).
        "support_contact": settings.SUPPORT_CONTACT,
    }
