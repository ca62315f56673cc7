from functools import wraps

from django.contrib.auth.views import redirect_to_login


def staff_required(view):
    """Signed in with a password *and* the second factor (TOTP)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_verified()):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
