"""Settings of the IdP site (ЕСИА role), served on EGISZ_IDP_PORT (8000 by default)."""

from egisz.common.env import env_int, env_str
from egisz.common.settings import *  # noqa: F403
from egisz.common.settings import (
    COMMON_APPS,
    COMMON_MIDDLEWARE_HEAD,
    COMMON_MIDDLEWARE_TAIL,
    DEMO,
    cache_from_env,
    database_from_env,
)

SITE_TITLE = "Госуслуги"
ROOT_URLCONF = "egisz.idp.urls"
WSGI_APPLICATION = "egisz.idp.wsgi.application"
PORT = env_int("EGISZ_IDP_PORT", 8000)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    *COMMON_APPS,
    "egisz.idp.accounts",
    "egisz.idp.authn",
    "egisz.idp.security",
    "egisz.idp.support",
    # django-oauth-toolkit, named in Russian in the operator console.
    "egisz.idp.oidc.toolkit.ToolkitConfig",
    "egisz.idp.oidc",
]
# django-oauth-toolkit's strings in Russian (it has no Russian catalogue of its own).
LOCALE_PATHS = [*LOCALE_PATHS, PACKAGE_DIR / "idp" / "oidc" / "library_locale"]  # noqa: F405

MIDDLEWARE = [
    *COMMON_MIDDLEWARE_HEAD,
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "egisz.idp.authn.middleware.SessionLifetimeMiddleware",
    "egisz.idp.authn.middleware.RequiredActionMiddleware",
    *COMMON_MIDDLEWARE_TAIL,
]

DATABASES = {"default": database_from_env("idp")}
CACHES = cache_from_env("idp")

SESSION_COOKIE_NAME = "egisz_idp_session"
CSRF_COOKIE_NAME = "egisz_idp_csrftoken"
LANGUAGE_COOKIE_NAME = "egisz_idp_language"

AUTH_USER_MODEL = "accounts.Account"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "authn:login"
LOGIN_REDIRECT_URL = "accounts:home"

# Argon2id with OWASP's minimum by default (m=19 MiB, t=2, p=1). Hashes made with other
# parameters are re-hashed at the next successful login.
ARGON2_TIME_COST = env_int("EGISZ_ARGON2_TIME_COST", 2)
ARGON2_MEMORY_COST_KIB = env_int("EGISZ_ARGON2_MEMORY_KIB", 19456)
ARGON2_PARALLELISM = env_int("EGISZ_ARGON2_PARALLELISM", 1)
PASSWORD_HASHERS = [
    "egisz.idp.accounts.hashers.ConfiguredArgon2Hasher",
    # Only for OpenID Connect client secrets (OAUTH2_PROVIDER["CLIENT_SECRET_HASHER"]).
    "egisz.idp.oidc.hashers.ClientSecretHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "egisz.idp.accounts.passwords.CharacterClassesValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "egisz.idp.accounts.passwords.SimilarToPersonalDataValidator",
        "OPTIONS": {
            "user_attributes": (
                "phone",
                "email",
                "snils",
                "first_name",
                "last_name",
                "middle_name",
                "passport",
                "inn",
            )
        },
    },
    {"NAME": "egisz.idp.accounts.passwords.PersonalDataValidator"},
]

# Login protection.
LOCKOUT_THRESHOLD = env_int("EGISZ_LOCKOUT_THRESHOLD", 5)
LOCKOUT_MINUTES = env_int("EGISZ_LOCKOUT_MINUTES", 30)
LOGIN_IP_RATE = env_str("EGISZ_LOGIN_IP_RATE", "50/10m")
CODE_IP_RATE = env_str("EGISZ_CODE_IP_RATE", "30/10m")
# Each recovery start may send an SMS; forms checking the current password must not become
# a way to guess it: both are throttled tighter than logins.
REGISTER_IP_RATE = env_str("EGISZ_REGISTER_IP_RATE", "20/10m")
RECOVERY_IP_RATE = env_str("EGISZ_RECOVERY_IP_RATE", "20/10m")
PASSWORD_CHECK_IP_RATE = env_str("EGISZ_PASSWORD_CHECK_IP_RATE", "20/10m")
SESSION_IDLE_MINUTES = env_int("EGISZ_SESSION_IDLE_MINUTES", 15)
SESSION_MAX_HOURS = env_int("EGISZ_SESSION_MAX_HOURS", 12)
# Server-side session data never outlives the absolute lifetime.
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
RATELIMIT_VIEW = "egisz.idp.authn.throttle.rate_limited"
# The login's stages after the password (egisz.common.flow.stages), by dotted path; the
# strong ones (an authenticator app…) are preferred in this order (authn/policy.py).
AUTHN_STAGES = [
    "egisz.idp.authn.stages.TotpStage",
    "egisz.idp.authn.stages.SmsCodeStage",
    "egisz.idp.authn.stages.RecoveryCodeStage",
]

# One-time codes (see egisz.common.codes.services).
OTP_LIFETIME_SECONDS = env_int("EGISZ_OTP_LIFETIME_SECONDS", 300)
OTP_RESEND_SECONDS = env_int("EGISZ_OTP_RESEND_SECONDS", 60)
OTP_MAX_TRIES = env_int("EGISZ_OTP_MAX_TRIES", 3)
OTP_MAX_PER_HOUR = env_int("EGISZ_OTP_MAX_PER_HOUR", 5)

