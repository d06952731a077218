"""Login and logout of the operators' console, handed to the IdP's own flow."""

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from egisz.idp.authn.views import logout_view


def admin_login(request, extra_context=None):
    """Send the operator through /login/ (password + code) and back to the console."""
    index = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(index)
        # Logged in but not an operator: sending them to /login/ would bounce straight
        # back here, so say it plainly.
        raise PermissionDenied
    next_url = request.GET.get("next", "")
    if not next_url.startswith(index):
        next_url = index
    return redirect(f"{reverse('authn:login')}?{urlencode({'next': next_url})}")


def admin_logout(request, extra_context=None):
    return logout_view(request)


def admin_password_change(request, extra_context=None):
    return redirect("security:password_change")
