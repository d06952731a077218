from django.urls import include, path

from egisz.idp.oidc import views

app_name = "oidc"

urlpatterns = [
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    # The authorization endpoint with consent, and the token-side endpoints, each in a
    # module of its own.
    path("", include("egisz.idp.oidc.authorize_urls")),
    path("", include("egisz.idp.oidc.token_urls")),
]
