from django.conf import settings
from django.urls import translate_url

from kari.staffauth import is_staff_signed_in


def site(request):
    user = getattr(request, "user", None)
    return {
        "staff_user": user if is_staff_signed_in(user) else None,
        # The current page in the default language's form (no /en/ prefix), so that the
        # language switch can translate it to whichever language is chosen.
        "lang_next": translate_url(request.get_full_path(), settings.LANGUAGE_CODE),
    }
