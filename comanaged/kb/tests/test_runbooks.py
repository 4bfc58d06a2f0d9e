"""R27: Co-managed+ after-hours and PTO coverage needs the POC's internal processes documented."""

from __future__ import annotations

import pytest

from comanaged.agreements.selectors import person_may_escalate
from comanaged.core.errors import ApplicationError
from comanaged.kb.documents import document_save
from comanaged.kb.models import DocumentTemplate
from comanaged.kb.runbooks import runbook_checklist_reset, runbook_checklist_set, runbook_status
from comanaged.kb.testing import document_runbooks, filled_values
from comanaged.kb.tests.helpers import company
from comanaged.tenancy.tests.factories import make_staff
from comanaged.tickets.services import ticket_escalate
from comanaged.tickets.tests.helpers import TUESDAY_11PM_NY, complete_ticket

pytestmark = pytest.mark.django_db

DEFAULT_CHECKLIST = [
    "after-hours-escalation",
    "password-reset",
    "onboarding-offboarding",
    "backup-restore",
    "critical-lob-apps",
]


def test_r27_the_default_checklist_names_the_five_processes():
    acme = company("co_managed_plus")
    status = runbook_status(acme.agreement)
    assert [item.template.slug for item in status.items] == DEFAULT_CHECKLIST
    assert (status.done, status.total, status.complete) == (0, 5, False)
    assert {item.state for item in status.items} == {"missing"}


def test_r27_an_item_is_complete_only_with_every_required_field_and_visible_to_the_poc():
    acme = company("co_managed_plus")
    template = DocumentTemplate.objects.get(slug="after-hours-escalation")
    values = filled_values(template)
    partial = {key: value for key, value in values.items() if key != "first_contact_phone"}
    document = document_save(actor=acme.poc, client=acme.client, template=template, values=partial)
    item = runbook_status(acme.agreement).items[0]
    assert item.state == "incomplete" and [f.key for f in item.missing_fields] == ["first_contact_phone"]
    document_save(actor=acme.poc, client=acme.client, template=template, document=document, values=values)
    assert runbook_status(acme.agreement).items[0].state == "complete"

    staff = make_staff("technician").user
    hidden = DocumentTemplate.objects.get(slug="password-reset")
    document_save(actor=staff, client=acme.client, template=hidden, values=filled_values(hidden), visibility="internal")
    assert runbook_status(acme.agreement).items[1].state == "missing"  # provider-only notes are not the POC's


def test_r27_r11_end_user_after_hours_intake_opens_only_once_the_runbooks_are_complete():
    acme = company("co_managed_plus")
    ticket = complete_ticket(acme.agreement, acme.end_user_person, priority="P1")
    with pytest.raises(ApplicationError) as caught:
        ticket_escalate(ticket=ticket, actor=None, escalating_person=acme.end_user_person, at=TUESDAY_11PM_NY)
    assert "documented" in caught.value.message
    documents = document_runbooks(acme.client)
    documents[-1].values = {}
    documents[-1].save()  # one document left empty: still closed
    decision = person_may_escalate(person=acme.end_user_person, priority="P1", at=TUESDAY_11PM_NY)
    assert not decision.allowed and "R27" in decision.rules
    documents[-1].values = filled_values(documents[-1].template)
    documents[-1].save()
    ticket_escalate(ticket=ticket, actor=None, escalating_person=acme.end_user_person, at=TUESDAY_11PM_NY)
    assert ticket.status == "escalated"


def test_r27_an_agreement_keeps_its_own_checklist_until_reset():
    acme = company("co_managed_plus")
    billing = make_staff("billing").user
    only = DocumentTemplate.objects.get(slug="password-reset")
    runbook_checklist_set(actor=billing, agreement=acme.agreement, templates=[only])
    status = runbook_status(acme.agreement)
    assert status.customised and [item.template.slug for item in status.items] == ["password-reset"]
    document_save(actor=acme.poc, client=acme.client, template=only, values=filled_values(only))
    assert runbook_status(acme.agreement).complete
    runbook_checklist_reset(actor=billing, agreement=acme.agreement)
    assert not runbook_status(acme.agreement).complete


def test_r27_only_agreement_editors_change_the_checklist():
    from django.core.exceptions import PermissionDenied

    acme = company("co_managed_plus")
    with pytest.raises(PermissionDenied):
        runbook_checklist_set(actor=acme.poc, agreement=acme.agreement, templates=[])
    with pytest.raises(PermissionDenied):
        runbook_checklist_set(actor=make_staff("technician").user, agreement=acme.agreement, templates=[])


def test_r27_with_every_default_template_retired_intake_stays_closed():
    from comanaged.agreements import hooks

    acme = company("co_managed_plus")
    DocumentTemplate.objects.filter(required_for_coverage=True).update(is_active=False)
    assert runbook_status(acme.agreement).items == ()
    assert hooks.runbooks_complete(acme.agreement) is False  # nothing says what to document: closed
    runbook_checklist_set(actor=make_staff("billing").user, agreement=acme.agreement, templates=[])
    assert hooks.runbooks_complete(acme.agreement) is True  # an explicit empty list is a decision
