from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "comanaged.core"
    label = "core"
    verbose_name = "Audit"
