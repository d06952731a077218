"""OpenID Provider metadata at /.well-known/openid-configuration (OpenID Connect
Discovery 1.0), every address absolute from the issuer."""

from django.conf import settings
from django.http import JsonResponse
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.views.decorators.http import require_safe

from egisz.idp.oidc import claims
from egisz.idp.oidc.client_auth import ALGORITHMS as CLIENT_ASSERTION_ALGORITHMS
from egisz.idp.oidc.models import SigningKey

# Where the authorization endpoint lives when its URL is not registered (yet).
AUTHORIZATION_PATH = "oidc/authorize/"


def issuer() -> str:
    return settings.OIDC_ISSUER.rstrip("/")


def endpoint_url(name: str, fallback: str | None = None) -> str:
    """The public address of the named view: the issuer plus the view's path (the issuer
    already carries any prefix the site is published under)."""
    try:
        path = reverse(name)
    except NoReverseMatch:
        if fallback is None:
            raise
        path = get_script_prefix() + fallback
    prefix = get_script_prefix()
    if path.startswith(prefix):
        path = path[len(prefix) :]
    return f"{issuer()}/{path}"


def provider_metadata() -> dict:
    auth_methods = settings.OAUTH2_PROVIDER["OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED"]
    # Public clients send only their client_id to the token and revocation endpoints;
    # introspection is for confidential clients alone.
    public_auth_methods = [*auth_methods, "none"]
    return {
        "issuer": issuer(),
        "authorization_endpoint": endpoint_url("oidc:authorize", fallback=AUTHORIZATION_PATH),
        "token_endpoint": endpoint_url("oidc:token"),
        "userinfo_endpoint": endpoint_url("oidc:userinfo"),
        "jwks_uri": endpoint_url("oidc:jwks"),
        "end_session_endpoint": endpoint_url("oidc:logout"),
        "revocation_endpoint": endpoint_url("oidc:revoke"),
        "introspection_endpoint": endpoint_url("oidc:introspect"),
        "scopes_supported": list(claims.SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": list(SigningKey.Algorithm.values),
        "token_endpoint_auth_methods_supported": public_auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": list(CLIENT_ASSERTION_ALGORITHMS),
        "revocation_endpoint_auth_methods_supported": public_auth_methods,
        "revocation_endpoint_auth_signing_alg_values_supported": list(CLIENT_ASSERTION_ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": list(auth_methods),
        "introspection_endpoint_auth_signing_alg_values_supported": list(
            CLIENT_ASSERTION_ALGORITHMS
        ),
        "code_challenge_methods_supported": ["S256"],
        # RFC 9207: every authorization response (code or error) carries `iss`.
        "authorization_response_iss_parameter_supported": True,
        "claims_supported": claims.supported_claims(),
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "require_request_uri_registration": False,
        "acr_values_supported": list(claims.ACR_BY_LEVEL.values()),
        "prompt_values_supported": ["none", "login", "consent"],
        "display_values_supported": ["page"],
        "ui_locales_supported": ["ru", "en"],
        "claims_locales_supported": ["ru"],
        # The user agreement, and in it what the citizen agrees to hand to services.
        "op_tos_uri": endpoint_url("accounts:terms"),
        "op_policy_uri": endpoint_url("accounts:terms") + "#consent",
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }


@require_safe
def openid_configuration(request):
    response = JsonResponse(provider_metadata(), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
