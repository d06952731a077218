"""Settings of the cabinet site (ЕГИСЗ role), served on EGISZ_CABINET_PORT (8001 by default).

The cabinet is a plain OpenID Connect relying party: the provider's issuer, client id and
secret come from the environment (see README, «Кабинет ЕГИСЗ»), so any compliant provider
can stand where the project's own IdP stands in the demo.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from egisz.common.env import env_int, env_list, env_rate, env_str
from egisz.common.settings import *  # noqa: F403
from egisz.common.settings import (
    COMMON_APPS,
    COMMON_MIDDLEWARE_HEAD,
    COMMON_MIDDLEWARE_TAIL,
    DATA_DIR,
    DEMO,
    MAX_BODY_BYTES,
    cache_from_env,
    database_from_env,
)

SITE_TITLE = "ЕГИСЗ"
ROOT_URLCONF = "egisz.cabinet.urls"
WSGI_APPLICATION = "egisz.cabinet.wsgi.application"
PORT = env_int("EGISZ_CABINET_PORT", 8001)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    *COMMON_APPS,
    "egisz.cabinet.portal",
    "egisz.cabinet.sso",
    "egisz.cabinet.patients",
    "egisz.cabinet.notifications",
    "egisz.cabinet.documents",
    "egisz.cabinet.profile",
    "egisz.cabinet.organizations",
    "egisz.cabinet.staff",
]

MIDDLEWARE = [
    *COMMON_MIDDLEWARE_HEAD,
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "egisz.cabinet.sso.middleware.SessionLifetimeMiddleware",
    "egisz.cabinet.sso.middleware.ProviderLogoutMiddleware",
    "egisz.cabinet.sso.middleware.GrantCheckMiddleware",
    "egisz.cabinet.portal.section_context.SectionContextMiddleware",
    *COMMON_MIDDLEWARE_TAIL,
]

TEMPLATES[0]["OPTIONS"]["context_processors"] = [  # noqa: F405
    *TEMPLATES[0]["OPTIONS"]["context_processors"],  # noqa: F405
    "egisz.cabinet.portal.context_processors.cabinet",
]

DATABASES = {"default": database_from_env("cabinet")}
CACHES = cache_from_env("cabinet")

# Both sites share a host in the demo: cookies are scoped by host, not port.
SESSION_COOKIE_NAME = "egisz_cabinet_session"
CSRF_COOKIE_NAME = "egisz_cabinet_csrftoken"
LANGUAGE_COOKIE_NAME = "egisz_cabinet_language"

# Patients have no password here (they log in through the provider); the operator's staff
# log in to the operator console (/operator/) with Django's own login.
LOGIN_URL = "sso:login"
LOGIN_REDIRECT_URL = "portal:home"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# The operator console's login (/operator/login/, egisz.cabinet.staff): POSTs per client IP,
# and a username locked for OPERATOR_LOCKOUT_MINUTES after OPERATOR_LOCKOUT_THRESHOLD
# failures within OPERATOR_LOCKOUT_WINDOW_MINUTES (whether such a user exists or not).
OPERATOR_LOGIN_IP_RATE = env_str("EGISZ_CABINET_OPERATOR_LOGIN_IP_RATE", "10/10m")
OPERATOR_LOCKOUT_THRESHOLD = env_int("EGISZ_CABINET_OPERATOR_LOCKOUT_THRESHOLD", 5)
OPERATOR_LOCKOUT_WINDOW_MINUTES = env_int("EGISZ_CABINET_OPERATOR_LOCKOUT_WINDOW_MINUTES", 30)
OPERATOR_LOCKOUT_MINUTES = env_int("EGISZ_CABINET_OPERATOR_LOCKOUT_MINUTES", 30)
# The console login's stages after the password (egisz.common.flow.stages), by dotted path;
# each one available for the member of staff is passed in this order (staff/policy).
OPERATOR_LOGIN_STAGES = ["egisz.cabinet.staff.stages.StaffSmsCodeStage"]

SESSION_IDLE_MINUTES = env_int("EGISZ_CABINET_SESSION_IDLE_MINUTES", 15)
SESSION_MAX_HOURS = env_int("EGISZ_CABINET_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600

# One-time codes for contact and address changes (egisz.common.codes).
OTP_LIFETIME_SECONDS = env_int("EGISZ_OTP_LIFETIME_SECONDS", 300)
OTP_RESEND_SECONDS = env_int("EGISZ_OTP_RESEND_SECONDS", 60)
OTP_MAX_TRIES = env_int("EGISZ_OTP_MAX_TRIES", 3)
OTP_MAX_PER_HOUR = env_int("EGISZ_OTP_MAX_PER_HOUR", 5)
CODE_IP_RATE = env_str("EGISZ_CABINET_CODE_IP_RATE", "30/10m")

# --- OpenID Connect relying party -------------------------------------------------------
# The provider's issuer (its discovery document is <issuer>/.well-known/openid-configuration).
IDP_PORT = env_int("EGISZ_IDP_PORT", 8000)
OIDC_ISSUER = env_str("EGISZ_CABINET_OIDC_ISSUER", f"http://127.0.0.1:{IDP_PORT}").rstrip("/")
DEMO_OIDC_CLIENT_SECRET = "demo-cabinet-secret-not-for-production"  # noqa: S105 (public on purpose)
OIDC_CLIENT_ID = env_str("EGISZ_CABINET_OIDC_CLIENT_ID", "egisz-cabinet" if DEMO else "")
OIDC_CLIENT_SECRET = env_str(
    "EGISZ_CABINET_OIDC_CLIENT_SECRET", DEMO_OIDC_CLIENT_SECRET if DEMO else ""
)
if not DEMO and (
    not OIDC_CLIENT_ID or not OIDC_CLIENT_SECRET or OIDC_CLIENT_SECRET == DEMO_OIDC_CLIENT_SECRET
):
    raise ImproperlyConfigured(
        "EGISZ_CABINET_OIDC_CLIENT_ID and EGISZ_CABINET_OIDC_CLIENT_SECRET must be set "
        "outside demo mode (EGISZ_DEMO=1)."
    )
# The cabinet's public address: the redirect URI registered at the provider is
# <CABINET_URL>/sso/callback/, the post-logout URI <CABINET_URL>/ and the back-channel
# logout URI <CABINET_URL>/sso/backchannel-logout/.
CABINET_URL = env_str("EGISZ_CABINET_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
# The data the cabinet asks for (ЕСИА scope names; see README, «Кабинет ЕГИСЗ»).
OIDC_SCOPES = env_str(
    "EGISZ_CABINET_OIDC_SCOPES", "openid fullname birthdate snils inn mobile email"
)
# Full access needs this `acr` (the confirmed account level); below it, limited mode.
OIDC_REQUIRED_ACR = env_str("EGISZ_CABINET_REQUIRED_ACR", "urn:egisz:loa:confirmed")
# How often (seconds) a logged-in session asks the provider whether its grant still stands
# (UserInfo with the session's access token). A fallback: the provider's back-channel logout
# (/sso/backchannel-logout/) ends sessions at once; this check catches a provider that sends
# none, a logout token that never arrived, and a consent withdrawn without a logout. 0 asks
# on every request (a UserInfo call each time).
OIDC_GRANT_CHECK_SECONDS = env_int("EGISZ_CABINET_GRANT_CHECK_SECONDS", 300)
OIDC_HTTP_TIMEOUT_SECONDS = env_int("EGISZ_CABINET_OIDC_TIMEOUT_SECONDS", 10)
# Where a citizen manages password, sessions and linked services (the provider's pages).
IDP_ACCOUNT_URL = env_str("EGISZ_CABINET_IDP_ACCOUNT_URL", OIDC_ISSUER)
# «Выйти» and «Дать согласие» are forms whose answer redirects to the provider; browsers
# check that redirect against the page's CSP form-action. The provider's origin by default,
# plus EGISZ_CABINET_PROVIDER_ORIGINS when its logout endpoint lives elsewhere.
CSP_FORM_ACTION_ORIGINS = [
    "{0.scheme}://{0.netloc}".format(urlsplit(OIDC_ISSUER)),
    *env_list("EGISZ_CABINET_PROVIDER_ORIGINS", []),
]

# --- Documents ------------------------------------------------------------------------------
# Uploaded scans are encrypted at rest (the key ring FIELD_ENCRYPTION_KEYS) in this directory.
DOCUMENTS_DIR = env_str("EGISZ_CABINET_DOCUMENTS_DIR", str(DATA_DIR / "cabinet-documents"))
DOCUMENT_MAX_BYTES = env_int("EGISZ_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
# Images with more pixels are refused from their header, before anything is decoded:
# decoding takes about 4 bytes of memory per pixel (40 Mpx: an A4 page at 600 dpi fits).
DOCUMENT_MAX_PIXELS = env_int("EGISZ_DOCUMENT_MAX_PIXELS", 40_000_000)
# Files one patient may upload (each counts, accepted or not), in the cache.
DOCUMENT_UPLOAD_RATE = env_rate("EGISZ_DOCUMENT_UPLOAD_RATE", "20/h")
# A request: the form fields (MAX_BODY_BYTES) and at most UPLOAD_MAX_FILES scans of
# DOCUMENT_MAX_BYTES (the profile form has three file fields); refused above that by its
# Content-Length (egisz.common.request_body), and by the reverse proxy (README).
UPLOAD_MAX_FILE_BYTES = DOCUMENT_MAX_BYTES
UPLOAD_MAX_FILES = env_int("EGISZ_UPLOAD_MAX_FILES", 3)
DATA_UPLOAD_MAX_NUMBER_FILES = UPLOAD_MAX_FILES
REQUEST_MAX_BYTES = MAX_BODY_BYTES + UPLOAD_MAX_FILES * UPLOAD_MAX_FILE_BYTES
# Files above this are spooled to a temporary file (never more than UPLOAD_MAX_FILE_BYTES).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Antivirus check of every upload, the last check before a file is stored: a dotted path
# to a scanner class (egisz.cabinet.documents.antivirus). ClamdScanner asks a ClamAV daemon
# (clamd) over its INSTREAM protocol and refuses uploads while clamd cannot answer;
# NoScanner accepts everything and exists for the demo only (refused outside demo mode).
DOCUMENT_SCANNER = env_str(
    "EGISZ_DOCUMENT_SCANNER",
    "egisz.cabinet.documents.antivirus." + ("NoScanner" if DEMO else "ClamdScanner"),
)
# clamd's TCP address (host:port), or the path of its unix socket (starting with "/").
CLAMD_ADDRESS = env_str("EGISZ_CLAMD_ADDRESS", "127.0.0.1:3310")
CLAMD_TIMEOUT_SECONDS = env_int("EGISZ_CLAMD_TIMEOUT_SECONDS", 30)
if not DEMO and DOCUMENT_SCANNER.rsplit(".", 1)[-1] == "NoScanner":
    raise ImproperlyConfigured(
        "EGISZ_DOCUMENT_SCANNER=NoScanner accepts every upload unscanned: it is for the "
        "demo only (EGISZ_DEMO=1). Point EGISZ_CLAMD_ADDRESS at a clamd instead."
    )

# The audit actions this site records (egisz.common.audit.vocabulary).
AUDIT_VOCABULARIES = ["egisz.cabinet.audit_actions.CabinetAction"]

# Periodic jobs of `egisz cabinet worker` (see egisz.common.jobs.scheduler), with their
# intervals in seconds.
PERIODIC_JOBS = {
    **COMMON_PERIODIC_JOBS,  # noqa: F405
    # Encrypted files whose database row never committed (a crash mid-upload).
    "egisz.cabinet.documents.services.sweep_orphan_blobs": 3600,
    # Provider grants of sessions that ended without a logout (the browser was closed).
    "egisz.cabinet.sso.services.purge_stale_grants": 600,
    # Links of limited-mode sessions that ended so, and expired used logout tokens.
    "egisz.cabinet.sso.services.purge_ended_logins": 600,
}

# Panels of «Главная», in order: dotted paths of callables (request, patient) -> Panel | None.
# A later section adds its panel here.
HOME_PANELS = [
    "egisz.cabinet.notifications.panels.notifications_panel",
    "egisz.cabinet.profile.panels.completeness_panel",
    "egisz.cabinet.organizations.panels.policy_panel",
    "egisz.cabinet.portal.panels.quick_links_panel",
]
