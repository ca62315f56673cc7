from django.apps import AppConfig


class SimulationConfig(AppConfig):
    name = "kari.simulation"
    label = "simulation"
    verbose_name = "Round simulation"
