from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "kari.demo"
    label = "demo"
    verbose_name = "Demo data"
