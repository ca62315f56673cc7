"""Session hygiene (issue 11, point 6).

- Staff sessions end after `KARI_STAFF_IDLE_SECONDS` without a request: the session is flushed
  and the next staff page asks for the password and the code again.
- Responses to a signed-in person (staff, an applicant in the cabinet, a certification
  applicant) and every PDF carry `Cache-Control: no-store`, so that personal data and secrets
  (TOTP enrolment, the cabinet, printouts) stay out of shared and browser caches.
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.utils.cache import add_never_cache_headers

LAST_SEEN = "kari_staff_last_seen"


def seen_now(session) -> None:
    session[LAST_SEEN] = int(time.time())


class SessionHygieneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            if last is not None and now - last > settings.KARI_STAFF_IDLE_SECONDS:
                logout(request)  # flushes the session: a fresh sign-in is needed
            elif last is None or now - last >= 60:  # written at most once a minute
                seen_now(request.session)
        response = self.get_response(request)
        session = getattr(request, "session", None)
        keys = list(session.keys()) if session is not None else []  # a session is not iterable
        personal = (user is not None and user.is_authenticated) or any(
            k.startswith("kari_") for k in keys
        )
        if personal or response.get("Content-Type", "").startswith("application/pdf"):
            add_never_cache_headers(response)
        return response
