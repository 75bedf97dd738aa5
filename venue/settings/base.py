"""Settings shared by every environment. Every knob comes from the environment (docs/api.md)."""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF, UNSAFE_INLINE

from .environment import Env

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# django-environ, held to the contract of docs/api.md (venue/settings/environment.py): a flag
# is on for 1/true/yes/on (unset or empty: its default); a value that does not parse stops
# the start with an ImproperlyConfigured naming the variable.
env = Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
DEVELOPMENT_SECRET_KEY = "django-insecure-venue-development-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "apps.accounts.admin_app.VenueAdminConfig",  # django.contrib.admin, VENUE's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_prometheus",
    "rest_framework_simplejwt.token_blacklist",
    "apps.core",
    "apps.accounts",
    "apps.catalog",
    "apps.scheduling",
    "apps.bookings",
    "apps.waitlist",
    "apps.checkin",
    "apps.operations",
    # Pages (issue 8): the public site and the organizer portal.
    "apps.site",
    "apps.organizer",
]

MIDDLEWARE = [
    # Outermost, so its request latency and counts include every other middleware.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.ServedByMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.accounts.middleware.JWTCookieUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "venue.urls"
WSGI_APPLICATION = "venue.wsgi.application"
ASGI_APPLICATION = "venue.asgi.application"

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

# --- Database: PostgreSQL in production and CI, SQLite in the embedded default.
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url("DATABASE_URL", default=DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A connection per request, never from the URL's query string.
    DATABASES["default"].update(
        {"CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "DISABLE_SERVER_SIDE_CURSORS": False}
    )
    # Writers wait for each other instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # A bounded pool of connections per process (psycopg_pool), the same under WSGI and
    # ASGI: a request waits up to VENUE_DB_POOL_TIMEOUT seconds for a free connection,
    # then gets a 503; a process never opens more than VENUE_DB_POOL_MAX_SIZE. Size it so
    # that processes x max size stays below PostgreSQL's max_connections, leaving room
    # for Celery, migrations and admin sessions (README "Database connections").
    # VENUE_DB_POOL=off: one connection per thread, closed after each request.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # the pool checks before lending
    # A statement running longer than this is cancelled (a 503, never a hung worker); 0 = no cap.
    VENUE_DB_STATEMENT_TIMEOUT_MS = env.int("VENUE_DB_STATEMENT_TIMEOUT_MS", default=15000)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "options": f"-c statement_timeout={VENUE_DB_STATEMENT_TIMEOUT_MS}",
            "connect_timeout": env.int("VENUE_DB_CONNECT_TIMEOUT", default=3),
        }
    )
    # Behind PgBouncer in transaction pooling mode (README "Database connections").
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "VENUE_DB_DISABLE_SERVER_SIDE_CURSORS", default=False
    )
    if env.bool("VENUE_DB_POOL", default=True):
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env.int("VENUE_DB_POOL_MIN_SIZE", default=1),
            "max_size": env.int("VENUE_DB_POOL_MAX_SIZE", default=8),
            "timeout": env.float("VENUE_DB_POOL_TIMEOUT", default=5.0),
        }
# Services own their transactions (CONTRIBUTING.md, the house rules).
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, rate-limit counters, channel layer, Celery broker. Optional.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "venue",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "venue"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery: Redis broker when configured, otherwise tasks run eagerly in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
# A broker that does not answer must not hold a request for long: retry briefly, then give up
# (after-commit side effects are robust: the booking stands, the failure is logged).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}

# --- Auth
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

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("VENUE_STATIC_ROOT", default="") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
CSRF_COOKIE_NAME = "csrftoken"
CSRF_HEADER_NAME = "HTTP_X_CSRFTOKEN"
# Uploaded images (banners, posters) go through Django's storage API: local files under
# MEDIA_ROOT by default, an S3-compatible bucket when MEDIA_S3_BUCKET is set (needs
# `pip install django-storages[s3]`; credentials come from boto3's usual AWS_* variables).
MEDIA_S3_BUCKET = env.str("MEDIA_S3_BUCKET", default="")
if MEDIA_S3_BUCKET:
    import importlib.util

    if importlib.util.find_spec("storages") is None:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "MEDIA_S3_BUCKET is set but django-storages is not installed: "
            "pip install 'django-storages[s3]'."
        )
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": env.str("MEDIA_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("MEDIA_S3_REGION", default="") or None,
            "custom_domain": env.str("MEDIA_S3_CUSTOM_DOMAIN", default="") or None,
            "file_overwrite": False,
        },
    }

# --- Security headers that hold everywhere; production.py adds HTTPS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_SAMESITE = "Strict"

