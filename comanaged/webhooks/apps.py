from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "comanaged.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from django.core import checks

        from comanaged.webhooks.netguard import check_allowed_networks

        checks.register(check_allowed_networks)

        from comanaged.core import scheduler
        from comanaged.webhooks.delivery import retry_due

        scheduler.register("webhooks.retry_due", 60, retry_due)  # deliveries whose task went missing
