"""Public key set of the OpenID Connect provider."""

from django.http import JsonResponse
from django.views.decorators.http import require_safe

from egisz.idp.oidc import keys


@require_safe
def jwks(request):
    response = JsonResponse(keys.public_jwks())
    # Relying parties cache the set; a short cache lets them see a new key within minutes.
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
