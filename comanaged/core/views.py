"""Small views of the core: the health endpoint."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from comanaged.core.models import WorkerHeartbeat


def worker_status() -> dict[str, Any]:
    """Workers with a recent heartbeat, and the age of the oldest task waiting to run."""
    from django_tasks_db.models import DBTaskResult

    fresh_since = timezone.now() - dt.timedelta(seconds=settings.WORKER_STALE_AFTER_SECONDS)
    alive = WorkerHeartbeat.objects.filter(last_seen_at__gte=fresh_since).count()
    oldest = DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    waiting = DBTaskResult.objects.ready().count()
    return {
        "status": "ok" if alive else "down",
        "workers": alive,
        "tasks_waiting": waiting,
        "oldest_waiting_seconds": round((timezone.now() - oldest).total_seconds()) if oldest else 0,
    }


@require_GET
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Database reachability and worker liveness, for load balancers and the demo.

    503 when the database is unreachable; a stopped worker is reported (``degraded``) but the web
    side still answers 200, since pages keep working while background work waits.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        worker = worker_status()
    except DatabaseError:
        return JsonResponse({"status": "down", "database": "unavailable", "worker": None}, status=503)
    overall = "ok" if worker["status"] == "ok" else "degraded"
    return JsonResponse({"status": overall, "database": "ok", "worker": worker})
