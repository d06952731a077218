from django.urls import path

from egisz.idp.oidc import views

app_name = "oidc"

urlpatterns = [
    path(".well-known/jwks.json", views.jwks, name="jwks"),
]
