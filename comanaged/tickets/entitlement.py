"""The contract's verdict on a ticket before it reaches the desk — one engine, built on the
agreement policy (it re-implements none of its rules).

Order of precedence: route to the POC (R10, R11, R27) › out of scope (R19, R22, R26) › billable
(R4, R22, R23) › covered without a response target (R18) › covered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from comanaged.agreements.policy import HIGH_PRIORITIES, Decision, EscalationDecision
from comanaged.tickets.choices import TicketType, Verdict


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    rules: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "rules": list(self.rules)}


@dataclass(frozen=True)
class TicketFacts:
    """What the verdict depends on, already answered by the agreement policy where it applies."""

    escalation: EscalationDecision
    ticket_type: str
    priority: str
    billable_kind: str = ""
    application: Decision | None = None  # R19, when an application is named
    on_site: Decision | None = None  # R26, when on-site work is asked for
    device: Decision | None = None  # R22, when a device is named


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def may_escalate(self) -> bool:
        return self.verdict != Verdict.ROUTE_TO_POC


def assess(facts: TicketFacts) -> Assessment:
    """The verdict with its reasons (R10–R13, R18, R19, R22, R23, R26, R27)."""
    escalation = facts.escalation
    if not escalation.allowed:
        return Assessment(Verdict.ROUTE_TO_POC, (Reason(escalation.code, escalation.message, escalation.rules),))
    exclusions = tuple(
        Reason(decision.code, decision.message, decision.rules)
        for decision in (facts.application, facts.device, facts.on_site)
        if decision is not None and not decision.allowed
    )
    if exclusions:
        return Assessment(Verdict.OUT_OF_SCOPE, exclusions)
    if facts.billable_kind:
        return Assessment(
            Verdict.BILLABLE,
            (
                Reason(
                    f"billable_{facts.billable_kind}",
                    "This work is not included in the agreement; it is billed separately (rate card for provisioning).",
                    ("R22", "R23", "R4"),
                ),
            ),
        )
    if facts.ticket_type == TicketType.SERVICE_REQUEST and facts.priority in HIGH_PRIORITIES:
        return Assessment(
            Verdict.COVERED_NO_TARGET,
            (
                Reason(
                    "service_request_high_priority",
                    "Service requests are handled but not measured against response targets at P1/P2.",
                    ("R18",),
                ),
            ),
        )
    reasons = [Reason(escalation.code, escalation.message, escalation.rules)]
    limit = getattr(facts.device, "scope_limit", None)
    if limit:
        reasons.append(Reason("device_scope_limit", limit, ("R22",)))
    return Assessment(Verdict.COVERED, tuple(reasons))
