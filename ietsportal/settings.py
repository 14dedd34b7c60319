"""Settings for the IETS portal.

Every setting comes from an environment variable with a working default, so that a fresh
checkout runs on the embedded default (SQLite, Celery on Kombu's filesystem transport, the
local-memory cache) and production sets DATABASE_URL, REDIS_URL, SECRET_KEY and friends.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("IETS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get(
    "SECRET_KEY", "insecure-development-key-change-me-in-production-0123456789abcdef"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_ratelimit",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ietsportal.accounts",
    "ietsportal.audit",
    "ietsportal.notifications",
    "ietsportal",
    "institutions",
    "applications",
    "certificates",
    "rubrics",
    "selection",
    "supervision",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # An anonymous lookup by number with a cached answer is replayed here, before the session,
    # user, CSRF and messages layers (issue #8; certificates/middleware.py).
    "certificates.middleware.PublicAnswerMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "ietsportal.middleware.NulInQueryMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "ietsportal.accounts.twofactor.StaffTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ietsportal.errors.DomainErrorMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ietsportal.urls"
WSGI_APPLICATION = "ietsportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ietsportal.context_processors.portal",
            ],
        },
    },
]

# Database: DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/iets; default a SQLite file.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # A persistent connection is checked before each request reuses it, so the web
        # recovers by itself after PostgreSQL restarts (tests/test_faults.py proves both ways).
        conn_health_checks=env_bool("CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE takes the write lock when a transaction starts, so two transitions on SQLite
    # are serialised just as select_for_update serialises them on PostgreSQL.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses logins for a username and address that failed too often (ASVS 2.2.1).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): after AXES_FAILURE_LIMIT failures for one username from one
# address, logins are refused with 429 for the cool-off period; `manage.py axes_reset_username
# NAME` (or the admin) unlocks at once, and a successful login resets the count.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "ietsportal.accounts.lockout.lockout_response"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# TOTP two-factor authentication (django-otp): whoever set it up must use it; with this on,
# center staff, institution admins and assessors must set it up (ASVS 2.7/2.8).
TWO_FACTOR_REQUIRED_FOR_STAFF = env_bool("TWO_FACTOR_REQUIRED_FOR_STAFF", False)
OTP_TOTP_ISSUER = "IETS"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace"
LOGOUT_REDIRECT_URL = "home"
ANONYMOUS_USER_NAME = None  # guardian: no anonymous grants

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Uploads: evidence files are checked by services, not by the request parser.
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# Cache and Celery: Redis when REDIS_URL is set, otherwise embedded stand-ins.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Redis down: a miss and a dropped write rather than a 500 (ietsportal/cache.py); rate
    # limits fail open meanwhile. Short timeouts, so no request hangs on Redis.
    CACHES = {
        "default": {
            "BACKEND": "ietsportal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    RATELIMIT_FAIL_OPEN = True
    # django-ratelimit lists only django-redis, but Django's own Redis cache increments with
    # an atomic INCR just the same.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # A file cache, shared by the web server and the embedded worker (rate limits and lookup
    # counters must be seen by both).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    # Its increments are not atomic, so on the embedded default a rate limit is approximate.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://localhost/")
    _queue = VAR_DIR / "celery-queue"
    for _folder in (_queue, VAR_DIR / "celery-processed", VAR_DIR / "celery-control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "store_processed": False,
        "control_folder": str(VAR_DIR / "celery-control"),
    }
# A broker outage must not hold a web request: publish fails fast, and the notification
# outbox (ietsportal.notifications) is swept by the scheduled jobs afterwards.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "run-due-jobs": {
        "task": "ietsportal.tasks.run_due_jobs",
        "schedule": float(os.environ.get("DUE_JOBS_INTERVAL_SECONDS", "300")),
    },
}

# E-mail (Django 6.1 MAILERS): the console in development; SMTP when EMAIL_HOST is set.
if os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": int(os.environ.get("EMAIL_PORT", "587")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "IETS <noreply@iets.example.cn>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "ietsportal.errors.api_exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "IETS portal API",
    "DESCRIPTION": "信息化工程与技术服务能力评价 — applications, certificates and public lookup.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "GradeEnum": "applications.enums.Grade",
        "ApplicationStateEnum": "applications.enums.ApplicationState",
        "EvaluationKindEnum": "applications.enums.EvaluationKind",
        "InstitutionStateEnum": "institutions.enums.InstitutionState",
        "AssessorStateEnum": "institutions.enums.AssessorState",
        "SupervisionGroundEnum": "institutions.enums.SupervisionGround",
        "ContractTypeEnum": "institutions.enums.ContractType",
        "InstitutionLevelEnum": "institutions.enums.InstitutionLevel",
        "DesignationDocumentKindEnum": "institutions.enums.DesignationDocumentKind",
        "RubricKindEnum": "rubrics.enums.RubricKind",
        "RubricStateEnum": "rubrics.enums.RubricState",
        "ObjectionStateEnum": "applications.enums.ObjectionState",
        "CertificateStatusEnum": "certificates.enums.CertificateStatus",
        "DecisionKindEnum": "certificates.enums.DecisionKind",
        "DecisionReasonEnum": "certificates.enums.DecisionReason",
        "RequestKindEnum": "certificates.enums.RequestKind",
        "RequestStateEnum": "certificates.enums.RequestState",
        "AnnualReviewStateEnum": "certificates.enums.AnnualReviewState",
        "EditionEnum": "certificates.enums.Edition",
        "SelfEvaluationStateEnum": "selection.enums.SelfEvaluationState",
        "SelectionStateEnum": "selection.enums.ProjectState",
        "CandidateStateEnum": "selection.enums.CandidateState",
        "SharingEnum": "selection.enums.Sharing",
        "OrganizationTypeEnum": "ietsportal.accounts.enums.OrganizationType",
        "CaseKindEnum": "supervision.enums.CaseKind",
        "CaseStateEnum": "supervision.enums.CaseState",
        "SubjectKindEnum": "supervision.enums.SubjectKind",
    },
}

# Content Security Policy (Django's own): no inline script or style anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Domain rules (M§14–15): in settings so that operations can see them, not so they change.
PUBLICITY_DAYS = 7
CERTIFICATE_VALIDITY_YEARS = 3
EXPERT_PANEL_SIZE = int(os.environ.get("EXPERT_PANEL_SIZE", "3"))

# Public lookups and public API endpoints: per client address, in one Redis round trip with
# the lookup's count and cached answer (certificates/lookups.py `lookup_gate`; 429 past the
# limit). django-ratelimit still limits the public forms (supervision reports) and supplies
# the address rules (RATELIMIT_IP_META_KEY, the IPv6 /64 mask) for both.
PUBLIC_LOOKUP_RATE = os.environ.get("PUBLIC_LOOKUP_RATE", "120/m")
RATELIMIT_VIEW = "certificates.lookups.too_many_requests"
RATELIMIT_IP_META_KEY = os.environ.get("RATELIMIT_IP_META_KEY") or None
# With Redis, each web process limits, counts and answers lookups in its own memory, merges the
# counts into Redis every PUBLIC_LOOKUP_LOCAL_FLUSH_SECONDS and forgets answers when any process
# publishes a change (certificates/local_gate.py); at most PUBLIC_LOOKUP_LOCAL_MB of answers.
# Off: every lookup takes its one round trip to Redis.
PUBLIC_LOOKUP_LOCAL = env_bool("PUBLIC_LOOKUP_LOCAL", True)
PUBLIC_LOOKUP_LOCAL_FLUSH_SECONDS = float(
    os.environ.get("PUBLIC_LOOKUP_LOCAL_FLUSH_SECONDS", "0.1")
)
PUBLIC_LOOKUP_LOCAL_MB = int(os.environ.get("PUBLIC_LOOKUP_LOCAL_MB", "32"))

# M§15, M§17: annual reviews open this many days before the anniversary and may be submitted
# until this many days after it; then the certificate is revoked.
ANNUAL_REVIEW_NOTICE_DAYS = int(os.environ.get("ANNUAL_REVIEW_NOTICE_DAYS", "30"))
ANNUAL_REVIEW_GRACE_DAYS = int(os.environ.get("ANNUAL_REVIEW_GRACE_DAYS", "60"))

# The certificate jobs (expiry, annual reviews, reminders) work this many batches at once on
# PostgreSQL, each on a database connection of its own (certificates/services.py `_job_run`);
# 1 runs them one after the other. The pool of connections must allow this many more.
JOB_WORKERS = int(os.environ.get("JOB_WORKERS", "2"))

# M§18: the Ed25519 key that signs certificate QR codes (base64 of the 32-byte seed) and its
# id; retired public keys (`kid:base64,…`) still verify old certificates. Without a key the
# development key is derived from SECRET_KEY (production settings require a real one).
CERTIFICATE_SIGNING_KEY = os.environ.get("CERTIFICATE_SIGNING_KEY", "")
CERTIFICATE_SIGNING_KEY_ID = os.environ.get("CERTIFICATE_SIGNING_KEY_ID", "dev")
CERTIFICATE_RETIRED_PUBLIC_KEYS = env_list("CERTIFICATE_RETIRED_PUBLIC_KEYS", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs each rendering step at INFO; keep its warnings only.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

PORTAL_NAME = _("IETS Capability Evaluation Portal")

# Institutions and assessors (R§8, R§10, R§12). Staffing minimums per level (registered
# assessors, of them full-time); evaluations per assessor and year; from which day of the year
# assessors short of it are warned. The key encrypting assessors' ID numbers (Fernet, url-safe
# base64 of 32 bytes); without it a development key is derived from SECRET_KEY.
INSTITUTION_STAFFING = {
    "national": {"assessors": 15, "full_time": 8},
    "local": {"assessors": 10, "full_time": 5},
}
ASSESSOR_MIN_EVALUATIONS_PER_YEAR = 3
ASSESSOR_PARTICIPATION_WARN_FROM = (10, 1)  # (month, day)
DESIGNATION_PANEL_SIZE = int(os.environ.get("DESIGNATION_PANEL_SIZE", "3"))
PERSONAL_DATA_KEY = os.environ.get("PERSONAL_DATA_KEY", "")
