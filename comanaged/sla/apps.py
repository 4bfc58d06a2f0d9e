from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "comanaged.sla"
    label = "sla"
    verbose_name = "Response times"

    def ready(self) -> None:
        from comanaged.sla.services import hours_in_use_problems
        from comanaged.tenancy import hooks

        # R13: a client whose agreement measures on business hours must keep some.
        hooks.register_week_check(hours_in_use_problems)
