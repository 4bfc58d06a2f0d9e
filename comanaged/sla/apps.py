from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "comanaged.sla"
    label = "sla"
    verbose_name = "Response times"
