from django.http import HttpResponse


def dev_outbox(request):
    return HttpResponse("outbox")
