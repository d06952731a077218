from django.http import HttpResponse


def recover(request):
    return HttpResponse("recover")
