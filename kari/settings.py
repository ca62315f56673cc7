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
SECRET_KEY = os.environ.get("KARI_SECRET_KEY", "kari-development-key-not-for-production")
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
    "kari.accounts",
    "kari.audit",
    "kari.rounds",
    "kari.codes",
    "kari.catalogue",
    "kari.registration",
    "kari.certification",
    "kari.exams",
    "kari.ranking",
    "kari.enrolment",
    "kari.portal",
    "kari.demo",
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
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'kari.sqlite3'}",
        conn_max_age=int(os.environ.get("KARI_CONN_MAX_AGE", "0")),
    )
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
# One-time codes (A15.4): lifetime, attempts per code, and rate limits per hour.
KARI_OTP = {
    "TTL_SECONDS": 600,
    "MAX_ATTEMPTS": 5,
    "PER_PERSON_PER_HOUR": int(os.environ.get("KARI_OTP_PER_PERSON_PER_HOUR", "5")),
    # A registration centre serves many applicants from one address; raise this behind a proxy.
    "PER_IP_PER_HOUR": int(os.environ.get("KARI_OTP_PER_IP_PER_HOUR", "200")),
}

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
