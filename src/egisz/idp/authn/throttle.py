"""The IdP's answer to a throttled request (django-ratelimit's RATELIMIT_VIEW too); the
counting is egisz.common.flow.throttle's."""

from django.shortcuts import render


def rate_limited(request, exception=None):
    return render(request, "authn/rate_limited.html", status=429)
