"""Django settings for tsuen.

Everything that differs between a laptop, CI and production comes from environment variables
prefixed ``TSUEN_``. The defaults give the embedded SQLite database and a development secret so
that a newcomer needs nothing else; production must set every secret explicitly.
"""

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent  # src/tsuen
REPO_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("TSUEN_VAR_DIR", REPO_DIR / "var"))


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"TSUEN_{name}", default)


DEBUG = env("DEBUG", "0") == "1"
# Public on purpose (bandit B105, ruff S105): the development key, refused in production.
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop"  # noqa: S105  # nosec B105
SECRET_KEY = env("SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = [h for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's passkey list loads it
    "tsuen.accounts",  # before allauth: its templates override allauth's
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "django_tasks_db",
    # tsuen bounded contexts
    "tsuen.core",
    "tsuen.municipalities",
    "tsuen.families",
    "tsuen.certification",
    "tsuen.facilities",
    "tsuen.booking",
    "tsuen.attendance",
    "tsuen.billing",
    "tsuen.authz",
    "tsuen.audit",
    "tsuen.privacy",
    "tsuen.files",
    "tsuen.notices",
    "tsuen.portals",
    "tsuen.reports",
    "tsuen.national",
    "tsuen.exports",  # protected exports (issue 9)
    "tsuen.backups",  # backups, restore and the drill (issue 12)
    "tsuen.consent",  # purpose notice, consent and disclosure (issue 12)
    "tsuen.incident",  # emergency switches and the blast-radius query (issue 12)
    "tsuen.retention",  # retention schedule, legal holds, purge and deletion report (issue 12)
    "tsuen.monitoring",  # anomaly rules over the audit log (issue 12 item 4)
    "tsuen.opsreport",  # the monthly operations report (issue 12 item 5)
    "tsuen.exchange",  # exchange files: certifications export and import (issue 13)
    "tsuen.webhooks",  # signed webhooks for facility and ward systems (issue 13)
    "tsuen.api",  # the API for facility and ward systems, API clients (issue 13)
    "tsuen.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "axes.middleware.AxesMiddleware",
    "tsuen.accounts.middleware.StaffSessionTimeoutMiddleware",
    "tsuen.core.middleware.RequestContextMiddleware",
    "tsuen.incident.guard.EmergencySwitchMiddleware",
    "tsuen.municipalities.lgwan.StaffNetworkMiddleware",
    "tsuen.accounts.middleware.StaffSecondFactorMiddleware",
]

ROOT_URLCONF = "tsuen.urls"
WSGI_APPLICATION = "tsuen.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {% url %} with its answers remembered (the same tag and URLs as Django's).
            "builtins": ["tsuen.core.templatetags.links"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "tsuen.incident.context.emergency",
            ],
        },
    }
]

# --- Databases -----------------------------------------------------------------------------
# TSUEN_DB=sqlite (default, embedded) or TSUEN_DB=postgresql.
SQLITE_OPTIONS = {
    # Writers queue (immediate transactions, 20 s) instead of failing with "database is
    # locked"; WAL lets readers go on while one writer writes.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DB_VENDOR = env("DB", "sqlite")
if DB_VENDOR == "postgresql":
    DATABASES = {
        "default": {
            # Django's backend with a health check that needs no round trip while the socket is
            # quiet (tsuen.core.postgresql; CONN_HEALTH_CHECKS below).
            "ENGINE": "tsuen.core.postgresql",
            "NAME": env("PG_NAME", "tsuen"),
            "USER": env("PG_USER", "postgres"),
            "PASSWORD": env("PG_PASSWORD", ""),
            "HOST": env("PG_HOST", "127.0.0.1"),
            "PORT": env("PG_PORT", "5432"),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            # The hot path's compiled reads (tsuen.core.compiled) run as prepared statements:
            # parsed and planned once per connection. Only they are: Django's other statements
            # bind on the client and are never prepared. TSUEN_PG_PREPARED=0 turns it off for a
            # connection pooler in transaction mode that cannot keep them (docs/deploy.md).
            "OPTIONS": {"prepare_threshold": 5 if env("PG_PREPARED", "1") == "1" else None},
            # Several test runs may share one server: each gets its own database.
            "TEST": {"NAME": env("PG_TEST_NAME", f"test_tsuen_{os.getpid()}")},
        }
    }
else:
    # The database lives here: this user's only (see files/at_rest.py), older checkouts too.
    VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    if VAR_DIR.stat().st_mode & 0o077 and VAR_DIR.stat().st_uid == os.getuid():
        VAR_DIR.chmod(0o700)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(VAR_DIR / "tsuen.sqlite3")),
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # allauth's e-mail backend (a ModelBackend), refusing municipal staff outside their staff
    # networks at the password step; the only backend that checks passwords.
    "tsuen.accounts.backends.StaffNetworkBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "portals:home"
