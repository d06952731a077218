"""Token-side endpoints of the OpenID Connect provider, mounted at the site root inside
the "oidc" namespace (see egisz.idp.oidc.urls)."""

from django.urls import path

from egisz.idp.oidc import discovery, end_session, token_views

urlpatterns = [
    path(
        ".well-known/openid-configuration",
        discovery.openid_configuration,
        name="discovery",
    ),
    path("oidc/token/", token_views.TokenView.as_view(), name="token"),
    path("oidc/userinfo/", token_views.UserInfoView.as_view(), name="userinfo"),
    path("oidc/revoke/", token_views.RevokeTokenView.as_view(), name="revoke"),
    path("oidc/introspect/", token_views.IntrospectView.as_view(), name="introspect"),
    path("oidc/logout/", end_session.LogoutView.as_view(), name="logout"),
]
