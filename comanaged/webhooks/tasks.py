"""Background tasks of webhooks: one attempt at one delivery (see ``delivery`` for the rules).

Takes the delivery's id, is safe to run twice, and is enqueued on commit by ``services.emit``;
a failed attempt enqueues the next one deferred to its retry time (``run_after``).
"""

from __future__ import annotations

from django_tasks import task

from comanaged.webhooks.delivery import attempt_delivery


@task(queue_name="webhooks")
def deliver_webhook(*, delivery_id: int) -> str:
    """Attempt one webhook delivery; returns its status afterwards."""
    return attempt_delivery(delivery_id)
