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
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop"  # noqa: S105
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
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
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
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env("PG_NAME", "tsuen"),
            "USER": env("PG_USER", "postgres"),
            "PASSWORD": env("PG_PASSWORD", ""),
            "HOST": env("PG_HOST", "127.0.0.1"),
            "PORT": env("PG_PORT", "5432"),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            # Several test runs may share one server: each gets its own database.
            "TEST": {"NAME": env("PG_TEST_NAME", f"test_tsuen_{os.getpid()}")},
        }
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
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
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
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
MFA_ADAPTER = "tsuen.accounts.adapters.MFAAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[tsuen] "
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "tsuen"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "tsuen.accounts.lockout.username_from_attempt"
AXES_RESET_ON_SUCCESS = True
# Lock out per account, not per address: LGWAN staff of a whole ward share one NAT address, so
# an address lockout would lock the ward out. allauth's rate limits throttle per address.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"

SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
STAFF_SESSION_IDLE_SECONDS = 30 * 60  # tsuen.accounts.middleware.StaffSessionTimeoutMiddleware

# Virus scanning plugs in here: a dotted path to scan(data: bytes) -> ScanStatus value, which
# raises files.services.UploadRefused for an infected file (see files/services.py).
FILE_SCANNER = env("FILE_SCANNER", "")
# Municipal staff may connect only from their municipality's networks (StaffNetwork rows). With
# TSUEN_LGWAN_REQUIRED=1 a municipality without any range refuses its staff altogether.
LGWAN_REQUIRED = env("LGWAN_REQUIRED", "0") == "1"

# --- Mail and background tasks ---------------------------------------------------------------
MAILERS = {
    "default": {"BACKEND": env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")}
}
DEFAULT_FROM_EMAIL = env("FROM_EMAIL", "no-reply@tsuen.example.jp")
#: The public address of the site, for links in emails and calendar feeds.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

# --- Protected exports (issue 9) ---------------------------------------------------------------
# A file of personal data leaves as an AES-256 ZIP, after a re-authentication (password or
# second factor) no older than this many seconds; the ZIP is kept for EXPORT_TTL_SECONDS.
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
EXPORT_TTL_SECONDS = 600
