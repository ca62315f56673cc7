import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kari.settings")


def _require_secret_key() -> None:
    """Production refuses to start without a real secret key (issue 11, point 6)."""
    from django.conf import settings

    if not settings.DEBUG and not settings.KARI_SECRET_KEY_OK:
        raise ImproperlyConfigured(
            "KARI_SECRET_KEY must be set to a random value of at least 32 characters "
            "(or run in development mode with KARI_DEBUG=1)."
        )


_require_secret_key()
application = get_wsgi_application()
