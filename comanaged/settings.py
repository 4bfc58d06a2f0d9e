"""Django settings for comanaged, read from the environment.

Modes (``COMANAGED_MODE``):
- ``production`` (the default): debug off, ``SECRET_KEY`` and ``ALLOWED_HOSTS`` required,
  secure cookies and HSTS.
- ``demo``: the embedded demo started by ``comanaged demo``; debug on, local hosts only,
  keys generated under ``var/``.
- ``development`` and ``test``: like demo, for people and for the test suite.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
MODE = os.environ.get("COMANAGED_MODE", "production")
if MODE not in {"production", "demo", "development", "test"}:
    raise ImproperlyConfigured(f"COMANAGED_MODE={MODE!r} is not one of production, demo, development, test")
PRODUCTION = MODE == "production"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false)")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


VAR_DIR = Path(os.environ.get("COMANAGED_VAR_DIR", BASE_DIR / "var"))
KEYS_DIR = Path(os.environ.get("COMANAGED_KEYS_DIR", VAR_DIR / "keys"))


def _local_secret_key() -> str:
    """A per-installation key kept in var/keys, so demo sessions survive restarts."""
    path = KEYS_DIR / "django-secret-key"
    if path.exists():
        return path.read_text().strip()
    KEYS_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production (COMANAGED_MODE=production)")
    SECRET_KEY = "test-only-not-secret" if MODE == "test" else _local_secret_key()

DEBUG = env_bool("DEBUG", MODE in {"demo", "development"})
LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else [*LOCAL_HOSTS, "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "comanaged.core",  # first, so its admin/base_site.html overrides the admin's own
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "comanaged.tenancy",
    "comanaged.webhooks",
    "comanaged.agreements",
    "comanaged.sla",
    "comanaged.tickets",
    "comanaged.kb",
    "comanaged.api",
    "comanaged.demo",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "comanaged.console",
    "comanaged.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "comanaged.core.middleware.RequestSizeLimitMiddleware",
    "comanaged.core.middleware.NullCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "comanaged.tenancy.middleware.StaffMfaRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "comanaged.core.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "comanaged.urls"
WSGI_APPLICATION = "comanaged.wsgi.application"
ASGI_APPLICATION = "comanaged.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "comanaged.tenancy.context_processors.provider",
            ],
        },
    },
]

# --- Database: SQLite (WAL) under var/ by default, PostgreSQL when DATABASE_URL is set.
DEFAULT_SQLITE = VAR_DIR / "comanaged.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DEFAULT_SQLITE}",
        conn_max_age=0 if MODE == "test" else 60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue on busy_timeout instead of failing mid-transaction.
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;PRAGMA busy_timeout=10000;"
            # Keep the planner's statistics fresh (SQLite's advice for short-lived connections):
            # without them it picks the wrong index for the desk queue at scale.
            "PRAGMA analysis_limit=400;PRAGMA optimize=0x10002"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 10,
    }
    if MODE != "test":
        DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
    else:
        # Tests use a file, not Django's shared-cache in-memory database: there, two connections
        # (the worker and its heartbeat thread) get "table is locked" at once instead of waiting
        # on busy_timeout as they do in production. One directory per checkout and test run: two
        # runs at once must not share files; the run's xdist workers and the subprocesses its
        # tests start inherit the run id through the environment.
        _run = os.environ.setdefault("COMANAGED_TEST_RUN", f"{os.getpid()}")
        _checkout = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8]
        _tests_dir = Path(tempfile.gettempdir()) / f"comanaged-tests-{_checkout}" / _run
        _tests_dir.mkdir(parents=True, exist_ok=True)
        DATABASES["default"]["TEST"] = {"NAME": str(_tests_dir / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Identity
AUTH_USER_MODEL = "tenancy.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if MODE == "test":
    # Hashing cost is not what the tests measure; argon2 stays the production default.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out log-ins
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# --- Sign-in (django-allauth): e-mail + password, TOTP MFA with recovery codes, no self sign-up
# (people are added by the provider), password reset by e-mail.
ACCOUNT_ADAPTER = "comanaged.core.accounts.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_PREVENT_ENUMERATION = True
# axes (below) is the lock-out authority; allauth's own limiter stays as a looser backstop.
ACCOUNT_RATE_LIMITS = {"login_failed": "30/m/ip,10/5m/key", "reset_password": "20/m/ip,5/m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "comanaged"
MFA_TOTP_TOLERANCE = 1  # accept one 30-second step of clock drift either way (RFC 6238 §5.2)
# Staff must enrol in MFA before anything else (a provider may turn this off in tests only).
COMANAGED_STAFF_MFA_REQUIRED = env_bool("COMANAGED_STAFF_MFA_REQUIRED", True)

# --- Lock-out after repeated failures (django-axes): per account and address.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "comanaged.core.accounts.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/locked_out.html"
AXES_VERBOSE = False

# Request bodies above 1 MiB are refused (413 in the API) before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- Uploaded files (attachments): kept outside the web root under var/files, content-addressed;
# see comanaged/core/files.py for the size and type limits and the headers they are served with.
FILES_DIR = Path(os.environ.get("COMANAGED_FILES_DIR", VAR_DIR / "files"))
# Credential reveals per user and window (kb.vault): enough for a working session, too few to
# walk the vault with a stolen session.
KB_REVEAL_LIMIT = int(os.environ.get("COMANAGED_KB_REVEAL_LIMIT", 30))
KB_REVEAL_WINDOW_SECONDS = int(os.environ.get("COMANAGED_KB_REVEAL_WINDOW_SECONDS", 600))
ATTACHMENT_MAX_BYTES = int(os.environ.get("COMANAGED_ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# A whole request (several files and the form around them) is refused above this, unread.
MAX_REQUEST_BYTES = 4 * ATTACHMENT_MAX_BYTES + 1024 * 1024

# --- Outgoing webhooks (comanaged/webhooks): networks a webhook URL may resolve to even though
# they are loopback/private/link-local (comma-separated CIDRs; empty = none, the safe default).
WEBHOOK_ALLOWED_NETWORKS = [
    n.strip() for n in os.environ.get("COMANAGED_WEBHOOK_ALLOWED_NETWORKS", "").split(",") if n.strip()
]

# --- Security: safe by default; production adds TLS-only cookies and HSTS.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_HTTPONLY = True  # pages put the token in hx-headers; no script reads the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- I18N / time: store UTC; client time zones are walked by the calendar code.
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Cache: shared by the processes of one host (MFA code replay, rate limits).
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        if MODE == "test"
        else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}
    )
}

# --- Static files
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from finders, but wants the folder
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Secrets at rest (see comanaged/core/crypto.py): keys from the environment, else a key
# file outside the database.
SECRETS_KEY_FILE = Path(os.environ.get("COMANAGED_SECRETS_KEY_FILE", KEYS_DIR / "secrets.keys"))

# --- Background work: Django's tasks API (django-tasks backport) on the database queue, so the
# embedded SQLite mode needs no broker and PostgreSQL workers on many hosts share one queue.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "email", "webhooks"],
    }
}
WORKER_HEARTBEAT_SECONDS = 15
WORKER_STALE_AFTER_SECONDS = 60

# --- E-mail out, through tasks: EMAIL_URL (smtp://user:pass@host:587/?tls=True, console:, …).
_email = dj_email_url.parse(os.environ.get("EMAIL_URL", "smtp://localhost:25" if PRODUCTION else "console:"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = 20
# Absolute links in e-mails (the portal address people open from their inbox).
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "comanaged <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
