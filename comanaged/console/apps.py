from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "comanaged.console"
    label = "console"
    verbose_name = "Provider console"
