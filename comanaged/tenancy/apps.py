from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "comanaged.tenancy"
    label = "tenancy"
    verbose_name = "Provider, clients and people"
