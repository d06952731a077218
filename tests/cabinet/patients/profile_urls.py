"""The cabinet's URLs with stand-ins for the profile pages «Личные данные» links to, so the
links can be tested before (and independently of) the profile section itself."""

from django.http import HttpResponse
from django.urls import include, path

from egisz.cabinet import urls as cabinet_urls


def _stand_in(request):
    return HttpResponse("stand-in")


_profile = (
    [
        path("profile/corrections/", _stand_in, name="corrections"),
        path("profile/complete/", _stand_in, name="complete"),
    ],
    "profile",
)

urlpatterns = [
    pattern
    for pattern in cabinet_urls.urlpatterns
    if getattr(pattern, "namespace", None) != "profile"
] + [path("", include(_profile))]
