from typing import Any

from django.apps import AppConfig


class KbConfig(AppConfig):
    name = "comanaged.kb"
    label = "kb"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from comanaged.agreements import hooks
        from comanaged.core import files
        from comanaged.kb.runbooks import runbooks_complete
        from comanaged.tickets.models import Ticket

        files.register_key_user(_article_file_in_use)  # content is shared with ticket attachments
        hooks.register_runbook_check(runbooks_complete)  # R27 decides Co-managed+ end-user intake
        # Tickets are searched by staff: every save re-indexes the ticket's words.
        post_save.connect(_index_ticket, sender=Ticket, dispatch_uid="kb_index_ticket")
        post_delete.connect(_unindex_ticket, sender=Ticket, dispatch_uid="kb_unindex_ticket")


# The ticket fields the index holds; a save of other fields only (status, times) skips it.
INDEXED_TICKET_FIELDS = frozenset(
    {"client", "client_id", "title", "number", "description", "tried", "error_messages", "conditions"}
)


def _index_ticket(sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    if raw:  # fixtures load rows as they are
        return
    if update_fields is not None and not INDEXED_TICKET_FIELDS & set(update_fields):
        return
    from comanaged.kb.indexing import index_ticket

    index_ticket(instance)


def _article_file_in_use(key: str) -> bool:
    from comanaged.kb.models import ArticleAttachment

    return ArticleAttachment.objects.filter(key=key).exists()


def _unindex_ticket(sender: Any, instance: Any, **kwargs: Any) -> None:
    from comanaged.core import search
    from comanaged.kb.indexing import TICKET

    search.unindex(TICKET, instance.pk)
