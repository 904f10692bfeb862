"""Sourcewise settings: one module, configured only through environment variables.

With nothing set, everything runs embedded (SQLite, a filesystem Celery broker, e-mail to the
console, files under ./var). Production sets DEBUG=False, which switches the hardening on.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("SOURCEWISE_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()


def _process_name() -> str:
    """What this process is, as PostgreSQL's application_name: 'sourcewise web', 'sourcewise
    manage.py shell', 'sourcewise celery worker'…"""
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else []
    if not argv:
        return "sourcewise"
    program = argv[0]
    if program == "manage.py":
        what = " ".join(argv[:2])
    elif "celery" in argv or program == "celery":
        what = "celery " + next((a for a in argv if a in ("worker", "beat")), "")
    elif "gunicorn" in program or "gunicorn" in argv:
        what = "web"
    elif "pytest" in program or "xdist" in program:
        what = "tests"
    else:
        what = program
    return f"sourcewise {what}".strip()[:63]


for _folder in ("", "broker", "cache", "media"):
    (VAR_DIR / _folder).mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
# Local runs get a throwaway key; production (DEBUG=False) must provide one.
SECRET_KEY = env.str("SECRET_KEY") if not DEBUG else env.str("SECRET_KEY", default="local-only-insecure-key")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if not DEBUG else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "core.apps.SourcewiseAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "pgtrigger",
    "pghistory",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_celery_results",
    "core",
    "providers",
    "engagements",
    "assessments",
]

MIDDLEWARE = [
    # First: every line logged while answering carries the request id; every answer is counted.
    "core.observability.RequestIdMiddleware",
    "core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.middleware.RejectNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "core.middleware.IdleSessionTimeoutMiddleware",
    "core.audit.AuditContextMiddleware",
    # Last, as django-axes asks: it turns a lock-out into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = env.str("ROOT_URLCONF", default="config.urls")  # bench/ serves extra raw views
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'sourcewise.sqlite3'}")}
# The owner role that migrates (DATABASE_URL is then the application's restricted role): see
# core/db_roles.py and the README's "Database roles".
DATABASE_OWNER_URL = env.str("DATABASE_OWNER_URL", default="")
DATABASE_APP_USER = DATABASES["default"].get("USER", "")  # the role the application connects as
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with psycopg's C parser for timestamps (see core/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "core.postgresql"
    # Audit events name the process a change came from (core/db_roles.py), outside requests too.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("application_name", _process_name())
    # psycopg 3's pool keeps connections warm; it replaces persistent connections (CONN_MAX_AGE).
    if env.bool("DATABASE_POOL", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=10),
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # Web, worker and beat share one SQLite file: WAL and immediate transactions avoid lock errors.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="sourcewise"),
        }
    }
else:
    # A file cache is shared by the web and worker processes of one machine, unlike locmem.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery -----------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
else:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
    _queue_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="django-db")
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = env.float("CELERY_TASK_SOFT_TIME_LIMIT", default=240) or None  # 0: none
# PDF reports (assessments.tasks.generate_report): the job stops itself at the soft limit and is
# killed at the hard one; either way it is tried again, up to three attempts, then failed. The
# soft limit must be below the hard one (Celery arms the hard limit only once the soft one fired).
REPORT_SOFT_TIME_LIMIT = env.float("REPORT_SOFT_TIME_LIMIT", default=120)
REPORT_TIME_LIMIT = env.float("REPORT_TIME_LIMIT", default=150)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if REDIS_URL:
    # acks_late: an unacknowledged task is redelivered after this long, so it must exceed the
    # longest task (the hard time limit) with room to spare. Short socket timeouts let a save
    # fall back to the outbox quickly when Redis is down.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT * 4),
        # How often a worker looks for messages a dead worker left unacknowledged.
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
        "socket_connect_timeout": env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=1.0),
        "socket_timeout": 5,
        # A publish tries once and raises at once when Redis is down (kombu otherwise retries for
        # seconds inside the caller): the outbox keeps the message and the relay sends it later.
        # Beat's own publishes keep their retry policy; workers reconnect on their own terms.
        "max_retries": 0,
    }

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
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
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out logins before checking passwords
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=int(timedelta(days=3).total_seconds()))

# Lock-out after repeated failed logins (admin, portal): django-axes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "portal/locked_out.html"
AXES_VERBOSE = False
# Trusted reverse proxies in front (load balancer, ingress): the client address for lock-outs and
# the security log is read from X-Forwarded-For accordingly (core/client_ip.py).
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"
# Password spraying: failed sign-ins from one address across any user names, in one cool-off.
ADDRESS_FAILURE_LIMIT = env.int("ADDRESS_FAILURE_LIMIT", default=20)
ADDRESS_COOLOFF = timedelta(minutes=env.int("ADDRESS_COOLOFF_MINUTES", default=30))

