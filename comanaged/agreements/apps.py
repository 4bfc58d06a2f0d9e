from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "comanaged.agreements"
    label = "agreements"
    verbose_name = "Agreements"

    def ready(self) -> None:
        from comanaged.agreements import person_checks
        from comanaged.tenancy import hooks

        # R2: a POC beyond the included seats needs an extra-POC fee on the agreement.
        hooks.register_person_check(person_checks.poc_seats_check)
