from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "comanaged.demo"
    label = "demo"
    verbose_name = "Demo data"