# Two-factor authentication (TOTP, django-otp).
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Sourcewise")
PORTAL_REQUIRE_2FA = env.bool("PORTAL_REQUIRE_2FA", default=False)
ADMIN_REQUIRE_2FA = env.bool("ADMIN_REQUIRE_2FA", default=True)  # staff: password and TOTP code
# A first authenticator is set up only through a one-time link (core/enrolment.py), valid this long.
ENROLMENT_LINK_HOURS = env.int("ENROLMENT_LINK_HOURS", default=24)

# --- I18N, files ------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour: a scheme-less URL means https

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Reports are private: there is deliberately no MEDIA_URL route; downloads go through views.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- E-mail -----------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Sourcewise <no-reply@sourcewise.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=int(timedelta(hours=8).total_seconds()))
# A signed-in session also ends after this long without a request (admin, portal, API session).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_MINUTES", default=30) * 60
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts only from our own static files, never inline.
# Inline styles stay allowed: the admin and the API docs set style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- REST framework ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.auth.ApiKeyAuthentication",
        "core.api.auth.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["core.api.lean.ORJSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.FilterBackend",
        "core.api.search.FullTextSearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StableCursorPagination",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"principal": env.str("API_RATE_LIMIT", default="1200/minute")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=256 * 1024)
# Writes through the API must say why (X-Change-Reason header), as admin edits of regulated records do.
API_REQUIRE_CHANGE_REASON = env.bool("API_REQUIRE_CHANGE_REASON", default=False)
API_KEY_FAILURE_LIMIT = env.int("API_KEY_FAILURE_LIMIT", default=10)  # bad keys from one address…
API_KEY_COOLOFF = timedelta(minutes=env.int("API_KEY_COOLOFF_MINUTES", default=15))  # …lock it out this long
SPECTACULAR_SETTINGS = {
    "TITLE": "Sourcewise API",
    "DESCRIPTION": (
        "Sponsors, engagements, providers, assessments and recommendations for clinical-trial "
        "outsourcing. Authenticate with `Authorization: Api-Key <key>`. Errors share one shape: "
        '`{"error": {"code", "message", "fields"}}`. POST accepts an `Idempotency-Key` header.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "OutsourcingModelEnum": "providers.models.OutsourcingModel",
        "WebhookEventEnum": "core.models.WebhookEvent",
        "SponsorStatusEnum": "engagements.models.SponsorStatus",
        "FollowUpStatusEnum": "engagements.models.FollowUpStatus",
        "AssessmentStatusEnum": "assessments.models.AssessmentStatus",
        "QuestionnaireStatusEnum": "assessments.models.QuestionnaireStatus",
        "DeliveryStatusEnum": "core.models.DeliveryStatus",
        "StageEnum": "engagements.models.Stage",
        "ChannelEnum": "assessments.models.Channel",
        "ReportStatusEnum": "assessments.models.ReportStatus",
    },
}

# --- Logging ----------------------------------------------------------------------------------
from core.observability import configure_structlog, json_formatter  # noqa: E402 - imports no models

configure_structlog()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "core.security_log.JSONLineFormatter"},
        "structured": json_formatter(),
    },
    # No one-time token (password reset, invitation, two-factor set-up) reaches any log line.
    "filters": {"redact": {"()": "core.security_log.RedactSecretsFilter"}},
    "handlers": {
        # JSON lines with the request or task id (core.observability); LOG_FORMAT=plain for humans.
        # No one-time token (password reset, invitation, two-factor set-up) reaches any line.
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if env.str("LOG_FORMAT", default="json") == "plain" else "structured",
            "filters": ["redact"],
        },
        "security": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's request lines go through our (redacting) handler, not Django's own.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "sourcewise.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
    },
}

WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
# Webhooks reach public addresses only (core/network.py); on-premise receivers' ranges go here.
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])

# --- Operations: health, metrics, logs (README: Operations) ----------------------------------
# /health/ is down when the oldest outbox row has waited for the broker longer than this.
HEALTH_OUTBOX_MAX_AGE = env.int("HEALTH_OUTBOX_MAX_AGE", default=300)
# /metrics answers a request with `Authorization: Bearer <METRICS_TOKEN>` or from an address in
# METRICS_ALLOWED_NETWORKS (comma-separated addresses or CIDR networks); anyone else gets a 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
if env.str("PROMETHEUS_MULTIPROC_DIR", default=""):
    # prometheus-client's multiprocess mode: each process writes its counts there (core.metrics).
    Path(env.str("PROMETHEUS_MULTIPROC_DIR")).mkdir(parents=True, exist_ok=True)

# --- Audit trail (django-pghistory: database triggers, PostgreSQL) ----------------------------
import pghistory  # noqa: E402 - the settings below are pghistory objects

PGHISTORY_DEFAULT_TRACKERS = (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
PGHISTORY_APPEND_ONLY = True  # a trigger refuses UPDATE and DELETE on every event table
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()  # who and why travel inside each event row
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)

# --- Product settings -------------------------------------------------------------------------
SOURCEWISE_BRAND = env.str("SOURCEWISE_BRAND", default="Sourcewise")
