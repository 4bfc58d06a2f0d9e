from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "comanaged.tickets"
    label = "tickets"
    verbose_name = "Tickets"
