"""The demo outbox: where a person reads the SMS codes and e-mails the demo "sent"."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from egisz.common.outbox.selectors import DEMO_PAGE_SIZE, latest_messages


@never_cache
@require_safe
def dev_outbox(request):
    # urls.py does not route this outside demo mode; the check here guards a urlconf that
    # includes the view some other way.
    if not settings.DEMO:
        raise Http404
    context = {"outbox_messages": latest_messages(limit=DEMO_PAGE_SIZE), "limit": DEMO_PAGE_SIZE}
    return render(request, "outbox/dev_outbox.html", context)
