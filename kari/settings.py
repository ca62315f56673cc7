"""Django settings for Kari.

Configuration comes from the environment:
- DATABASE_URL: defaults to SQLite in var/kari.sqlite3; PostgreSQL in production.
- KARI_DEBUG=1: development mode (the demo sets it).
- KARI_SECRET_KEY: required when KARI_DEBUG is off.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KARI_VAR_DIR", BASE_DIR / "var"))

DEBUG = os.environ.get("KARI_DEBUG", "0") == "1"
# The secret key keys sessions, signed printout links and the one-time codes' hashes. The web
# application refuses to start without a real one unless KARI_DEBUG=1 (kari.wsgi, which
# `runserver` loads too); console commands fall back to a development key.
SECRET_KEY = os.environ.get("KARI_SECRET_KEY", "")
KARI_SECRET_KEY_OK = len(SECRET_KEY) >= 32
SECRET_KEY = SECRET_KEY or "kari-development-key-not-for-production"
ALLOWED_HOSTS = os.environ.get("KARI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "kari.tasks",
    "kari.outbox",
    "kari.accounts",
    "kari.audit",
    "kari.rounds",
    "kari.codes",
    "kari.catalogue",
    "kari.registration",
    "kari.certification",
    "kari.exams",
    "kari.appeals",
    "kari.sen",
    "kari.ranking",
    "kari.enrolment",
    "kari.portal",
    "kari.operations",
    "kari.demo",
    "kari.simulation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kari.middleware.SessionHygieneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "kari.urls"
WSGI_APPLICATION = "kari.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kari" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kari.portal.context.site",
            ],
            # {% load formerrors %}: the page's one error summary (includes/form.html loads it)
            "libraries": {"formerrors": "kari.formerrors"},
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'kari.sqlite3'}",
        conn_max_age=int(os.environ.get("KARI_CONN_MAX_AGE", "0")),
        # A persistent connection that died while idle (PostgreSQL restarted, the connection
        # terminated) is found and replaced before its next use, in the web and in `kari worker`
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The demo's web server and its worker write to one SQLite file: take the write lock when
    # a transaction starts (a deferred one that later writes fails at once with "database is
    # locked" while the other holds it), wait for it, and let readers go on (WAL).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
# The staff home page and the page after signing out live above the apps (kari.portal), so
# kari.accounts names them only through these settings.
LOGIN_REDIRECT_URL = "portal:staff"
LOGOUT_REDIRECT_URL = "portal:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Georgian first, English second (A4.1: the test's language is Georgian).
LANGUAGE_CODE = "ka"
LANGUAGES = [("ka", _("Georgian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "kari" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Tbilisi"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "kari" / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

# Sessions live in the database, so signing out (or an administrator) really ends one: a copied
# cookie is useless afterwards. Signed-cookie sessions were measured (issue 4): ~10 fewer queries
# per registration, but no server-side revocation for staff. Sessions hold only ids, never
# personal numbers or codes.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Staff are signed out after this long without a request (kari.middleware); every session
# ends after SESSION_COOKIE_AGE in any case.
KARI_STAFF_IDLE_SECONDS = int(os.environ.get("KARI_STAFF_IDLE_SECONDS", str(30 * 60)))
SESSION_COOKIE_AGE = 12 * 3600

# Security: CSRF, clickjacking, content-type sniffing, CSP (no inline scripts or styles).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG and os.environ.get("KARI_HTTPS", "0") == "1":
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

EMAIL_BACKEND = os.environ.get("KARI_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("KARI_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("KARI_EMAIL_PORT", "25"))
EMAIL_FILE_PATH = os.environ.get("KARI_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))  # file backend
EMAIL_TIMEOUT = int(os.environ.get("KARI_EMAIL_TIMEOUT", "10"))  # seconds; a dead server fails fast
DEFAULT_FROM_EMAIL = os.environ.get("KARI_FROM_EMAIL", "Kari <no-reply@kari.example.ge>")

# The civil-registry adapter (A17.5): a dotted path and its options.
KARI_CIVIL_REGISTRY = {
    "BACKEND": "kari.identity.registry.LocalFileRegistry",
    "PATH": os.environ.get("KARI_CIVIL_REGISTRY_FILE", str(VAR_DIR / "civil-registry.json")),
}

# The VET management-system adapter (A27.6 ranking, A29.4 and A41 students): a dotted path and
# the directory the demo's file backend writes to (docs/exchange-formats.md).
KARI_MANAGEMENT_SYSTEM = {
    "BACKEND": os.environ.get(
        "KARI_MANAGEMENT_SYSTEM_BACKEND", "kari.management_system.FileManagementSystem"
    ),
    "PATH": os.environ.get("KARI_MANAGEMENT_SYSTEM_DIR", str(VAR_DIR / "management-system")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KARI_LOG_LEVEL", "WARNING")},
    # pyHanko logs every untrusted or damaged signature it validates with a traceback; Kari
    # reports those as results (kari.documents.signing.verify_pdf).
    "loggers": {"pyhanko": {"level": "CRITICAL"}, "pyhanko_certvalidator": {"level": "CRITICAL"}},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# SMS (A15.4: one-time codes go to the phone too). The demo writes to a file outbox.
KARI_SMS = {
    "BACKEND": os.environ.get("KARI_SMS_BACKEND", "kari.sms.FileOutboxBackend"),
    "OPTIONS": (
        {"url": os.environ.get("KARI_SMS_URL", ""), "token": os.environ.get("KARI_SMS_TOKEN", "")}
        if os.environ.get("KARI_SMS_BACKEND", "").endswith("HttpGatewayBackend")
        else {"path": str(VAR_DIR / "sms-outbox.jsonl")}
    ),
}
# One-time codes (A15.4): lifetime, attempts per code, and rate limits (issue 11, point 4).
KARI_OTP = {
    "TTL_SECONDS": 600,
    # Wrong guesses at one code; then it is dead. Only the holder of the code can guess at it
    # (its id is in the requester's session; by person, codes asked from the same network).
    "MAX_ATTEMPTS": 5,
    # Per person AND network (client address; IPv6 by /64): this many codes an hour at once;
    # then each next one waits BACKOFF_SECONDS, doubling, at most BACKOFF_MAX_SECONDS after that
    # network's last. Codes asked for a person from another network never use up this budget,
    # and never replace the code the person holds, so knowing a personal number or an email
    # does not let anyone block its owner.
    "PER_PERSON_PER_HOUR": int(os.environ.get("KARI_OTP_PER_PERSON_PER_HOUR", "5")),
    # Per person across all networks: beyond this many codes an hour every network backs off
    # as above (counted from its own last code; a network's first code always goes), so
    # flooding someone with codes needs many networks.
    "PER_PERSON_ALL_NETWORKS_PER_HOUR": int(
        os.environ.get("KARI_OTP_PER_PERSON_ALL_NETWORKS_PER_HOUR", "30")
    ),
    "BACKOFF_SECONDS": 30,
    "BACKOFF_MAX_SECONDS": 300,
    # Per network: a city behind one carrier NAT, or a registration centre, on the busiest
    # registration day (~30,000 applicants nationally in a few days).
    "PER_IP_PER_HOUR": int(os.environ.get("KARI_OTP_PER_IP_PER_HOUR", "3000")),
    # Failed code checks per network in an hour before its checks back off (from
    # FAILED_BACKOFF_SECONDS, doubling, at most FAILED_BACKOFF_MAX_SECONDS): one network cannot
    # guess codes at scale. Generous for a carrier NAT's typos; no person is ever locked by it.
    "FAILED_PER_IP_PER_HOUR": int(os.environ.get("KARI_OTP_FAILED_PER_IP_PER_HOUR", "300")),
    "FAILED_BACKOFF_SECONDS": 30,
    "FAILED_BACKOFF_MAX_SECONDS": 900,
}
# Staff password step: free failures per account / per address in the window, then back-off.
KARI_LOGIN_THROTTLE = {
    "WINDOW_SECONDS": 900,
    "PER_ACCOUNT": 5,
    "PER_ADDRESS": 50,
    "BACKOFF_SECONDS": 30,
    "BACKOFF_MAX_SECONDS": 900,
}
# Audit anchoring (issue 11, point 5): the chain head is signed with a key kept outside the
# database and published to a witness file (another host or a write-once volume) and by email.
KARI_AUDIT_ANCHOR = {
    "KEY": os.environ.get("KARI_AUDIT_ANCHOR_KEY", ""),  # PEM text, or
    "KEY_FILE": os.environ.get("KARI_AUDIT_ANCHOR_KEY_FILE", str(VAR_DIR / "audit-anchor.key")),
    "WITNESS": os.environ.get("KARI_AUDIT_WITNESS", str(VAR_DIR / "audit-witness.jsonl")),
    "EMAIL": os.environ.get("KARI_AUDIT_WITNESS_EMAIL", ""),
    "PUBLIC_KEYS": [k for k in os.environ.get("KARI_AUDIT_ANCHOR_PUBLIC_KEYS", "").split(",") if k],
}
# Encrypts the certifying organisations' signing keys at rest (default: derived from the
# secret key); changing it makes the stored keys unreadable.
# SEN health data (expert conclusions' findings, the medical documents received) is erased this
# many days after the round's last enrolment day (docs/security.md; `kari sen purge`).
KARI_SEN_RETENTION_DAYS = int(os.environ.get("KARI_SEN_RETENTION_DAYS", "365"))

KARI_KEY_ENCRYPTION_KEY = os.environ.get("KARI_KEY_ENCRYPTION_KEY", "")
# Reverse proxies in front of Kari that append to X-Forwarded-For (kari.clientip).
KARI_TRUSTED_PROXIES = int(os.environ.get("KARI_TRUSTED_PROXIES", "0"))

# Uploads and imports are bounded (issue 11, point 3): bytes per file, rows and columns per table.
KARI_UPLOADS = {
    "table": int(os.environ.get("KARI_UPLOAD_TABLE_BYTES", str(10 * 1024 * 1024))),
    "document": int(os.environ.get("KARI_UPLOAD_DOCUMENT_BYTES", str(10 * 1024 * 1024))),
    "rows": int(os.environ.get("KARI_IMPORT_MAX_ROWS", "200000")),
    "columns": int(os.environ.get("KARI_IMPORT_MAX_COLUMNS", "200")),
    # an XLSX is a ZIP: its unpacked size is bounded too (a small file can unpack to gigabytes)
    "unpacked": int(os.environ.get("KARI_IMPORT_MAX_UNPACKED_BYTES", str(200 * 1024 * 1024))),
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # a form's fields without its files
# PAdES document signing, one key per signing body (kari.accounts.signing). Private keys are
# stored encrypted with KARI_KEY_ENCRYPTION_KEY (a Fernet key); in production each body's
# certificate is a PKCS#12 file named by KARI_SIGNING_P12_<CODE> (+ _PASSPHRASE); in the demo
# (KARI_DEBUG) a self-signed certificate is made on first use.
KARI_DOCUMENT_SIGNING = {
    "KEY_ENCRYPTION_KEY": os.environ.get("KARI_KEY_ENCRYPTION_KEY", ""),
    "SELF_SIGNED": os.environ.get("KARI_SELF_SIGNED_DOCUMENT_KEYS", "1" if DEBUG else "0") == "1",
    "LOCATION": os.environ.get("KARI_SIGNING_LOCATION", "თბილისი"),
}

# Public address of this Kari, used in links printed on documents and credentials.
KARI_PUBLIC_URL = os.environ.get("KARI_PUBLIC_URL", "http://127.0.0.1:8000")
# Processes that render invitation cards in a CLI bulk run (the web job renders in one thread).
KARI_PDF_WORKERS = int(os.environ.get("KARI_PDF_WORKERS", "0")) or (os.cpu_count() or 1)

# The task queue (docs/operations.md): django-tasks with its database backend; `kari worker`
# runs the tasks. A running task's lease is renewed every HEARTBEAT_SECONDS; one not renewed for
# LEASE_SECONDS (its worker died) is queued again, at most MAX_REQUEUES times.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
KARI_TASKS = {
    "LEASE_SECONDS": int(os.environ.get("KARI_TASK_LEASE_SECONDS", "60")),
    "HEARTBEAT_SECONDS": float(os.environ.get("KARI_TASK_HEARTBEAT_SECONDS", "10")),
    "MAX_REQUEUES": 3,
}
# The notification outbox: retries with exponential back-off, then FAILED on the staff page.
KARI_OUTBOX = {
    "MAX_ATTEMPTS": int(os.environ.get("KARI_OUTBOX_MAX_ATTEMPTS", "8")),
    "BACKOFF_SECONDS": float(os.environ.get("KARI_OUTBOX_BACKOFF_SECONDS", "30")),
    "BACKOFF_MAX_SECONDS": float(os.environ.get("KARI_OUTBOX_BACKOFF_MAX_SECONDS", "3600")),
    "LEASE_SECONDS": 300,
    "BATCH": 50,
}
# /healthz answers 503 when a task has waited longer than this (the workers are stuck or gone).
KARI_HEALTH_QUEUE_WAIT_SECONDS = int(os.environ.get("KARI_HEALTH_QUEUE_WAIT_SECONDS", "300"))