# --- REST framework
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.CookieJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["apps.core.ratelimit.VenueThrottle"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.VenueAutoSchema",
    "EXCEPTION_HANDLER": "apps.core.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "VENUE API",
    "DESCRIPTION": "Seats for movies, concerts and plays: catalog, holds, bookings, waitlist.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "EventStatusEnum": "apps.catalog.models.EventStatus",
        "SlotStatusEnum": "apps.scheduling.models.SlotStatus",
        "SeatStatusEnum": "apps.scheduling.api.serializers.SEAT_STATUSES",
        "GenerationJobStatusEnum": "apps.scheduling.models.GenerationJob.Status",
        "BookingStatusEnum": "apps.bookings.models.Booking.Status",
        "HoldKindEnum": "apps.bookings.models.Hold.Kind",
        "RoleEnum": "apps.accounts.models.Role",
        "TeamRoleEnum": "apps.accounts.models.TeamRole",
        "TicketStatusEnum": "apps.bookings.models.Ticket.Status",
        "ScanResultEnum": "apps.checkin.models.ScanResult",
        "ScanDirectionEnum": "apps.checkin.models.ScanDirection",
        "JobStatusEnum": "apps.operations.models.JobStatus",
    },
}

# --- JWT in HttpOnly cookies (browsers) or Bearer headers (programs)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a fingerprint of the password hash: a password change revokes them.
    "CHECK_REVOKE_TOKEN": True,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}
# Secure cookies (and the __Host-/__Secure- name prefixes) everywhere but plain-HTTP DEBUG.
VENUE_AUTH_COOKIE_SECURE = env.bool("VENUE_AUTH_COOKIE_SECURE", default=not DEBUG)

# --- VENUE knobs
VENUE_RATE_LIMITS = env.bool("VENUE_RATE_LIMITS", default=True)
RATELIMIT_ENABLE = VENUE_RATE_LIMITS
# Behind a proxy, the META key holding the client address (e.g. HTTP_X_REAL_IP).
VENUE_CLIENT_IP_HEADER = env.str("VENUE_CLIENT_IP_HEADER", default="")
VENUE_RATE_LIMIT_TIERS = {
    tier: env.str(f"VENUE_RATE_{tier.upper()}", default=default)
    for tier, default in {
        "global": "600/m",  # per client IP, the whole API
        "login_ip": "30/15m",  # login and token requests per client IP
        "catalog": "300/m",  # public catalog reads per client IP
        "user": "1200/m",  # per authenticated user
        "write": "120/m",  # unsafe methods per user
        "booking": "20/m",  # hold-seats and confirm per user
        "door": "600/m",  # check-in scans per user (a gate's account, however many phones)
        "webhook": "3000/m",  # payment providers' webhooks per client IP (instead of global)
    }.items()
}
# Booking engine
VENUE_CANCEL_CUTOFF_MINUTES = env.int("VENUE_CANCEL_CUTOFF_MINUTES", default=0)
VENUE_IDEMPOTENCY_TTL_HOURS = 24
# After the charge, a confirm retries a database outage this long before answering 503.
VENUE_CONFIRM_SETTLE_SECONDS = env.float("VENUE_CONFIRM_SETTLE_SECONDS", default=8.0)
# A pending or charged payment nobody has moved for this long is settled by a repeat of its
# request or by payments_reconcile. Keep it above the providers' charge timeout.
VENUE_PAYMENT_STALE_SECONDS = env.float("VENUE_PAYMENT_STALE_SECONDS", default=15.0)
# payment.method of a confirm request -> provider class (apps.bookings.payments).
VENUE_PAYMENT_PROVIDERS = {"test": "apps.bookings.payments.TestProvider"}
# Stripe (apps.bookings.stripe_provider): method `stripe` beside `test` once a secret key is
# set. The webhook endpoint's signing secret verifies POST /api/v1/payments/stripe/webhook/.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
if STRIPE_SECRET_KEY:
    VENUE_PAYMENT_PROVIDERS["stripe"] = "apps.bookings.stripe_provider.StripeProvider"
