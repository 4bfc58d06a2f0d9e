"""Put the tickets that exist before the knowledge base into the search index (staff search
them). Later writes keep the index in step (kb.apps); ``comanaged search-reindex`` rebuilds."""

from django.db import migrations


def index_tickets(apps, schema_editor):
    from comanaged.core import search

    Ticket = apps.get_model("tickets", "Ticket")

    def entries():
        for ticket in Ticket.objects.order_by("pk").iterator(chunk_size=2000):
            text = " ".join(filter(None, [ticket.description, ticket.tried, ticket.error_messages, ticket.conditions]))
            yield search.Entry(
                kind="ticket",
                object_id=ticket.pk,
                client_id=ticket.client_id,
                audience=search.Audience.STAFF,
                title=f"#{ticket.number} {ticket.title}",
                body=text,
            )

    search.index_many(entries())


class Migration(migrations.Migration):
    dependencies = [("kb", "0002_default_templates"), ("core", "0005_search"), ("tickets", "0005_clock_period_indexes")]

    operations = [migrations.RunPython(index_tickets, migrations.RunPython.noop)]
