from django.conf import settings
from django.urls import translate_url


def site(request):
    user = getattr(request, "user", None)
    staff = bool(user and user.is_authenticated and user.is_verified())
    return {
        "staff_user": user if staff else None,
        # The current page in the default language's form (no /en/ prefix), so that the
        # language switch can translate it to whichever language is chosen.
        "lang_next": translate_url(request.get_full_path(), settings.LANGUAGE_CODE),
    }