LOGIN_URL = "account_login"

ACCOUNT_ADAPTER = "tsuen.accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "tsuen.accounts.forms.SignupForm"}
MFA_ADAPTER = "tsuen.accounts.adapters.MFAAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
#: The service's name where no ward brands it (sign-up and password emails); a ward's own name
#: is ``Municipality.service_label``.
SERVICE_NAME = env("SERVICE_NAME", "こども誰でも通園")
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"【{SERVICE_NAME}】"
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "tsuen"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
# Lock out per account, or per (account, client address) where a stranger could otherwise lock
# a staff member out from the internet: the rule is tsuen.accounts.lockout. Never per client
# address alone: LGWAN staff of a whole ward share one NAT address. allauth's rate limits
# throttle per client address.
AXES_LOCKOUT_PARAMETERS = "tsuen.accounts.lockout.lockout_parameters"
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "tsuen.accounts.lockout.username_from_attempt"
AXES_RESET_ON_SUCCESS = True
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"

SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Where sessions live: see "Rate limits and the shared cache" below (Redis when TSUEN_REDIS_URL).
STAFF_SESSION_IDLE_SECONDS = 30 * 60  # tsuen.accounts.middleware.StaffSessionTimeoutMiddleware


# --- Uploaded files: virus scanning and files at rest (issue 9) --------------------------------
# Every upload is scanned by ClamAV's clamd over INSTREAM before it is stored (files/clamav.py);
# no verdict (daemon down, timeout, error) refuses the upload. TSUEN_CLAMD_SOCKET is clamd's
# unix socket path ("/run/clamav/clamd.ctl") or "host:port"; outside DEBUG tsuen refuses to
# start without it (files/checks.py). bin/clamd runs the project's own clamd for tests and demo.
CLAMD_SOCKET = env("CLAMD_SOCKET", "")
CLAMD_TIMEOUT = float(env("CLAMD_TIMEOUT", "30"))  # seconds for one whole scan
# Uploaded files are stored encrypted in the database (files.StoredFileBlob), not on disk. What
# Django still writes through a storage (collected static files) is this user's alone.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- Mail and background tasks ---------------------------------------------------------------
# A development server appends every email (web server's and worker's alike) to one readable
# file, var/mail.log (tsuen.core.mail); production sets TSUEN_EMAIL_BACKEND to a real one.
DEV_MAIL_FILE = VAR_DIR / "mail.log"
_DEFAULT_MAIL_BACKEND = (
    "tsuen.core.mail.DevMailBackend" if DEBUG else "django.core.mail.backends.console.EmailBackend"
)
MAILERS = {"default": {"BACKEND": env("EMAIL_BACKEND", _DEFAULT_MAIL_BACKEND)}}
if MAILERS["default"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    # The ward's mail relay: TSUEN_EMAIL_HOST must be among TSUEN_RESIDENCY_HOSTS (below).
    MAILERS["default"]["OPTIONS"] = {
        "host": env("EMAIL_HOST", "localhost"),
        "port": int(env("EMAIL_PORT", "0")) or None,  # None: 25, or 587 with STARTTLS
        "username": env("EMAIL_USER") or None,
        "password": env("EMAIL_PASSWORD") or None,
        "use_tls": env("EMAIL_STARTTLS", "0") == "1",
        "timeout": 30,
    }
DEFAULT_FROM_EMAIL = env("FROM_EMAIL", "no-reply@tsuen.example.jp")
#: The public address of the site, for links in emails and calendar feeds.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The queue is a table of the same database: a notice's task is written in the transaction of
# the change it tells of (notices.services._queue), so a queue elsewhere would send too early.
# django_tasks_db's backend, its row written by a statement kept per process (core/tasks.py).
TASKS = {"default": {"BACKEND": "tsuen.core.tasks.TaskBackend"}}

# --- Webhooks (issue 13) ---------------------------------------------------------------------
# Never from the environment: only the test suite turns it on (tests/settings.py) to let
# webhooks reach http://127.0.0.1; production sends to public https URLs only (docs/webhooks.md).
WEBHOOK_ALLOW_LOOPBACK = False

# --- Health check (issue 12) -----------------------------------------------------------------
# /healthz reports "tasks" when at least HEALTH_LATE_TASKS ready tasks have waited longer than
# HEALTH_TASK_MINUTES (the worker is down or cannot keep up); clamd gets HEALTH_SCANNER_TIMEOUT
# seconds to answer PING. See tsuen.core.health and docs/deploy.md, Health check.
HEALTH_TASK_MINUTES = int(env("HEALTH_TASK_MINUTES", "10"))
HEALTH_LATE_TASKS = int(env("HEALTH_LATE_TASKS", "1"))
HEALTH_SCANNER_TIMEOUT = 2.0

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    # No tsuen code writes here any more: uploads are in the database (files.StoredFileBlob).
    # Files uploaded before that were moved from VAR_DIR/private by files' migration 0003.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "private"},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Security headers ------------------------------------------------------------------------
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
HTTPS = env("HTTPS", "0") == "1"
if HTTPS:
    SECURE_SSL_REDIRECT = True
    # The proxy's health checks may reach an app server over plain HTTP (core/health.py).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^healthz/app$"]
    SECURE_HSTS_SECONDS = 63072000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Field encryption ------------------------------------------------------------------------
# TSUEN_FIELD_KEYS: "version:base64key,version:base64key"; the highest version encrypts,
# every listed version decrypts. The development default is a fixed, public key.
DEV_FIELD_ENCRYPTION_KEYS = "1:ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE="
FIELD_ENCRYPTION_KEYS = env("FIELD_KEYS", DEV_FIELD_ENCRYPTION_KEYS)
# TSUEN_BACKUP_KEY: base64 of 32 random bytes, a key of its own (never a field key). Needed only
# where backups are made or restored; the backup commands refuse to run without it outside
# DEBUG (tsuen.backups.keys, docs/backups.md).
BACKUP_KEY = env("BACKUP_KEY")

# --- The audit chain's key (council item 12) ----------------------------------------------------
# TSUEN_AUDIT_KEYS: "version:base64key,..." as the field keys, but a separate secret, kept
# outside the database: the sequencer seals each event with an HMAC under the highest version,
# so that nobody holding only the database can rewrite the chain from a point and make it verify
# again. Needed where the sequencer runs and where the chain is verified (the daily command, the
# audit log page); appending needs no key. Every listed version verifies the events sealed under
# it: rotate by adding a version, never by removing one (docs/audit.md). Without it, outside
# DEBUG, sealing refuses to run and verification reports the chain as unverifiable.
DEV_AUDIT_KEYS = "1:MB9/Ad3B8xj8KO8AW5Ko3Hf+TNiw6RLk/mjIi8yJuNU="
AUDIT_KEYS = env("AUDIT_KEYS", DEV_AUDIT_KEYS if DEBUG else "")

# --- Rate limits and the shared cache (issue 9) ------------------------------------------------
# Rate-limit counters (tsuen's, tsuen.core.ratelimit, and allauth's) live in the default cache,
# which every app server must share. PostgreSQL deployments use Redis (TSUEN_REDIS_URL, default
# the local server; point every app server at the same one, e.g. rediss://:password@host:6379/0);
# the embedded SQLite default keeps them in its own database (table tsuen_cache, made by a
# migration). TSUEN_REDIS_URL moves a SQLite install onto Redis too.
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0" if DB_VENDOR == "postgresql" else "")
CACHE_TABLE = "tsuen_cache"
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, with one client per pool (tsuen.core.cache).
            "BACKEND": "tsuen.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_PREFIX", "tsuen"),
            # A Redis that does not answer fails the request in seconds instead of hanging it.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_TABLE,
            "KEY_PREFIX": env("CACHE_PREFIX", "tsuen"),
            # The default (300 entries) would cull live counters on a busy day.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
