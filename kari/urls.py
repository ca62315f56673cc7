from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from kari.operations.views import healthz

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
]
urlpatterns += i18n_patterns(
    path("staff/", include("kari.accounts.urls")),
    path("audit/", include("kari.audit.urls")),
    path("rounds/", include("kari.rounds.urls")),
    path("catalogue/", include("kari.catalogue.urls")),
    path("", include("kari.registration.urls")),
    path("certification/", include("kari.certification.urls")),
    path("", include("kari.exams.urls")),
    path("", include("kari.appeals.urls")),
    path("", include("kari.sen.urls")),
    path("", include("kari.operations.urls")),
    path("", include("kari.ranking.urls")),
    path("", include("kari.enrolment.urls")),
    path("", include("kari.portal.urls")),
    prefix_default_language=False,
)
