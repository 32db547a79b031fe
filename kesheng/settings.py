"""Kesheng settings: every value comes from the environment.

``.env.example`` documents each variable. The typed helpers below fail loudly: a malformed value
or, in production mode, a missing required one stops start-up with the variable's name.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

_UNSET = object()


def _read_dotenv(path: Path) -> None:
    """Load KEY=VALUE lines from a local .env file without overriding the real environment."""
    if not path.is_file():
        return
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


_read_dotenv(Path(os.environ.get("KESHENG_ENV_FILE", BASE_DIR / ".env")))

KESHENG_ENV = os.environ.get("KESHENG_ENV", "development").strip().lower()
if KESHENG_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"KESHENG_ENV must be 'development' or 'production', not {KESHENG_ENV!r}"
    )
PRODUCTION = KESHENG_ENV == "production"


def env_str(name: str, default=_UNSET, *, required_in_production: bool = False) -> str:
    value = os.environ.get(name)
    if value is not None and value != "":
        return value
    if PRODUCTION and required_in_production:
        raise ImproperlyConfigured(
            f"The setting {name} is required when KESHENG_ENV=production; "
            f"set it in the environment (see .env.example)."
        )
    if default is _UNSET:
        raise ImproperlyConfigured(f"The setting {name} is required (see .env.example).")
    return default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"The setting {name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"The setting {name} must be a whole number, not {value!r}"
        ) from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", not PRODUCTION)
SECRET_KEY = env_str(
    "SECRET_KEY",
    "insecure-development-key-change-me-0123456789abcdef",
    required_in_production=True,
)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "The setting ALLOWED_HOSTS is required when KESHENG_ENV=production (see .env.example)."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

VAR_DIR = Path(env_str("KESHENG_VAR_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # so /api/v1/docs serves Swagger UI from the package, not from a CDN
    "kesheng.core",
    "kesheng.accounts",
    "kesheng.customers",
    "kesheng.tracking",
    "kesheng.commerce",
    "kesheng.messaging",
    "kesheng.surveys",
    "kesheng.loyalty",
    "kesheng.feedback",
    "kesheng.cases",
    "kesheng.analytics",
    "kesheng.reports",
    "kesheng.demo",
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
]

ROOT_URLCONF = "kesheng.urls"
WSGI_APPLICATION = "kesheng.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database: one DATABASE_URL picks SQLite (the embedded default) or PostgreSQL ---------------
DEFAULT_SQLITE_PATH = VAR_DIR / "kesheng.sqlite3"
DATABASE_URL = env_str(
    "DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}", required_in_production=True
)
try:
    _database = dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60)
    )
except ValueError as error:
    raise ImproperlyConfigured(f"The setting DATABASE_URL is not a database URL: {error}") from None
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while an import writes; IMMEDIATE transactions take the
    # write lock up front so concurrent writers queue instead of failing with "database is locked".
    _database["CONN_MAX_AGE"] = 0
    _database.setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    _database.setdefault("TEST", {})["NAME"] = env_str("KESHENG_TEST_SQLITE", "") or None
    if _database["NAME"] and _database["NAME"] != ":memory:":
        Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "customers:list"
LOGOUT_REDIRECT_URL = "login"

# --- i18n: zh-Hans first, English beside it ----------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
if not PRODUCTION:
    # WhiteNoise warns on every request when the directory is missing; in development it only
    # fills up after collectstatic, and the finders serve the files meanwhile.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # plotly.min.js from the installed plotly package, for the dashboard's charts
    "kesheng.reports.staticfiles.PlotlyFinder",
]
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
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# --- background work ---------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
# "memory://localhost/" rather than "memory://": kombu warns about a missing host otherwise.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- security in production --------------------------------------------------------------------
if PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    if env_bool("TRUST_X_FORWARDED_PROTO", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # In-process (eager) tasks would log a line per task into every command's output.
        "celery.app.trace": {"level": "INFO" if REDIS_URL else "WARNING"},
        # The PDF engine and its font loader log every layout step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Kesheng itself ----------------------------------------------------------------------------
KESHENG_DEFAULT_CURRENCY = env_str("KESHENG_DEFAULT_CURRENCY", "CNY")
KESHENG_API_MAX_BATCH = env_int("KESHENG_API_MAX_BATCH", 1000)
# Posts one IP address may make per minute to the public survey pages, and apart from them to
# the complaint form (0: no limit).
KESHENG_PUBLIC_POSTS_PER_MINUTE = env_int("KESHENG_PUBLIC_POSTS_PER_MINUTE", 30)
# JSON files that extend the feedback category taxonomy (docs/feedback.md), comma-separated.
KESHENG_FEEDBACK_TAXONOMY = env_list("KESHENG_FEEDBACK_TAXONOMY", [])
# The complaint form asks for matching help articles while the customer types (docs/feedback.md).
KESHENG_PUBLIC_SUGGESTIONS_PER_MINUTE = env_int("KESHENG_PUBLIC_SUGGESTIONS_PER_MINUTE", 60)

# --- messages to customers (docs/messaging.md) ---------------------------------------------------
# Development prints emails to the console; production sends through SMTP.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Kesheng <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address customers reach this site at: links in emails and SMS, QR codes, the widget.
KESHENG_PUBLIC_URL = env_str("KESHENG_PUBLIC_URL", "http://127.0.0.1:8000")
KESHENG_SMS_BACKEND = env_str(
    "KESHENG_SMS_BACKEND", "kesheng.messaging.backends.sms.ConsoleSmsBackend"
)
KESHENG_SMS_FILE_DIR = VAR_DIR / "sms"
# Member pages /m/ (docs/loyalty.md): sign-in codes by SMS and personal links.
KESHENG_MEMBER_CODE_MINUTES = env_int("KESHENG_MEMBER_CODE_MINUTES", 10)
KESHENG_MEMBER_CODE_MAX_ATTEMPTS = env_int("KESHENG_MEMBER_CODE_MAX_ATTEMPTS", 5)
KESHENG_MEMBER_CODES_PER_PHONE_PER_HOUR = env_int("KESHENG_MEMBER_CODES_PER_PHONE_PER_HOUR", 5)
KESHENG_MEMBER_CODES_PER_IP_PER_MINUTE = env_int("KESHENG_MEMBER_CODES_PER_IP_PER_MINUTE", 5)
KESHENG_MEMBER_LINK_DAYS = env_int("KESHENG_MEMBER_LINK_DAYS", 30)
# Purposes a customer without a recorded decision may be messaged for (marketing never is).
KESHENG_CONSENT_IMPLIED_PURPOSES = env_list("KESHENG_CONSENT_IMPLIED_PURPOSES", ["service"])
# No customer is invited to a survey more than once in this many days, across all surveys.
KESHENG_SURVEY_FATIGUE_DAYS = env_int("KESHENG_SURVEY_FATIGUE_DAYS", 30)
# Rules that open cases by themselves (docs/cases.md).
KESHENG_CASE_NPS_MAX = env_int("KESHENG_CASE_NPS_MAX", 6)
KESHENG_CASE_CSAT_MAX = env_int("KESHENG_CASE_CSAT_MAX", 2)
KESHENG_CASE_REVIEW_RATING_MAX = env_int("KESHENG_CASE_REVIEW_RATING_MAX", 2)
KESHENG_CASE_FEEDBACK_MAX_AGE_DAYS = env_int("KESHENG_CASE_FEEDBACK_MAX_AGE_DAYS", 14)
# A social mention found negative by the analysis opens a case from this reach (followers,
# views) up; 0 turns the rule off.
KESHENG_CASE_SOCIAL_REACH_MIN = env_int("KESHENG_CASE_SOCIAL_REACH_MIN", 10_000)
# A rule-opened case is raised one urgency level (P3 to P2, never above P1) when its feedback
# item's sentiment is negative with a score at most this ("off": never), or when the customer
# holds one of these loyalty tiers ("top": the highest tier; empty: never).
_raise_sentiment = env_str("KESHENG_CASE_RAISE_SENTIMENT_MAX", "-0.6").strip().lower()
try:
    KESHENG_CASE_RAISE_SENTIMENT_MAX: float | None = (
        None if _raise_sentiment == "off" else float(_raise_sentiment)
    )
except ValueError:
    raise ImproperlyConfigured(
        "The setting KESHENG_CASE_RAISE_SENTIMENT_MAX must be a number from -1 to 1 or off, "
        f"not {_raise_sentiment!r}"
    ) from None
KESHENG_CASE_RAISE_TIERS = env_list("KESHENG_CASE_RAISE_TIERS", ["top"])

CELERY_BEAT_SCHEDULE["send-queued-messages"] = {
    "task": "kesheng.messaging.send_queued_messages",
    "schedule": 600.0,
}
CELERY_BEAT_SCHEDULE["analytics-count-new-responses"] = {
    "task": "kesheng.analytics.count_new_responses",
    "schedule": 3600.0,
}
# Customer scores (RFM, CLV) recomputed daily in bulk (docs/analytics.md).
CELERY_BEAT_SCHEDULE["analytics-score-customers"] = {
    "task": "kesheng.analytics.score_customers",
    "schedule": 86400.0,
}
CELERY_BEAT_SCHEDULE["survey-reminders"] = {
    "task": "kesheng.surveys.send_due_reminders",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["survey-scheduled-distributions"] = {
    "task": "kesheng.surveys.run_due_distributions",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["survey-delayed-invitations"] = {
    "task": "kesheng.surveys.send_due_invitations",
    "schedule": 900.0,
}
CELERY_BEAT_SCHEDULE["redispatch-domain-events"] = {
    "task": "kesheng.core.redispatch_domain_events",
    "schedule": 300.0,
}
# Loyalty tiers (docs/loyalty.md): checked daily; the review runs once per programme period
# (monthly, quarterly, yearly) and ended grace periods are acted on at any run.
CELERY_BEAT_SCHEDULE["loyalty-tier-review"] = {
    "task": "kesheng.loyalty.review_tiers",
    "schedule": 86400.0,
}
# Feedback whose analysis task was lost (broker down when it arrived) is analysed hourly.
CELERY_BEAT_SCHEDULE["feedback-analyse-pending"] = {
    "task": "kesheng.feedback.analyse_pending",
    "schedule": 3600.0,
}
# Feedback alerts (docs/feedback.md): this week's spikes against the baseline, checked hourly;
# each spike is stored and emailed once.
CELERY_BEAT_SCHEDULE["feedback-check-alerts"] = {
    "task": "kesheng.feedback.check_alerts",
    "schedule": 3600.0,
}
# Points ledger (docs/loyalty.md): reads and writes already count lots by their dates; these
# keep the stored balances current (pending points released, lapsed points expired).
CELERY_BEAT_SCHEDULE["loyalty-release-pending-points"] = {
    "task": "kesheng.loyalty.release_pending_points",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["loyalty-expire-points"] = {
    "task": "kesheng.loyalty.expire_points",
    "schedule": 3600.0,
}
# Care messages (birthday, holidays, expiring points) and campaign offers left to deliver;
# each message once per occasion, greetings from the programme's care.send_hour.
CELERY_BEAT_SCHEDULE["loyalty-care-messages"] = {
    "task": "kesheng.loyalty.send_care_messages",
    "schedule": 3600.0,
}
# Case deadlines (docs/cases.md): breaches are marked, and case.breached emitted, within minutes.
CELERY_BEAT_SCHEDULE["cases-check-sla"] = {
    "task": "kesheng.cases.check_sla",
    "schedule": 300.0,
}
# Monthly report emails (docs/reports.md): checked hourly, each month sent once per schedule.
CELERY_BEAT_SCHEDULE["scheduled-reports"] = {
    "task": "kesheng.reports.send_due_reports",
    "schedule": 3600.0,
}
