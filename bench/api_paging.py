"""API list latency, first page versus deep pages, over a large client (keyset pagination).

Builds a throw-away SQLite database (or uses DATABASE_URL), 20,000 people, and walks the list
in-process through Django's test client with a bearer token.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("COMANAGED_MODE", "development")
os.environ.setdefault("COMANAGED_VAR_DIR", tempfile.mkdtemp(prefix="comanaged-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comanaged.settings")
os.environ["DEBUG"] = "0"

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402

from comanaged.api.services import token_issue  # noqa: E402
from comanaged.tenancy.models import Client, Person, User  # noqa: E402
from comanaged.tenancy.services import client_save  # noqa: E402

PEOPLE = 20_000
PAGE = 100

call_command("migrate", verbosity=0)
client = client_save(client=Client(name="Bench Corp", code="bench"), actor=None)
Person.objects.bulk_create(
    [
        Person(client=client, full_name=f"Person {i:05d}", email=f"p{i}@bench.example", level="end_user")
        for i in range(PEOPLE)
    ],
    batch_size=2000,
)
admin = User.objects.create_superuser("bench@msp.test", "x" * 16, full_name="Bench")
_, token = token_issue(user=admin, name="bench", scope="read", expires_in_days=1)
http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}")


def timed(url: str) -> tuple[float, dict]:
    t0 = time.perf_counter()
    response = http.get(url)
    elapsed = (time.perf_counter() - t0) * 1000
    assert response.status_code == 200, response.content[:200]
    return elapsed, response.json()


first = [timed(f"/api/v1/people?limit={PAGE}")[0] for _ in range(30)]
url, deep, pages = f"/api/v1/people?limit={PAGE}", [], 0
while url:
    elapsed, body = timed(url)
    pages += 1
    if pages > PEOPLE // PAGE - 30:
        deep.append(elapsed)
    url = body["next"]


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


print(f"people: {PEOPLE:,}, page size {PAGE}, pages walked: {pages}")
print(f"first page: p50 {statistics.median(first):.1f} ms, p95 {p95(first):.1f} ms")
print(f"last 30 pages: p50 {statistics.median(deep):.1f} ms, p95 {p95(deep):.1f} ms")