# The methods a confirm accepts (default: every provider above). A site that takes real
# money sets `stripe` alone, so nobody books with the test card; payments made earlier
# with a method no longer offered are still refunded and settled through its provider.
VENUE_PAYMENT_METHODS = env.list("VENUE_PAYMENT_METHODS", default=list(VENUE_PAYMENT_PROVIDERS))
# How long a run of an operations job (a showtime's cancellation) holds it without renewing;
# a worker that dies leaves its job to the beat's resume once this has lapsed.
VENUE_JOB_LEASE_SECONDS = env.int("VENUE_JOB_LEASE_SECONDS", default=60)
# Without a broker, the ASGI process runs the beat schedule itself (apps.core.periodic).
VENUE_EMBEDDED_BEAT = env.bool("VENUE_EMBEDDED_BEAT", default=True)
CELERY_BEAT_SCHEDULE = {
    "expire-holds": {"task": "bookings.expire_holds", "schedule": 10.0},
    "warn-expiring-holds": {"task": "bookings.warn_expiring_holds", "schedule": 10.0},
    "reconcile-payments": {"task": "bookings.reconcile_payments", "schedule": 10.0},
    "purge-idempotency-records": {"task": "bookings.purge_idempotency_records", "schedule": 3600.0},
    "promote-waitlists": {"task": "waitlist.promote_waiting", "schedule": 30.0},
    "resume-operation-jobs": {"task": "operations.resume_jobs", "schedule": 30.0},
}
# Per account: this many failed logins within the window lock it for `lock_seconds`.
VENUE_LOGIN_LOCKOUT = {"failures": 5, "window_seconds": 900, "lock_seconds": 900}
# Content-Security-Policy (django-csp): no inline scripts anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, "ws:", "wss:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# A password-reset link works once, for this long (Django's token machinery).
PASSWORD_RESET_TIMEOUT = env.int("VENUE_PASSWORD_RESET_SECONDS", default=3600)
# An email-verification link works this long; with VENUE_REQUIRE_VERIFIED_EMAIL on, an
# account whose address is not proven may hold seats but not pay.
VENUE_EMAIL_VERIFY_SECONDS = env.int("VENUE_EMAIL_VERIFY_SECONDS", default=3 * 86400)
VENUE_REQUIRE_VERIFIED_EMAIL = env.bool("VENUE_REQUIRE_VERIFIED_EMAIL", default=False)
# The currency of new events (ISO 4217; an organizer picks another per event).
VENUE_CURRENCY = env.str("VENUE_CURRENCY", default="EUR").upper()
VENUE_HOLD_SECONDS = env.int("VENUE_HOLD_SECONDS", default=300)
# Waitlist: how long an offer (seats held for the next in line) lives, and how often a
# waiting entry may be overtaken by later, smaller ones before it blocks the line.
VENUE_WAITLIST_OFFER_SECONDS = env.int("VENUE_WAITLIST_OFFER_SECONDS", default=600)
VENUE_WAITLIST_MAX_SKIPS = env.int("VENUE_WAITLIST_MAX_SKIPS", default=3)
# `/ws/me/` warns a user this many seconds before their hold expires (hold_expiring).
VENUE_HOLD_WARNING_SECONDS = env.int("VENUE_HOLD_WARNING_SECONDS", default=60)
# Every so often each server process compares its seat-map sockets with the database's
# versions and repairs those that lost an update (apps.bookings.versionwatch); 0 = off.
VENUE_SEATMAP_CHECK_SECONDS = env.float("VENUE_SEATMAP_CHECK_SECONDS", default=5.0)
# Each process keeps public reads (the event list) this long in front of Redis (apps.core.cache).
VENUE_PUBLIC_CACHE_LOCAL_SECONDS = env.float("VENUE_PUBLIC_CACHE_LOCAL_SECONDS", default=1.0)
# Uploaded banners and posters: size cap, pixel cap (decompression bombs), stored dimensions.
VENUE_UPLOAD_MAX_BYTES = env.int("VENUE_UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
VENUE_UPLOAD_MAX_PIXELS = 40_000_000
VENUE_BANNER_MAX_SIZE = (1920, 1080)
VENUE_POSTER_MAX_SIZE = (1000, 1500)

# --- Operations
# /metrics answers these client networks (see VENUE_CLIENT_IP_HEADER behind a proxy) ...
VENUE_METRICS_ALLOWED_IPS = env.list("VENUE_METRICS_ALLOWED_IPS", default=["127.0.0.0/8", "::1"])
# ... and any request with `Authorization: Bearer <VENUE_METRICS_TOKEN>`; everyone else gets 404.
VENUE_METRICS_TOKEN = env.str("VENUE_METRICS_TOKEN", default="")
# Load-balancer tests: label this process in an `X-Served-By` response header. Unset: no header.
VENUE_SERVED_BY = env.str("VENUE_SERVED_BY", default="")

# --- Logging: pretty lines under DEBUG, one JSON object per line otherwise.
LOG_FORMAT = env.str("LOG_FORMAT", default="") or ("pretty" if DEBUG else "json")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "apps.core.logging.ContextFilter"}},
    "formatters": {
        "json": {"()": "apps.core.logging.JsonFormatter"},
        "pretty": {"()": "apps.core.logging.PrettyFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT if LOG_FORMAT in {"json", "pretty"} else "json",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Our exception handler logs API errors itself, with the request id.
        "django.request": {"level": "ERROR"},
        # The stripe library logs every request and response at INFO; ours logs what matters.
        "stripe": {"level": "WARNING"},
    },
}