# Sessions live beside the counters. With Redis (every PostgreSQL deployment), in Redis: no
# database read or write for them on the request path, and every app server sees the same ones;
# tsuen.core.sessions fails closed (Redis unreachable: the request fails, never goes on without
# its session). The embedded SQLite default keeps them in its own database (run
# `manage.py clearsessions` daily there). Signed cookies were rejected: docs/deploy.md, Sessions.
if REDIS_URL:
    SESSION_ENGINE = "tsuen.core.sessions"
    SESSION_CACHE_ALIAS = "default"
else:
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
#: tsuen's own limits (tsuen.core.ratelimit), written like allauth's: "count/window/key", where
#: the window is s, m, h or d (optionally with a number: "10m") and the key is "user" (the
#: signed-in account), "ip" (the client address) or a value the route names (a feed's token,
#: an e-mail address). Each counts in fixed clock windows (a day starts at midnight in Tokyo).
#: Why each value: docs/accounts.md, "Rate limits".
RATE_LIMITS = {
    # A parent books one visit (or siblings together) per confirm; a month of regular use for
    # two children is about 45 confirms.
    "booking": "60/h/user,200/d/user",
    # An application is submitted once; a few more tries to fix what the ward's checks refuse.
    "application_submit": "10/h/user,30/d/user",
    # First interviews at several facilities for each child.
    "interview_request": "20/h/user,50/d/user",
    # The address fill of the application form; mobile carriers share addresses (CGNAT).
    "postal_lookup": "60/m/ip,600/h/ip",
    # Calendar apps poll every few minutes per device; hosted ones (e.g. Google) fetch every
    # family's feed from a few shared addresses.
    "calendar_feed": "60/h/token,1200/h/ip",
    # Sign-up mails the address each time (a confirmation or "you already have an account"):
    # per address, so that nobody's mailbox can be flooded. Per client address: allauth below.
    "signup": "5/h/email",
    # QR check-in confirmations (issue 13): two children in and out a day, a few retries.
    "qr_check_in": "30/h/user,100/d/user",
    # The open-data files (issue 13): each download reads the whole published register.
    "open_data": "120/h/ip",
    # Issue 13: each API client (a facility's or a ward's system), and the public operations
    # per client address (docs/api.md, Rate limits).
    "api_client": "300/m/client,50000/d/client",
    "api_public": "60/m/ip,2000/d/ip",
}
# ACCOUNT_FORMS["signup"] (above) also limits sign-up per e-mail address (RATE_LIMITS["signup"]).
# allauth's own limits on its pages, counted in the same cache (see docs/accounts.md); its
# "login_failed" entry stays with the lockout settings above. (Limits, not passwords: B105.)
ACCOUNT_RATE_LIMITS = {
    **ACCOUNT_RATE_LIMITS,
    "login": "30/m/ip",
    "signup": "20/m/ip,100/h/ip",
    "reset_password": "20/m/ip,100/h/ip,5/h/key",  # nosec B105
    "reset_password_from_key": "20/m/ip",  # nosec B105
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"answered_refusals": {"()": "tsuen.core.logs.AnsweredRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
    # A 400 is a form shown again or a booking refused, with the reason on the page: not logged.
    "loggers": {"django.request": {"filters": ["answered_refusals"]}},
}

# --- Fail closed in production (issue 9) ------------------------------------------------------
# Outside DEBUG this module refuses to load without the operator's own secrets: importing it
# raises ImproperlyConfigured, so gunicorn (any WSGI server) and every manage.py command stop at
# start-up with a message that names the variable and never shows a value. The development
# defaults above are public (they are in this repository) and are accepted only with DEBUG on.
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

KEYS_HELP = "see README.md, Configuration"


def require_own_secret(variable: str, value: str, public_default: str) -> None:
    """Stop start-up when ``variable`` is unset or holds the public development value."""
    if not value.strip():
        raise ImproperlyConfigured(f"{variable} is not set; production needs its own ({KEYS_HELP})")
    if value.strip() == public_default:
        raise ImproperlyConfigured(
            f"{variable} is the public development value from settings.py; production needs "
            f"its own ({KEYS_HELP})"
        )


if not DEBUG:
    require_own_secret("TSUEN_SECRET_KEY", env("SECRET_KEY"), DEV_SECRET_KEY)
    require_own_secret("TSUEN_FIELD_KEYS", env("FIELD_KEYS"), DEV_FIELD_ENCRYPTION_KEYS)

# Municipal staff may connect only from their municipality's networks (StaffNetwork rows), and a
# municipality without any range refuses its staff altogether. Only a development server
# (TSUEN_DEBUG=1) may switch this off with TSUEN_LGWAN_REQUIRED=0; the demo instead gives its
# wards this machine's loopback ranges.
_lgwan_required = env("LGWAN_REQUIRED", "1").strip()
if _lgwan_required not in ("0", "1"):
    raise ImproperlyConfigured("TSUEN_LGWAN_REQUIRED must be 1 (the default) or 0.")
if _lgwan_required == "0" and not DEBUG:
    raise ImproperlyConfigured(
        "TSUEN_LGWAN_REQUIRED=0 is allowed only with TSUEN_DEBUG=1: in production every "
        "municipality's staff are bound to its staff network ranges."
    )
LGWAN_REQUIRED = _lgwan_required == "1"


def parse_trusted_proxies(variable: str, value: str) -> list[str]:
    """``"10.0.0.5, 10.0.1.0/24, fd00::/64"`` -> normalised CIDR strings; a bad entry stops
    start-up (naming it: a proxy's address is not a secret)."""
    import ipaddress

    networks = []
    for entry in value.replace(",", " ").split():
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{variable}: {entry[:60]!r} is not an IP address or CIDR range."
            ) from None
    return networks


