"""Staff pages: signed in with a password *and* the second factor (TOTP, django-otp).

A shared module (below every app, accounts and audit included), so that any app's pages,
the audit log's among them, can require a staff sign-in without importing `kari.accounts`.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login


def is_staff_signed_in(user) -> bool:
    """Signed in and verified by the second factor (django-otp's middleware sets
    `is_verified`)."""
    return bool(user and user.is_authenticated and user.is_verified())


def staff_required(view):
    """Signed in with a password *and* the second factor (TOTP)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_staff_signed_in(request.user):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
