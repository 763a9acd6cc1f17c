"""Settings shared by every environment; values come from environment variables."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("EGOV_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-insecure-secret-key-change-me")
# Earlier keys, comma-separated, while rotating: sessions and event-log checkpoints they signed
# still verify.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# A form refused for its CSRF token gets the Vietnamese page (JSON under /api/), not Django's.
CSRF_FAILURE_VIEW = "egov.core.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "huey.contrib.djhuey",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "egov.core",
    "egov.events",
    "egov.org",
    "egov.accounts",
    "egov.workcalendar",
    "egov.catalog",
    "egov.dossiers",
    "egov.onestop",
    "egov.stats",
    "egov.signing",
    "egov.documents",
    "egov.exchange",
    "egov.meetings",
    "egov.payments",
    "egov.identity",
    "egov.webhooks",
    "egov.national",
    "egov.sharing",
    "egov.portal",
    "egov.web",
    "egov.demo",
    "egov.bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "egov.core.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "egov.accounts.middleware.SlidingSessionMiddleware",
    "egov.core.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "egov.core.middleware.UnicodeNormalizationMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "egov.accounts.middleware.OfficialSecondFactorMiddleware",
]

ROOT_URLCONF = "egov.urls"
WSGI_APPLICATION = "egov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "egov" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "egov.web.context_processors.platform",
                "egov.web.context_processors.navigation",
            ],
        },
    },
]

# SQLite is the embedded default so the run command needs nothing else.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'egov.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # No JIT: the platform's queries are short, and PostgreSQL compiles any query its planner
    # costs high, such as a capped count over an EXISTS: 127 ms of compiling to run 0.13 ms
    # (the work-queue page's tab counts at 10 M dossiers, issue #19). Behind PgBouncer, which
    # drops connection options, the server's own configuration says it (docs/deployment.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# Behind PgBouncer in transaction mode (docs/deployment.md) consecutive transactions may run on
# different server connections: no server-side cursors (they live across transactions) and no
# prepared statements (psycopg's prepare_threshold; PgBouncer before 1.21 cannot follow them).
DATABASE_POOL_MODE = os.environ.get("DATABASE_POOL_MODE", "session")
if DATABASE_POOL_MODE == "transaction" and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None

# A streaming replica for the read-only pages and APIs that tolerate a little lag (views marked
# `replica_ok`; egov/core/dbrouting.py, docs/architecture.md "Read routing"). Unset: every read
# goes to DATABASE_URL, as before. Reads follow the client's own writes (sticky to the primary for
# DB_REPLICA_STICKY_SECONDS), and go to the primary while the replica is down or lags more than
# DB_REPLICA_MAX_LAG_SECONDS; the lag is probed at most every DB_REPLICA_CHECK_SECONDS (every
# DB_REPLICA_RETRY_SECONDS while down), connecting for at most DB_REPLICA_CONNECT_TIMEOUT.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
DB_REPLICA_STICKY_SECONDS = int(os.environ.get("DB_REPLICA_STICKY_SECONDS", "5"))
DB_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("DB_REPLICA_MAX_LAG_SECONDS", "5"))
DB_REPLICA_CHECK_SECONDS = float(os.environ.get("DB_REPLICA_CHECK_SECONDS", "1"))
DB_REPLICA_RETRY_SECONDS = float(os.environ.get("DB_REPLICA_RETRY_SECONDS", "5"))
DB_REPLICA_CONNECT_TIMEOUT = int(os.environ.get("DB_REPLICA_CONNECT_TIMEOUT", "2"))
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL.")
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    # The default's options, and a short connect timeout: a dead replica costs one short wait.
    DATABASES["replica"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "connect_timeout": DB_REPLICA_CONNECT_TIMEOUT,
    }
    DATABASE_ROUTERS = ["egov.core.dbrouting.ReplicaRouter"]
    # Last: it runs the marked views itself, after every other middleware's process_view.
    MIDDLEWARE.append("egov.core.dbrouting.ReadRoutingMiddleware")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

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
AUTHENTICATION_BACKENDS = [
    # Django's and allauth's, reading the signed-in user in one prepared statement.
    "egov.accounts.backends.ModelBackend",
    "egov.accounts.backends.AuthenticationBackend",
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
FORMAT_MODULE_PATH = ["egov.formats"]
LOCALE_PATHS = [BASE_DIR / "egov" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True  # stored in UTC, shown in Asia/Ho_Chi_Minh

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "egov" / "static"]
# Charts (Apache ECharts from the npm registry, installed by `npm ci` in scripts/setup).
if (BASE_DIR / "node_modules" / "echarts" / "dist").is_dir():
    STATICFILES_DIRS += [
        ("echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
        ("echarts/i18n", BASE_DIR / "node_modules" / "echarts" / "i18n"),
    ]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The sum of the files of one request (multipart bodies above it get a 413 before being read);
# the reverse proxy's client_max_body_size must be at least this (docs/deployment.md).
UPLOAD_MAX_REQUEST_BYTES = int(os.environ.get("UPLOAD_MAX_REQUEST_BYTES", str(50 * 1024 * 1024)))
# One file: a citizen's paper, and an official document's file or attachment.
DOSSIER_MAX_UPLOAD_BYTES = int(os.environ.get("DOSSIER_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
DOCUMENTS_MAX_UPLOAD_BYTES = int(
    os.environ.get("DOCUMENTS_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))
)
# Uploaded PDFs are read in a child process with these limits (egov/core/pdfinspect.py).
PDF_INSPECT_MEMORY_MB = int(os.environ.get("PDF_INSPECT_MEMORY_MB", "512"))
PDF_INSPECT_CPU_SECONDS = int(os.environ.get("PDF_INSPECT_CPU_SECONDS", "5"))
PDF_INSPECT_WALL_SECONDS = float(os.environ.get("PDF_INSPECT_WALL_SECONDS", "10"))

# Sessions expire; officials get a shorter idle timeout enforced in middleware.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Sliding expiry without a write per request: accounts.middleware.SlidingSessionMiddleware.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# A strict Content-Security-Policy: no inline script, everything from self.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ("'self'",),
        "script-src": ("'self'",),
        "style-src": ("'self'",),
        "img-src": ("'self'", "data:"),
        "font-src": ("'self'",),
        "connect-src": ("'self'",),
        "frame-ancestors": ("'none'",),
        "form-action": ("'self'",),
        "base-uri": ("'self'",),
        "object-src": ("'none'",),
    }
}

# Messages live in the server-side session: a one-time API token shown to an operator must
# never travel in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:after_login"
LOGOUT_REDIRECT_URL = "portal:home"

# Reverse proxies of our own in front of Django (nginx → gunicorn: 1). The client's address is
# then the N-th entry from the right of X-Forwarded-For (egov/core/clientip.py); 0 = REMOTE_ADDR.
# Rate limits and lockouts are keyed on that address: see docs/deployment.md.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# django-allauth: login by username (personal id number, tax code or official login).
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "egov.accounts.adapter.AccountAdapter"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
# Failed logins (OWASP ASVS 2.2.1; egov/accounts/lockout.py): allauth's `login_failed` rates
# count 20 failures a minute from one address across accounts, and 5 in 15 minutes from one
# address on one account (the per-key rate, keyed on the pair; for the TOTP step, on the user).
# Failures on one account from every address past LOGIN_ACCOUNT_FREE_FAILURES slow it down with
# a wait doubling from LOGIN_BACKOFF_BASE_SECONDS to LOGIN_BACKOFF_MAX_SECONDS: never a 15-minute
# lockout that anyone typing an official's login could cause.
ACCOUNT_RATE_LIMITS = {
    "login_failed": os.environ.get("LOGIN_FAILED_RATE_LIMIT", "20/m/ip,5/15m/key"),
}
# Wrong desk codes (/tai-khoan/xac-thuc-bang-ma/): per address, and per (address, id number).
# A code is never voided by wrong tries (the squatter of a number could void the holder's).
DESK_CODE_FAILED_RATE_LIMIT = os.environ.get("DESK_CODE_FAILED_RATE_LIMIT", "20/h/ip,5/15m/key")
# Wrong second-factor enrolment codes (TOTP activation of an official): per address, and per
# account from any address; 5 per 15 minutes over a code's 7 days leaves ~3e-12 to guess it.
ENROLMENT_CODE_FAILED_RATE_LIMIT = os.environ.get(
    "ENROLMENT_CODE_FAILED_RATE_LIMIT", "20/h/ip,5/15m/key"
)
LOGIN_ACCOUNT_FREE_FAILURES = int(os.environ.get("LOGIN_ACCOUNT_FREE_FAILURES", "10"))
LOGIN_ACCOUNT_WINDOW_SECONDS = int(os.environ.get("LOGIN_ACCOUNT_WINDOW_SECONDS", "900"))
LOGIN_BACKOFF_BASE_SECONDS = int(os.environ.get("LOGIN_BACKOFF_BASE_SECONDS", "2"))
LOGIN_BACKOFF_MAX_SECONDS = int(os.environ.get("LOGIN_BACKOFF_MAX_SECONDS", "60"))
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "Cổng DVC tỉnh")
MFA_ADAPTER = "egov.accounts.adapter.MFAAdapter"
# Officials enrol their authenticator with an operator's one-time code, not the password alone.
MFA_FORMS = {"activate_totp": "egov.accounts.forms.ActivateTOTPForm"}
# A code typed as its 30-second window turns, or from a phone whose clock is a few seconds off,
# is still accepted (one step either side, as RFC 6238 section 5.2 suggests); each code is still
# accepted only once.
MFA_TOTP_TOLERANCE = 1
# Officials set up TOTP right after their first password login; asking for the password a second
# time there adds nothing. Removing TOTP is refused for officials by the adapter.
MFA_REAUTHENTICATION_REQUIRED = False

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "egov_cache",
    }
}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "egov.core.rediscache.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }
    # Sessions read from Redis, written through to the database (a lost cache loses none):
    # one round trip instead of a query on every signed-in request.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Public pages cached whole for anonymous visitors (egov.core.pagecache), at most this long;
# catalogue and organisation changes drop them at once. 0 switches the page cache off.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "600"))

# The model of API clients (core.api_auth finds it by name, as Django does AUTH_USER_MODEL).
API_CLIENT_MODEL = "accounts.ApiClient"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "egov.core.api_auth.ApiClientTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # NFC for every parsed string (egov.core.text); views listing parsers import these too.
    "DEFAULT_PARSER_CLASSES": [
        "egov.core.parsers.JSONParser",
        "egov.core.parsers.FormParser",
        "egov.core.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "egov.core.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "egov.core.api_errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "egov.core.api_query.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min", "lookup": "20/min"},
    # Throttles key on the client's address behind our own proxies (egov/core/clientip.py);
    # 0 also stops DRF from keying on a client-sent X-Forwarded-For.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    # Row ids in paths (egov.core.converters.IdConverter): a positive 64-bit integer.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}},
    "TITLE": "Nền tảng Chính quyền điện tử — API",
    "DESCRIPTION": "REST API of the e-government platform. Errors use one body: "
    "`{code, message, fields}`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "egov.core.openapi.document_error_codes",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ProcedureLevelEnum": "egov.catalog.models.Level.choices",
        "ResultDeliveryEnum": "egov.dossiers.models.ResultDelivery.choices",
        "OutgoingStatusEnum": "egov.documents.models.OutgoingStatus.choices",
        "IncomingStatusEnum": "egov.documents.models.IncomingStatus.choices",
        "DossierStatusEnum": "egov.dossiers.models.Status.choices",
        "MeetingKindEnum": "egov.meetings.api.secretariat.MEETING_KINDS",
        "MeetingStatusEnum": "egov.meetings.models.MeetingStatus.choices",
        "ConsultationStatusEnum": "egov.meetings.models.ConsultationStatus.choices",
        "ConsultationResultKindEnum": "egov.meetings.models.ConsultationResultKind.choices",
    },
}

# Background work: SqliteHuey by default; SqlHuey on PostgreSQL in production.
HUEY_BACKEND = os.environ.get("HUEY_BACKEND", "sqlite")
if HUEY_BACKEND == "postgres":
    HUEY = {
        "huey_class": "egov.core.huey_backends.PostgresHuey",
        "name": "egov",
        "immediate": False,
        "database": os.environ.get("HUEY_DATABASE_URL", os.environ.get("DATABASE_URL", "")),
        "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", "4")), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "egov",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
        "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", "2")), "worker_type": "thread"},
    }

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "no-reply@dichvucong.local")
# The site's public address (https://dichvucong.example.gov.vn), for links in e-mails and SMS
# sent outside a request (the one-stop forms); unset: the links are paths only.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")

# SMS: a JSON-over-HTTP gateway (SMS_GATEWAY_URL, bearer SMS_GATEWAY_TOKEN) or an adapter class
# (SMS_GATEWAY, dotted path); see egov.events.deliverers. Unset: every SMS waits in the outbox.
SMS_GATEWAY = os.environ.get("SMS_GATEWAY", "")
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")

# Outbox delivery (egov.events.services; defaults documented in docs/deployment.md).
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "12"))
OUTBOX_BACKOFF_BASE_SECONDS = int(os.environ.get("OUTBOX_BACKOFF_BASE_SECONDS", "30"))
OUTBOX_BACKOFF_CAP_SECONDS = int(os.environ.get("OUTBOX_BACKOFF_CAP_SECONDS", str(6 * 3600)))
OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "300"))
OUTBOX_BATCH_SIZE = int(os.environ.get("OUTBOX_BATCH_SIZE", "50"))
OUTBOX_HTTP_TIMEOUT_SECONDS = int(os.environ.get("OUTBOX_HTTP_TIMEOUT_SECONDS", "10"))
OUTBOX_WEBHOOK_SIGNING_KEY = os.environ.get("OUTBOX_WEBHOOK_SIGNING_KEY", "")
# Meetings: invitations and results posted here through the outbox (egov.meetings.services.notify).
MEETINGS_WEBHOOK_URL = os.environ.get("MEETINGS_WEBHOOK_URL", "")
# Meeting materials: per file, per meeting (every version), pages of one PDF; where the page
# images are cached (holds confidential pages: never served by the web server) and at what DPI.
MEETINGS_MAX_MATERIAL_BYTES = int(os.environ.get("MEETINGS_MAX_MATERIAL_BYTES", 50 * 1024 * 1024))
MEETINGS_MAX_MEETING_MATERIALS_BYTES = int(
    os.environ.get("MEETINGS_MAX_MEETING_MATERIALS_BYTES", 500 * 1024 * 1024)
)
MEETINGS_MAX_MATERIAL_PAGES = int(os.environ.get("MEETINGS_MAX_MATERIAL_PAGES", 1000))
MEETINGS_RENDER_CACHE = os.environ.get("MEETINGS_RENDER_CACHE", str(VAR_DIR / "cache" / "meetings"))
MEETINGS_PAGE_DPI = int(os.environ.get("MEETINGS_PAGE_DPI", 100))

# Payments of fees (egov.payments). Which providers are offered (codes, comma-separated; each
# agency may narrow them); the national payment platform's address, our partner code there
# (MaDoiTac) and the partner secret (MaXacThuc's key: from the environment only, never in the
# repository); the address the platform calls back and returns the citizen to (this site's
# public origin); how long an unfinished attempt stays valid.
PAYMENT_PROVIDERS = [
    p.strip()
    for p in os.environ.get("PAYMENT_PROVIDERS", "national,vietqr,cash").split(",")
    if p.strip()
]
PAYMENT_PLATFORM_URL = os.environ.get("PAYMENT_PLATFORM_URL", "")
PAYMENT_PARTNER_CODE = os.environ.get("PAYMENT_PARTNER_CODE", "")
PAYMENT_PARTNER_SECRET = os.environ.get("PAYMENT_PARTNER_SECRET", "")
PAYMENT_PUBLIC_URL = os.environ.get("PAYMENT_PUBLIC_URL", "http://localhost:8000")
PAYMENT_ATTEMPT_MINUTES = int(os.environ.get("PAYMENT_ATTEMPT_MINUTES", "15"))
# Bank statement imports (payments.services.statements): the largest file and the most lines
# one import reads (a month of a busy collector's account fits well within both).
PAYMENT_STATEMENT_MAX_BYTES = int(
    os.environ.get("PAYMENT_STATEMENT_MAX_BYTES", str(5 * 1024 * 1024))
)
PAYMENT_STATEMENT_MAX_LINES = int(os.environ.get("PAYMENT_STATEMENT_MAX_LINES", "20000"))
# The national platform: how long a call to it may take; after how many minutes without a
# callback an open attempt is QUERYed (and how many seconds after the citizen came back to the
# return page); the largest callback body kept; callbacks accepted per minute from one address.
PAYMENT_PLATFORM_TIMEOUT_SECONDS = float(os.environ.get("PAYMENT_PLATFORM_TIMEOUT_SECONDS", "10"))
PAYMENT_QUERY_AFTER_MINUTES = float(os.environ.get("PAYMENT_QUERY_AFTER_MINUTES", "2"))
PAYMENT_RETURN_QUERY_SECONDS = int(os.environ.get("PAYMENT_RETURN_QUERY_SECONDS", "20"))
PAYMENT_CALLBACK_MAX_BYTES = int(os.environ.get("PAYMENT_CALLBACK_MAX_BYTES", "16384"))
PAYMENT_CALLBACK_RATE_LIMIT_PER_MINUTE = int(
    os.environ.get("PAYMENT_CALLBACK_RATE_LIMIT_PER_MINUTE", "3000")
)

# National public service portal sync (egov.national, issue #18): the portal's address (empty:
# nothing is sent; scripts/run points it at the local stand-in), the access token (from the
# environment only), how long one call may take (seconds) and how many process steps go in one
# call.
NATIONAL_PORTAL_URL = os.environ.get("NATIONAL_PORTAL_URL", "")
NATIONAL_PORTAL_TOKEN = os.environ.get("NATIONAL_PORTAL_TOKEN", "")
NATIONAL_PORTAL_TIMEOUT = float(os.environ.get("NATIONAL_PORTAL_TIMEOUT", "10"))
NATIONAL_PORTAL_STEP_CHUNK = int(os.environ.get("NATIONAL_PORTAL_STEP_CHUNK", "50"))

# Signed checkpoints of the event log's chain ends (egov.events.checkpoints), kept outside the
# database: one JSON line each in this file (put it on storage the database administrators cannot
# rewrite; empty: no file) and, if set, POSTed to this URL through the outbox.
EVENT_CHECKPOINT_FILE = os.environ.get(
    "EVENT_CHECKPOINT_FILE", str(VAR_DIR / "event-checkpoints.jsonl")
)
EVENT_CHECKPOINT_WEBHOOK_URL = os.environ.get("EVENT_CHECKPOINT_WEBHOOK_URL", "")
# PostgreSQL: months of the event log's partitions the worker makes ahead of the current one.
EVENT_PARTITIONS_AHEAD = int(os.environ.get("EVENT_PARTITIONS_AHEAD", "3"))
# Each checkpoint also gets an RFC 3161 timestamp token (egov.signing.timestamping) from this
# time-stamping authority (HTTP; optional basic authentication). Unset: the demo CA's TSA
# (make_demo_ca) stamps in-process if there is one, else checkpoints stay unstamped. A token may
# come at most EVENT_CHECKPOINT_TSA_TOLERANCE_SECONDS after its checkpoint (later reads as
# back-dating), so that is also how long a TSA outage can last without losing tokens.
TSA_URL = os.environ.get("TSA_URL", "")
TSA_USERNAME = os.environ.get("TSA_USERNAME", "")
TSA_PASSWORD = os.environ.get("TSA_PASSWORD", "")
TSA_TIMEOUT_SECONDS = float(os.environ.get("TSA_TIMEOUT_SECONDS", "10"))
EVENT_CHECKPOINT_TSA_TOLERANCE_SECONDS = int(
    os.environ.get("EVENT_CHECKPOINT_TSA_TOLERANCE_SECONDS", str(6 * 3600))
)

# Public dossier lookups (code + id number or phone) allowed per client address per minute.
LOOKUP_RATE_LIMIT_PER_MINUTE = int(os.environ.get("LOOKUP_RATE_LIMIT_PER_MINUTE", "10"))

# Largest edXML package accepted from another agency (the reverse proxy must allow as much).
EXCHANGE_MAX_PACKAGE_BYTES = int(
    os.environ.get("EXCHANGE_MAX_PACKAGE_BYTES", str(50 * 1024 * 1024))
)

# How packages and statuses are written for a peer (egov.exchange.edxml.Dialect: "sdk" the
# national SDK samples' shape, "bkav", "qcvn" the letter of QCVN 102:2016): the default of a
# newly declared external endpoint, and what our own agencies get from one another.
EXCHANGE_DEFAULT_DIALECT = os.environ.get("EXCHANGE_DEFAULT_DIALECT", "sdk")
EXCHANGE_LOCAL_DIALECT = os.environ.get("EXCHANGE_LOCAL_DIALECT", "sdk")
# Zip attachments between our own agencies too (peers: ExternalEndpoint.zip_attachments).
EXCHANGE_LOCAL_ZIP_ATTACHMENTS = os.environ.get("EXCHANGE_LOCAL_ZIP_ATTACHMENTS", "") == "1"

# Open items due within this many working hours are marked near due (pages, API, reminders);
# unset: one working day of the agency's calendar.
NEAR_DUE_WORKING_HOURS = (
    float(os.environ["NEAR_DUE_WORKING_HOURS"])
    if os.environ.get("NEAR_DUE_WORKING_HOURS")
    else None
)

# Province this installation serves (code from vietnam-provinces) and its name.
PROVINCE_CODE = int(os.environ.get("PROVINCE_CODE", "22"))
PLATFORM_NAME = os.environ.get("PLATFORM_NAME", "Cổng Dịch vụ công tỉnh Quảng Ninh")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint reports every rendering step at INFO: noise in the worker's and the run's log.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}

# `migrate` loads the government's announced days off and swap working days
# (egov/workcalendar/official_days.py), each date once; the operator's changes win.
WORKCALENDAR_LOAD_OFFICIAL_DAYS = os.environ.get("WORKCALENDAR_LOAD_OFFICIAL_DAYS", "1") == "1"

# Electronic identity login (egov.identity, issue #18): the national VNeID behind a standard
# OpenID Connect relying party (no public VNeID protocol specification exists). The provider's
# discovery document (its issuer must equal VNEID_ISSUER when that is set), our client id and
# secret (the secret only from the environment), the scopes asked for, the callback address
# registered with the provider (empty: this site's /dang-nhap/vneid/callback/ as requested), how
# long a call to the provider may take, and the ID token's allowed clock skew. Without a
# discovery URL and client id the "Đăng nhập bằng VNeID" button is not shown.
VNEID_DISCOVERY_URL = os.environ.get("VNEID_DISCOVERY_URL", "")
VNEID_ISSUER = os.environ.get("VNEID_ISSUER", "")
VNEID_CLIENT_ID = os.environ.get("VNEID_CLIENT_ID", "")
VNEID_CLIENT_SECRET = os.environ.get("VNEID_CLIENT_SECRET", "")
VNEID_SCOPES = os.environ.get("VNEID_SCOPES", "openid profile email phone address")
VNEID_REDIRECT_URI = os.environ.get("VNEID_REDIRECT_URI", "")
VNEID_TIMEOUT_SECONDS = float(os.environ.get("VNEID_TIMEOUT_SECONDS", "10"))
VNEID_CLOCK_SKEW_SECONDS = int(os.environ.get("VNEID_CLOCK_SKEW_SECONDS", "60"))
# Webhook subscriptions of API clients (egov.webhooks; docs/webhooks.md). Signing secrets are
# stored encrypted under WEBHOOK_SECRETS_KEY (unset: a key derived from SECRET_KEY). Targets must
# be https and public; plain http to localhost only with WEBHOOK_ALLOW_LOCALHOST (default: DEBUG),
# private addresses only with WEBHOOK_ALLOW_PRIVATE_TARGETS (a closed provincial network). The
# CloudEvent `source` is WEBHOOK_SOURCE_URL (unset: PUBLIC_BASE_URL) + "/events/<chain>".
WEBHOOK_SECRETS_KEY = os.environ.get("WEBHOOK_SECRETS_KEY", "")
WEBHOOK_ALLOW_LOCALHOST = env_bool("WEBHOOK_ALLOW_LOCALHOST", DEBUG)
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
WEBHOOK_SOURCE_URL = os.environ.get("WEBHOOK_SOURCE_URL", "")
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
WEBHOOK_ROTATION_OVERLAP_HOURS = float(os.environ.get("WEBHOOK_ROTATION_OVERLAP_HOURS", "24"))
WEBHOOK_REPLAY_MAX_EVENTS = int(os.environ.get("WEBHOOK_REPLAY_MAX_EVENTS", "1000"))
WEBHOOK_MAX_SUBSCRIPTIONS_PER_CLIENT = int(
    os.environ.get("WEBHOOK_MAX_SUBSCRIPTIONS_PER_CLIENT", "20")
)
# Data-sharing services (egov.sharing, docs/sharing.md): how far a signed request's `created`
# may be from our clock (seconds); nonces are remembered for twice this.
SHARING_SIGNATURE_WINDOW = int(os.environ.get("SHARING_SIGNATURE_WINDOW", "300"))
