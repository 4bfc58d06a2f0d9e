"""The background worker: django-tasks-db's worker loop plus a heartbeat the health check reads."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from comanaged.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    """Writes this worker's heartbeat row every WORKER_HEARTBEAT_SECONDS until stopped."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(name="comanaged-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.stopped = threading.Event()
        self.started_at = timezone.now()

    def beat(self) -> None:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": self.started_at,
                "last_seen_at": timezone.now(),
            },
        )

    def run(self) -> None:
        try:
            while not self.stopped.is_set():
                close_old_connections()
                try:
                    self.beat()
                except Exception:  # a missed beat must not kill the worker; say why it missed
                    logger.exception("worker heartbeat failed")
                self.stopped.wait(settings.WORKER_HEARTBEAT_SECONDS)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        if self.is_alive():  # let a beat in flight finish, or it would write the row back
            self.join(timeout=settings.WORKER_HEARTBEAT_SECONDS)
        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
