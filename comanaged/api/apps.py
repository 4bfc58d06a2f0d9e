from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "comanaged.api"
    label = "api"
    verbose_name = "API"
