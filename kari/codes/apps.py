from django.apps import AppConfig


class CodesConfig(AppConfig):
    name = "kari.codes"
    label = "codes"