# The reverse proxies in front of tsuen (addresses or CIDR ranges, comma- or space-separated).
# A request whose REMOTE_ADDR is one of them is attributed to the right-most X-Forwarded-For
# entry that is not itself a trusted proxy; any other request to REMOTE_ADDR, whatever headers it
# carries (tsuen.core.middleware.client_address). Empty (the default): X-Forwarded-For is never
# read.
TRUSTED_PROXIES = parse_trusted_proxies("TSUEN_TRUSTED_PROXIES", env("TRUSTED_PROXIES"))
# django-axes counts failures per the same client address as everything else.
AXES_CLIENT_IP_CALLABLE = "tsuen.core.middleware.client_address"
# --- Protected exports (issue 9) ---------------------------------------------------------------
# A file of personal data leaves as an AES-256 ZIP, after a re-authentication (password or
# second factor) no older than this many seconds; the ZIP is kept for EXPORT_TTL_SECONDS.
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
EXPORT_TTL_SECONDS = 600

# --- Residency and outbound connections (issue 12; council items 15 and 6) ---------------------
# The hosts (in Japan) that tsuen's database, Redis, virus scanner and mail relay may be on: host
# names, *.wildcard names, IP addresses or CIDR ranges, comma- or space-separated. Checked at
# start-up against every configured endpoint, and the only hosts a tsuen process may open a
# connection to (tsuen.core.residency, tsuen.core.egress; docs/deploy.md). Required outside DEBUG;
# a development server defaults to this machine's loopback.
RESIDENCY_HOSTS = env("RESIDENCY_HOSTS", "localhost,127.0.0.0/8,::1" if DEBUG else "")
