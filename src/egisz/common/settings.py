"""Settings shared by both sites. Each site's settings module imports this and adds its own.

Everything comes from environment variables (see README, «Configuration»). The defaults
run the demo on SQLite; a production start (EGISZ_DEMO off) refuses demo secrets.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from egisz.common.crypto import KeyRingError, configured_key_ring
from egisz.common.env import env_bool, env_int, env_list, env_rate, env_str

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("EGISZ_DATA_DIR", str(Path.cwd() / "var")))

DEMO = env_bool("EGISZ_DEMO", False)
DEBUG = env_bool("EGISZ_DEBUG", False)
DEMO_SECRET_KEY = "demo-only-secret-key-never-use-in-production-0000000000000000"  # noqa: S105 (public on purpose)
SECRET_KEY = env_str("EGISZ_SECRET_KEY", DEMO_SECRET_KEY if DEMO else "")
if not DEMO:
    if not SECRET_KEY or SECRET_KEY == DEMO_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "EGISZ_SECRET_KEY must be set to a random value of at least 32 characters "
            "outside demo mode (EGISZ_DEMO=1)."
        )
    if DEBUG:
        raise ImproperlyConfigured("EGISZ_DEBUG cannot be on outside demo mode.")

# The key ring for secrets at rest (egisz.common.crypto): (id, Fernet key) pairs, the first
# encrypting, all decrypting. Independent of SECRET_KEY outside demo mode; see README,
# «Field encryption keys».
try:
    FIELD_ENCRYPTION_KEYS = configured_key_ring(
        env_str("EGISZ_FIELD_ENCRYPTION_KEYS"),
        old_key=env_str("EGISZ_FIELD_ENCRYPTION_KEY").strip(),
        secret_key=SECRET_KEY,
        demo=DEMO,
    )
except KeyRingError as exc:
    raise ImproperlyConfigured(str(exc)) from None

ALLOWED_HOSTS = env_list("EGISZ_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("EGISZ_CSRF_TRUSTED_ORIGINS", [])

USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("EGISZ_TIME_ZONE", "Europe/Moscow")
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [
    PACKAGE_DIR / "locale",
    # Russian for libraries' strings that read wrong or are missing in their own catalogues
    # (Django admin's phrases around a model's name); see its django.po.
    PACKAGE_DIR / "common" / "ui" / "library_locale",
]
# Django's formats, with the day of a month in the genitive in Russian (common/ui/formats).
FORMAT_MODULE_PATH = ["egisz.common.ui.formats"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

COMMON_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "egisz.common.ui",
    "egisz.common.audit",
    "egisz.common.outbox",
    "egisz.common.codes",
    "egisz.common.keyring",
    "django_tasks",
    # django-tasks-db, named in Russian in the operator consoles.
    "egisz.common.jobs.apps.TaskQueueConfig",
    "egisz.common.jobs",
    "egisz.common.flow",
]

# Background work: Django's tasks API (the django-tasks backport) with its database backend,
# so the queue is a table of the site's own database (SQLite in the demo, PostgreSQL in
# production) and `egisz worker` runs on any number of machines (README → Libraries).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

COMMON_MIDDLEWARE_HEAD = [
    "django.middleware.security.SecurityMiddleware",
    "egisz.common.ui.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "egisz.common.ui.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Before anything reads a body (CSRF reads the form only in process_view, later).
    "egisz.common.request_body.RequestBodyLimitMiddleware",
]
COMMON_MIDDLEWARE_TAIL = [
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "egisz.common.ui.middleware.UnsupportedBrowserMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
                "egisz.common.ui.context_processors.site",
            ],
        },
    }
]


def database_from_env(site: str) -> dict:
    """PostgreSQL when EGISZ_<SITE>_DATABASE_URL is set, else an embedded SQLite file."""
    url = env_str(f"EGISZ_{site.upper()}_DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=env_int("EGISZ_DB_CONN_MAX_AGE", 60))
        config["CONN_HEALTH_CHECKS"] = True
        config["ATOMIC_REQUESTS"] = False
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / f"{site}.sqlite3"),
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
    }


def cache_from_env(site: str) -> dict:
    """Redis when EGISZ_REDIS_URL is set; otherwise the database cache table, which still
    survives a restart and is shared by every process of the site (throttling relies on it).
    """
    redis_url = env_str("EGISZ_REDIS_URL")
    if redis_url:
        return {
            "default": {
                "BACKEND": "egisz.common.redis_cache.PooledRedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": f"egisz:{site}",
            }
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "egisz_cache",
        }
    }


# Sessions: in Redis when there is one (no database writes per request), otherwise in the
# database read through the cache. Either way every process of the site sees them.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cache"
    if env_str("EGISZ_REDIS_URL")
    else "django.contrib.sessions.backends.cached_db"
)
HTTPS = env_bool("EGISZ_HTTPS", not DEMO)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_FAILURE_VIEW = "egisz.common.ui.views.csrf_failure"
# Behind reverse proxies that append the client to X-Forwarded-For, how many of them: the
# client is that many addresses from the right. 0 trusts no header (REMOTE_ADDR is the
# client). Journals and per-address throttling both use this address.
TRUSTED_PROXY_COUNT = env_int("EGISZ_TRUSTED_PROXY_COUNT", 0)
RATELIMIT_IP_META_KEY = "egisz.common.request_meta.throttle_address"
if env_bool("EGISZ_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_SSL_REDIRECT = env_bool("EGISZ_SSL_REDIRECT", False)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Request bodies (egisz.common.request_body). Form fields above MAX_BODY_BYTES are refused
# with 400 before a form sees them (Django's limit, which leaves files out); files are
# limited one by one to UPLOAD_MAX_FILE_BYTES by the first upload handler; a whole request
# above REQUEST_MAX_BYTES is refused by its Content-Length with 413 before it is read. The
# IdP takes no files, so its request is its form fields; the cabinet adds its scans.
MAX_BODY_BYTES = env_int("EGISZ_MAX_BODY_BYTES", 2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
UPLOAD_MAX_FILE_BYTES = MAX_BODY_BYTES
REQUEST_MAX_BYTES = MAX_BODY_BYTES
FILE_UPLOAD_HANDLERS = [
    "egisz.common.request_body.FileSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEMO or DEBUG
if DEMO:
    # The demo serves files straight from the apps; an empty root keeps WhiteNoise quiet.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Outbox: e-mail goes through Django's SMTP backend when EGISZ_SMTP_HOST is set.
SMTP_HOST = env_str("EGISZ_SMTP_HOST")
if SMTP_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = SMTP_HOST
    EMAIL_PORT = env_int("EGISZ_SMTP_PORT", 25)
    EMAIL_HOST_USER = env_str("EGISZ_SMTP_USER")
    EMAIL_HOST_PASSWORD = env_str("EGISZ_SMTP_PASSWORD")
    EMAIL_USE_TLS = env_bool("EGISZ_SMTP_STARTTLS", False)
    EMAIL_USE_SSL = env_bool("EGISZ_SMTP_SSL", False)
    EMAIL_TIMEOUT = env_int("EGISZ_SMTP_TIMEOUT", 10)
elif DEMO:
    # The demo keeps e-mail in the outbox table only (readable at /dev/outbox).
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
else:
    raise ImproperlyConfigured(
        "EGISZ_SMTP_HOST (the SMTP server that sends e-mail) must be set outside demo mode "
        "(EGISZ_DEMO=1)."
    )
DEFAULT_FROM_EMAIL = env_str("EGISZ_MAIL_FROM", "no-reply@egisz.localhost")

# Where pages and notices send a person who needs a human (no access to the phone, a change
# they did not make): a phone number, an address, a page. Shown as typed, in every language.
DEMO_SUPPORT_CONTACT = "8 800 000-00-00 (демо), support@egisz.localhost"
SUPPORT_CONTACT = " ".join(env_str("EGISZ_SUPPORT_CONTACT").split()) or (
    DEMO_SUPPORT_CONTACT if DEMO else ""
)
if not SUPPORT_CONTACT:
    raise ImproperlyConfigured(
        "EGISZ_SUPPORT_CONTACT must be set outside demo mode: pages and notifications send "
        "people to support with it."
    )
SMS_GATEWAY = env_str("EGISZ_SMS_GATEWAY", "egisz.common.outbox.gateways.RecordingSmsGateway")
# Budgets of SMS codes to numbers not confirmed before (registration, a new phone), against
# SMS pumping (egisz.common.codes.budgets): per account, per number, per number prefix (its
# first SMS_BUDGET_PREFIX_DIGITS digits) and for the whole site, the last one alerting the
# operator in the audit journal. Each site counts its own.
SMS_BUDGET_PER_ACCOUNT = env_rate("EGISZ_SMS_BUDGET_PER_ACCOUNT", "5/d")
SMS_BUDGET_PER_NUMBER = env_rate("EGISZ_SMS_BUDGET_PER_NUMBER", "10/d")
SMS_BUDGET_PER_PREFIX = env_rate("EGISZ_SMS_BUDGET_PER_PREFIX", "30/h")
SMS_BUDGET_PREFIX_DIGITS = env_int("EGISZ_SMS_BUDGET_PREFIX_DIGITS", 7)
SMS_BUDGET_GLOBAL = env_rate("EGISZ_SMS_BUDGET_GLOBAL", "1000/h")
OUTBOX_MAX_ATTEMPTS = env_int("EGISZ_OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_RETRY_BASE_SECONDS = env_int("EGISZ_OUTBOX_RETRY_BASE_SECONDS", 15)
# How long a worker may take to hand one message over before another worker takes it again
# (a worker killed mid-send): longer than the SMTP timeout and the SMS gateway's.
OUTBOX_LEASE_SECONDS = env_int("EGISZ_OUTBOX_LEASE_SECONDS", 120)
# How often the worker sweeps the outbox for due messages without a delivery task (the queue
# was unreachable at commit, or the worker sending them was killed).
OUTBOX_SWEEP_SECONDS = env_int("EGISZ_OUTBOX_SWEEP_SECONDS", 30)
# Periodic jobs of both sites' workers; each site's PERIODIC_JOBS adds its own (see
# egisz.common.jobs.scheduler): dotted paths of callables taking ``limit`` and returning how
# many items they processed, each with its interval in seconds.
COMMON_PERIODIC_JOBS = {
    # Messages without a delivery task: the queue was unreachable at commit, or the
    # worker sending them was killed (their lease is over).
    "egisz.common.outbox.services.deliver_due": OUTBOX_SWEEP_SECONDS,
    # Counters of SMS budgets whose period is over.
    "egisz.common.codes.budgets.purge_spent_counters": 3600,
    "egisz.common.jobs.services.prune_finished_tasks": 3600,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("EGISZ_LOG_LEVEL", "INFO")},
    # django-tasks logs two INFO lines for every task it runs (periodic jobs every few
    # seconds): only its warnings and failures (logged as errors) reach the log.
    "loggers": {"django_tasks": {"level": "WARNING"}},
}
