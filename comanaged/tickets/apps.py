from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "comanaged.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from comanaged.core import files, scheduler
        from comanaged.tickets.clock.timers import fire_due

        # Every 15 s: with the scheduler's 5 s tick a breach is seen well within 60 s (R16).
        scheduler.register("sla.fire_due", 15, fire_due)
        files.register_key_user(_ticket_file_in_use)


def _ticket_file_in_use(key: str) -> bool:
    from comanaged.tickets.models import TicketAttachment

    return TicketAttachment.objects.filter(key=key).exists()
