"""Extension points filled by apps above agreements.

R27 is decided by the knowledge base (are the POC's runbooks documented?), which sits above
agreements; it registers its answer here so the escalation policy can ask without importing it.
Without a registered answer the runbooks count as not documented: Co-managed+ end-user intake
stays closed (fail-closed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from comanaged.agreements.models import Agreement

RunbookCheck = Callable[["Agreement"], bool]
_runbook_check: list[RunbookCheck] = []


def register_runbook_check(check: RunbookCheck) -> None:
    _runbook_check[:] = [check]


def runbooks_complete(agreement: Agreement | None) -> bool:
    """R27: has the client documented the internal processes Co-managed+ coverage needs?"""
    if agreement is None or not _runbook_check:
        return False
    return _runbook_check[0](agreement)
