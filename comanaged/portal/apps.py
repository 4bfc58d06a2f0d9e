from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "comanaged.portal"
    label = "portal"
    verbose_name = "Client portal"