# Extension points (dotted paths).
REGISTRY_BACKEND = env_str(
    "EGISZ_REGISTRY_BACKEND", "egisz.idp.accounts.registry.DemoRegistryBackend"
)
# The audit actions this site records (egisz.common.audit.vocabulary).
AUDIT_VOCABULARIES = ["egisz.idp.audit_actions.IdpAction"]

# Periodic jobs of `egisz worker`: both sites' and the IdP's own (see COMMON_PERIODIC_JOBS).
PERIODIC_JOBS = {
    **COMMON_PERIODIC_JOBS,  # noqa: F405
    # Registry checks whose task was lost, and the retries of unanswered ones.
    "egisz.idp.accounts.services.run_registry_checks": 30,
    "egisz.idp.authn.services.end_expired_sessions": 60,
    # Logout tokens whose delivery task was lost or whose worker died mid-claim.
    "egisz.idp.oidc.backchannel.deliver_due": 30,
}

# OpenID Connect provider (django-oauth-toolkit with the project's validator and keys).
# The issuer is the public address of the IdP, without a trailing slash.
OIDC_ISSUER = env_str("EGISZ_IDP_ISSUER", f"http://127.0.0.1:{PORT}")
# Key of pairwise subject identifiers; set it so that rotating the secret key does not
# change every pairwise client's view of its citizens.
OIDC_PAIRWISE_SECRET = env_str("EGISZ_OIDC_PAIRWISE_SECRET")
# Back-channel logout (OpenID Connect Back-Channel Logout 1.0): how long one POST of a
# logout token to a client may take, and for how long a client that does not answer 2xx
# is tried again (with back-off, as the outbox) before the delivery is given up.
BACKCHANNEL_LOGOUT_TIMEOUT_SECONDS = env_int("EGISZ_BACKCHANNEL_LOGOUT_TIMEOUT_SECONDS", 5)
BACKCHANNEL_LOGOUT_RETRY_HOURS = env_int("EGISZ_BACKCHANNEL_LOGOUT_RETRY_HOURS", 24)
# The demo's cabinet client (egisz.idp.oidc.demo) is registered for the cabinet's address:
# EGISZ_CABINET_URL, or 127.0.0.1 on EGISZ_CABINET_PORT, as the cabinet itself reads them.
DEMO_CABINET_URL = env_str(
    "EGISZ_CABINET_URL", f"http://127.0.0.1:{env_int('EGISZ_CABINET_PORT', 8001)}"
).rstrip("/")
# DOT's own models are used as they are (policy lives in egisz.idp.oidc's side tables).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105 (a model name)
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "APPLICATION_ADMIN_CLASS": "egisz.idp.oidc.admin.ClientAdmin",
    "ACCESS_TOKEN_ADMIN_CLASS": "egisz.idp.oidc.admin.AccessTokenAdmin",
    "REFRESH_TOKEN_ADMIN_CLASS": "egisz.idp.oidc.admin.RefreshTokenAdmin",
    "GRANT_ADMIN_CLASS": "egisz.idp.oidc.admin.GrantAdmin",
    "CLIENT_SECRET_HASHER": "client_secret_sha256",
    # The issuer exactly as discovery publishes it: also the `iss` of authorization
    # responses (RFC 9207, COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS below).
    "OIDC_ISS_ENDPOINT": OIDC_ISSUER.rstrip("/"),
    "OAUTH2_VALIDATOR_CLASS": "egisz.idp.oidc.validators.EgiszValidator",
    "SCOPES_BACKEND_CLASS": "egisz.idp.oidc.scopes.EgiszScopes",
    # Required for public clients, accepted from confidential ones: see
    # EgiszValidator.is_pkce_required.
    "PKCE_REQUIRED": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("EGISZ_ACCESS_TOKEN_SECONDS", 600),
    # Access tokens are RS256 JWTs (RFC 9068); refresh tokens stay opaque random strings.
    "ACCESS_TOKEN_GENERATOR": "egisz.idp.oidc.access_tokens.generate",
    "REFRESH_TOKEN_GENERATOR": "oauthlib.oauth2.rfc6749.tokens.random_token_generator",
    "ID_TOKEN_EXPIRE_SECONDS": env_int("EGISZ_ID_TOKEN_SECONDS", 600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("EGISZ_REFRESH_TOKEN_SECONDS", 30 * 24 * 3600),
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_SUBJECT_TYPES_SUPPORTED": ["public", "pairwise"],
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ],
    # Post-logout URIs are matched as exact strings (egisz.idp.oidc.end_session.LogoutView).
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"] if DEMO else ["https"],
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    # Bearer tokens never in a URL; tokens stored only as checksums (a database copy
    # holds no usable token). The latter needs REFRESH_TOKEN_GRACE_PERIOD_SECONDS = 0.
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    # Codes come back with `iss` (RFC 9207); so do errors (egisz.idp.oidc.authorize).
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}
