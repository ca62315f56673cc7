from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SenConfig(AppConfig):
    name = "kari.sen"
    label = "sen"
    verbose_name = _("special educational needs track")
