"""The ticket's life after logging: the desk (assign, R12 routing, start work R17, tiers and
vendor R20/R28, verdict override), the conversation (notes, R21 mail, confirm, reopen) and
relations (merge, incident with children)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comanaged.agreements.tests.factories import VendorCoverageFactory
from comanaged.core.errors import ApplicationError
from comanaged.core.models import AuditEntry
from comanaged.tenancy.tests.factories import PersonFactory, VerticalFactory, make_staff, sign_in_person
from comanaged.tickets import conversation, desk, relations
from comanaged.tickets.models import Ticket, TicketEvent, VendorEscalation
from comanaged.tickets.services import ticket_escalate, ticket_resolve, ticket_submit
from comanaged.tickets.tests.helpers import category, complete_ticket, make_contract

pytestmark = pytest.mark.django_db


def escalated(plan="co_managed", **agreement_fields):
    agreement, poc, end_user = make_contract(plan, **agreement_fields)
    ticket = complete_ticket(agreement, poc)
    ticket_escalate(ticket=ticket, actor=None, escalating_person=poc)
    return ticket, poc, end_user


def mails(django_capture_on_commit_callbacks, action):
    """Subjects and recipients of the e-mails an action queues."""
    before = set(DBTaskResult.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        action()
    rows = DBTaskResult.objects.exclude(pk__in=before).filter(queue_name="email")
    return [(row.args_kwargs["kwargs"]["subject"], sorted(row.args_kwargs["kwargs"]["to"])) for row in rows]


def test_r16_escalation_stores_the_respond_deadline_and_the_desk_queue():
    ticket, _, _ = escalated()
    assert ticket.respond_due_at == ticket.escalated_at + dt.timedelta(hours=14)  # P3
    assert ticket.desk_vertical is None


def test_r12_a_vertical_agreement_routes_to_the_vertical_desk_and_a_non_vertical_assignee_needs_a_reason():
    health = VerticalFactory(name="Healthcare")
    ticket, _, _ = escalated(
        vertical=health,
        strategic_advisor=make_staff("strategic_advisor", verticals=[health]),
        technology_alignment_engineer=make_staff("technology_alignment_engineer", verticals=[health]),
    )
    assert ticket.desk_vertical == health
    dispatcher = make_staff("dispatcher")
    generalist, specialist = make_staff("technician"), make_staff("technician", verticals=[health])
    with pytest.raises(ApplicationError) as caught:
        desk.ticket_assign(ticket=ticket, actor=dispatcher.user, assignee=generalist)
    assert caught.value.code == "vertical_reason_required" and "R12" in caught.value.message
    assert Ticket.objects.get(pk=ticket.pk).assignee is None
    desk.ticket_assign(ticket=ticket, actor=dispatcher.user, assignee=specialist)
    assert (ticket.assignee, ticket.status) == (specialist, "assigned")
    desk.ticket_assign(ticket=ticket, actor=dispatcher.user, assignee=generalist, reason="Specialists are out sick")
    assert ticket.assignee == generalist
    assert AuditEntry.objects.filter(action="assign", note="Specialists are out sick").exists()
    assert TicketEvent.objects.filter(ticket=ticket, public=False, text__contains="out sick").exists()


def test_only_technicians_are_assigned_and_only_the_desk_assigns():
    ticket, _, _ = escalated()
    billing = make_staff("billing")
    with pytest.raises(ApplicationError):
        desk.ticket_assign(ticket=ticket, actor=make_staff("dispatcher").user, assignee=billing)
    with pytest.raises(PermissionDenied):
        desk.ticket_claim(ticket=ticket, actor=billing.user)


def test_r17_start_work_records_who_started_with_tier_and_vertical_fit():
    ticket, _, _ = escalated()
    technician = make_staff("technician", tier=2)
    desk.ticket_start_work(ticket=ticket, actor=technician.user)
    assert (ticket.status, ticket.assignee) == ("in_progress", technician)
    first_start = ticket.work_started_at
    assert first_start is not None
    event = TicketEvent.objects.get(ticket=ticket, kind="work_started")
    assert event.data == {
        "staff": technician.pk,
        "staff_tier": "l2",
        "ticket_tier": "l1",
        "required_tier": "l1",
        "vertical_fit": True,
        "appropriate": True,
    }
    with pytest.raises(ApplicationError):
        desk.ticket_start_work(ticket=ticket, actor=technician.user)  # already working
    desk.ticket_set_status(ticket=ticket, actor=technician.user, status="waiting_on_client", note="Need a screenshot")
    desk.ticket_start_work(ticket=ticket, actor=technician.user)
    assert ticket.work_started_at == first_start  # the first start is what the clock uses


def test_start_work_on_a_ticket_not_on_the_desk_is_refused():
    agreement, poc, _ = make_contract()
    ticket = complete_ticket(agreement, poc)
    with pytest.raises(ApplicationError) as caught:
        desk.ticket_start_work(ticket=ticket, actor=make_staff("technician").user)
    assert caught.value.code == "invalid_transition"


def test_r20_raising_the_tier_needs_a_higher_tier_and_a_reason():
    ticket, _, _ = escalated()
    technician = make_staff("technician")
    desk.ticket_start_work(ticket=ticket, actor=technician.user)
    with pytest.raises(ApplicationError):
        desk.ticket_raise_tier(ticket=ticket, actor=technician.user, tier="l2", reason=" ")
    desk.ticket_raise_tier(ticket=ticket, actor=technician.user, tier="l3", reason="Kernel panic in the hypervisor")
    assert (ticket.tier, ticket.status, ticket.assignee) == ("l3", "escalated", None)
    with pytest.raises(ApplicationError) as caught:
        desk.ticket_raise_tier(ticket=ticket, actor=technician.user, tier="l2", reason="back down")
    assert caught.value.code == "tier_not_higher"


def test_r20_r28_vendor_escalation_needs_current_coverage_with_the_provider_authorized():
    ticket, _, _ = escalated()
    technician = make_staff("technician")
    with pytest.raises(ApplicationError) as caught:
        desk.ticket_vendor_escalate(ticket=ticket, actor=technician.user, case_number="C-1")
    assert caught.value.code == "vendor_escalation_refused" and "no vendor" in caught.value.message.lower()
    unauthorized = VendorCoverageFactory(client=ticket.client, provider_is_authorized_user=False)
    with pytest.raises(ApplicationError) as caught:
        desk.ticket_vendor_escalate(ticket=ticket, actor=technician.user, case_number="C-1", coverage=unauthorized)
    assert "authorized" in caught.value.message
    assert not VendorEscalation.objects.exists() and Ticket.objects.get(pk=ticket.pk).tier == "l1"
    dell = VendorCoverageFactory(client=ticket.client, vendor="Dell", provider_is_authorized_user=True)
    with pytest.raises(ApplicationError) as caught:  # the case is under one named plan, not "any"
        desk.ticket_vendor_escalate(ticket=ticket, actor=technician.user, case_number="SR-99")
    assert caught.value.field == "coverage"
    escalation = desk.ticket_vendor_escalate(ticket=ticket, actor=technician.user, case_number=" SR-99 ", coverage=dell)
    ticket.refresh_from_db()
    assert (escalation.vendor, escalation.case_number) == ("Dell", "SR-99")
    assert (ticket.tier, ticket.status) == ("vendor", "waiting_on_vendor")


def test_vendor_coverage_of_another_client_is_refused():
    ticket, _, _ = escalated()
    foreign = VendorCoverageFactory(provider_is_authorized_user=True)
    with pytest.raises(ApplicationError) as caught:
        desk.ticket_vendor_escalate(
            ticket=ticket, actor=make_staff("technician").user, case_number="X", coverage=foreign
        )
    assert caught.value.code == "wrong_client"


def test_r22_staff_turn_out_of_scope_work_into_billable_with_a_reason_audited_and_shown():
    agreement, poc, _ = make_contract()
    ticket = complete_ticket(agreement, poc, application_name="Fortnite")
    ticket_escalate(ticket=ticket, actor=None, escalating_person=poc)
    assert ticket.verdict == "out_of_scope" and ticket.respond_due_at is None
    with pytest.raises(PermissionDenied):
        desk.ticket_override_verdict(ticket=ticket, actor=make_staff("technician").user, verdict="billable", reason="x")
    dispatcher = make_staff("dispatcher")
    with pytest.raises(ApplicationError):
        desk.ticket_override_verdict(ticket=ticket, actor=dispatcher.user, verdict="billable", reason="")
    desk.ticket_override_verdict(ticket=ticket, actor=dispatcher.user, verdict="billable", reason="Quoted at $120/h")
    assert (ticket.verdict, ticket.verdict_override_reason) == ("billable", "Quoted at $120/h")
    assert AuditEntry.objects.filter(action="override_verdict", note="Quoted at $120/h").exists()
    event = TicketEvent.objects.get(ticket=ticket, kind="verdict_changed")
    assert event.public and "Out of scope" in event.text and "Billable" in event.text


def test_r21_public_changes_mail_the_pocs_with_the_ticket_number_not_internal_notes(django_capture_on_commit_callbacks):
    ticket, poc, _ = escalated()
    other_poc = PersonFactory(client=ticket.client, level="poc")
    technician = make_staff("technician")
    sent = mails(
        django_capture_on_commit_callbacks, lambda: desk.ticket_start_work(ticket=ticket, actor=technician.user)
    )
    assert sent == [(f"[#{ticket.number}] {ticket.title} — being worked on", sorted([poc.email, other_poc.email]))]
    internal = mails(
        django_capture_on_commit_callbacks,
        lambda: conversation.ticket_add_note(ticket=ticket, actor=technician.user, text="DC is flaky", public=False),
    )
    assert internal == []


def test_r21_co_managed_plus_mails_the_end_user_too(django_capture_on_commit_callbacks):
    agreement, poc, end_user = make_contract("co_managed_plus")
    ticket = complete_ticket(agreement, poc, affected_person=end_user)
    sent = mails(
        django_capture_on_commit_callbacks,
        lambda: ticket_escalate(ticket=ticket, actor=None, escalating_person=poc),
    )
    assert sent and sent[0][1] == sorted([poc.email, end_user.email])
    assert sent[0][0].startswith(f"[#{ticket.number}]")


def test_the_actor_is_not_mailed_about_their_own_change(django_capture_on_commit_callbacks):
    ticket, poc, _ = escalated()
    user = sign_in_person(poc)
    sent = mails(
        django_capture_on_commit_callbacks,
        lambda: conversation.ticket_add_note(ticket=ticket, actor=user, text="Any news?"),
    )
    assert sent == []


def test_a_client_reply_puts_a_waiting_ticket_back_in_progress_and_client_notes_are_public():
    ticket, poc, _ = escalated()
    technician = make_staff("technician")
    desk.ticket_start_work(ticket=ticket, actor=technician.user)
    desk.ticket_set_status(ticket=ticket, actor=technician.user, status="waiting_on_client")
    event = conversation.ticket_add_note(ticket=ticket, actor=sign_in_person(poc), text="Here it is", public=False)
    assert event.public is True
    assert Ticket.objects.get(pk=ticket.pk).status == "in_progress"


def test_an_end_user_cannot_act_on_someone_elses_ticket():
    ticket, _, end_user = escalated()
    with pytest.raises(PermissionDenied):
        conversation.ticket_add_note(ticket=ticket, actor=sign_in_person(end_user), text="hello")


def test_confirm_closes_and_reopen_puts_an_escalated_ticket_back_on_the_desk_with_a_new_clock():
    ticket, poc, _ = escalated()
    user = sign_in_person(poc)
    first_escalation = ticket.escalated_at
    with pytest.raises(ApplicationError):
        conversation.ticket_confirm(ticket=ticket, actor=user)  # not resolved yet
    ticket_resolve(ticket=ticket, actor=make_staff("technician").user, resolution="Rebuilt the profile")
    conversation.ticket_confirm(ticket=ticket, actor=user)
    assert ticket.status == "closed" and ticket.closed_at is not None
    with pytest.raises(ApplicationError):
        conversation.ticket_reopen(ticket=ticket, actor=user, reason="")
    conversation.ticket_reopen(ticket=ticket, actor=user, reason="It crashed again")
    assert ticket.status == "escalated" and ticket.escalated_at > first_escalation
    assert ticket.resolved_at is None and ticket.respond_due_at == ticket.escalated_at + dt.timedelta(hours=14)


def test_r15_a_ticket_the_poc_handled_reopens_in_the_pocs_queue():
    agreement, poc, _ = make_contract()
    ticket = complete_ticket(agreement, poc)
    ticket_resolve(ticket=ticket, actor=None, resolution="Restarted")
    conversation.ticket_reopen(ticket=ticket, actor=sign_in_person(poc), reason="Back again")
    assert ticket.status == "new" and ticket.escalated_at is None


def test_merge_closes_the_duplicate_and_moves_its_children():
    agreement, poc, _ = make_contract()
    keeper, duplicate, child = (complete_ticket(agreement, poc) for _ in range(3))
    user = sign_in_person(poc)
    relations.ticket_set_parent(child=child, parent=duplicate, actor=user)
    relations.ticket_merge(source=duplicate, target=keeper, actor=user)
    duplicate.refresh_from_db()
    child.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == ("closed", keeper)
    assert child.parent == keeper
    assert TicketEvent.objects.filter(ticket=keeper, kind="merged").exists()
    with pytest.raises(ApplicationError):
        relations.ticket_merge(source=keeper, target=keeper, actor=user)


def test_an_outage_incident_resolves_its_children_and_relations_stay_in_one_client():
    agreement, poc, _ = make_contract()
    incident = complete_ticket(agreement, poc, title="Internet down at HQ", priority="P1")
    children = [complete_ticket(agreement, poc, title=f"Cannot reach mail {i}") for i in range(3)]
    user = sign_in_person(poc)
    for child in children:
        relations.ticket_set_parent(child=child, parent=incident, actor=user)
    with pytest.raises(ApplicationError):
        relations.ticket_set_parent(child=incident, parent=children[0], actor=user)  # one level deep
    other_agreement, other_poc, _ = make_contract()
    foreign = complete_ticket(other_agreement, other_poc)
    with pytest.raises(ApplicationError) as caught:
        relations.ticket_set_parent(child=children[0], parent=foreign, actor=make_staff("dispatcher").user)
    assert caught.value.code == "wrong_client"
    ticket_resolve(ticket=incident, actor=user, resolution="ISP fixed the fibre")
    assert set(Ticket.objects.filter(parent=incident).values_list("status", flat=True)) == {"resolved"}


def test_bulk_actions_are_all_or_nothing():
    first, _, _ = escalated()
    second, _, _ = escalated()
    ticket_resolve(ticket=second, actor=None, resolution="done")
    technician = make_staff("technician")
    with pytest.raises(ApplicationError) as caught:
        desk.bulk([first, second], lambda t: desk.ticket_claim(ticket=t, actor=technician.user))
    assert f"#{second.number}" in caught.value.problems[0].message
    assert Ticket.objects.get(pk=first.pk).assignee is None


def test_r10_r11_an_end_users_request_routed_to_the_poc_is_logged_with_that_verdict():
    agreement, _, end_user = make_contract()
    ticket = Ticket(client=agreement.client, requester=end_user, affected_person=end_user, title="Printer jam")
    saved = ticket_submit(ticket=ticket, actor=sign_in_person(end_user), escalating_person=end_user, escalate=True)
    assert (saved.status, saved.verdict) == ("new", "route_to_poc")
    assert "POC" in saved.verdict_reasons[0]["message"]


def test_a_duplicate_submit_with_the_same_key_creates_one_ticket():
    agreement, poc, _ = make_contract()
    user = sign_in_person(poc)

    def submit():
        draft = Ticket(client=agreement.client, requester=poc, title="VPN down", category=category())
        return ticket_submit(ticket=draft, actor=user, escalating_person=poc, escalate=False, idempotency_key="k-1")

    first, again = submit(), submit()
    assert first.pk == again.pk and getattr(again, "_replayed", False)
    assert Ticket.objects.filter(client=agreement.client).count() == 1


def test_r14_submit_and_escalate_saves_nothing_when_fields_are_missing():
    agreement, poc, _ = make_contract()
    draft = Ticket(client=agreement.client, requester=poc, title="VPN down")
    with pytest.raises(ApplicationError) as caught:
        ticket_submit(ticket=draft, actor=sign_in_person(poc), escalating_person=poc, escalate=True)
    assert {p.field for p in caught.value.problems} >= {"category", "priority", "description"}
    assert not Ticket.objects.filter(client=agreement.client).exists()


def test_work_started_event_time_is_now():
    ticket, _, _ = escalated()
    before = timezone.now()
    desk.ticket_start_work(ticket=ticket, actor=make_staff("technician").user)
    assert before <= ticket.work_started_at <= timezone.now()


def test_r17_whoever_starts_work_takes_the_ticket():
    ticket, _, _ = escalated()
    first, second = make_staff("technician"), make_staff("technician")
    desk.ticket_assign(ticket=ticket, actor=first.user, assignee=first)
    desk.ticket_start_work(ticket=ticket, actor=second.user)
    assert ticket.assignee == second
    assert TicketEvent.objects.get(ticket=ticket, kind="work_started").data["staff"] == second.pk


def test_a_technician_outside_the_clients_team_cannot_be_assigned():
    from comanaged.tenancy.models import ProviderSettings

    ticket, _, _ = escalated()
    provider = ProviderSettings.load()
    provider.restrict_technicians_to_assigned_clients = True
    provider.save()
    stranger = make_staff("technician")
    with pytest.raises(ApplicationError) as caught:
        desk.ticket_assign(ticket=ticket, actor=make_staff("dispatcher").user, assignee=stranger)
    assert "team" in caught.value.message


def test_only_the_poc_or_the_desk_resolves_and_escalates():
    agreement, poc, end_user = make_contract()
    ticket = complete_ticket(agreement, poc, affected_person=end_user)
    with pytest.raises(PermissionDenied):
        ticket_resolve(ticket=ticket, actor=sign_in_person(end_user), resolution="fixed it myself")
    with pytest.raises(PermissionDenied):
        ticket_escalate(ticket=ticket, actor=make_staff("billing").user, escalating_person=poc)
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_quiet_changes_send_no_mail(django_capture_on_commit_callbacks):
    from comanaged.tickets import notifications

    ticket, _, _ = escalated()
    technician = make_staff("technician")

    def start_quietly():
        with notifications.quiet():
            desk.ticket_start_work(ticket=ticket, actor=technician.user)

    assert mails(django_capture_on_commit_callbacks, start_quietly) == []


def test_r17_a_start_by_a_lower_tier_or_non_vertical_technician_is_recorded_but_is_not_the_response():
    health = VerticalFactory(name="Healthcare")
    ticket, _, _ = escalated(
        vertical=health,
        strategic_advisor=make_staff("strategic_advisor", verticals=[health]),
        technology_alignment_engineer=make_staff("technology_alignment_engineer", verticals=[health]),
    )
    generalist = make_staff("technician", tier=3)
    desk.ticket_start_work(ticket=ticket, actor=generalist.user, reason="Night shift, no specialist on")
    assert ticket.status == "in_progress" and ticket.work_started_at is None
    specialist_l1 = make_staff("technician", tier=1, verticals=[health])
    desk.ticket_raise_tier(ticket=ticket, actor=generalist.user, tier="l2", reason="Needs the vendor's DB tools")
    desk.ticket_start_work(ticket=ticket, actor=specialist_l1.user)
    assert ticket.work_started_at is None  # L1 on an L2 ticket
    specialist_l2 = make_staff("technician", tier=2, verticals=[health])
    desk.ticket_start_work(ticket=ticket, actor=specialist_l2.user)
    assert ticket.work_started_at is not None
    flags = list(
        TicketEvent.objects.filter(ticket=ticket, kind="work_started").values_list("data__appropriate", flat=True)
    )
    assert flags == [False, False, True]


def test_r18_r19_a_desk_reclassification_re_runs_the_verdict():
    ticket, _, _ = escalated()
    dispatcher = make_staff("dispatcher")
    from comanaged.tickets.services import ticket_update

    ticket_update(ticket=ticket, actor=dispatcher.user, changes={"type": "service_request", "priority": "P1"})
    ticket.refresh_from_db()
    assert ticket.verdict == "covered_no_target" and ticket.respond_due_at is None
    ticket_update(ticket=ticket, actor=dispatcher.user, changes={"type": "incident", "application_name": "Fortnite"})
    ticket.refresh_from_db()
    assert ticket.verdict == "out_of_scope"


def test_merging_never_breaks_the_incident_tree():
    agreement, poc, _ = make_contract()
    user = sign_in_person(poc)
    incident, child = complete_ticket(agreement, poc), complete_ticket(agreement, poc)
    relations.ticket_set_parent(child=child, parent=incident, actor=user)
    with pytest.raises(ApplicationError):
        relations.ticket_merge(source=incident, target=child, actor=user)
    assert Ticket.objects.get(pk=child.pk).parent_id == incident.pk


def test_a_refused_note_leaves_no_file_behind(settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.FILES_DIR = tmp_path
    ticket, poc, _ = escalated()
    good = SimpleUploadedFile("log.txt", b"fine\n")
    bad = SimpleUploadedFile("tool.exe", b"MZ" + b"\x00" * 64)
    with pytest.raises(ApplicationError):
        conversation.ticket_add_note(ticket=ticket, actor=sign_in_person(poc), text="x", uploads=[good, bad])
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_ticket_changes_reach_subscribed_webhooks_without_internal_text(settings):
    """ticket.created / ticket.escalated / ticket.updated, one delivery per change; an internal
    note's text never leaves (the payload says only that something internal happened)."""
    from comanaged.webhooks.models import WebhookDelivery
    from comanaged.webhooks.services import webhook_endpoint_save

    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    from comanaged.webhooks.models import WebhookEndpoint

    webhook_endpoint_save(
        endpoint=WebhookEndpoint(
            name="PSA bridge",
            url="http://127.0.0.1:9/hook",
            events=["ticket.created", "ticket.escalated", "ticket.updated"],
        ),
        actor=None,
    )
    ticket, _, _ = escalated()
    conversation.ticket_add_note(ticket=ticket, actor=make_staff("technician").user, text="DC01 password", public=False)
    events = list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True))
    assert events == ["ticket.created", "ticket.escalated", "ticket.updated"]
    internal = WebhookDelivery.objects.order_by("pk").last().payload
    assert "DC01" not in str(internal)
    assert internal["ticket"]["number"] == ticket.number
    assert internal["change"] == {**internal["change"], "kind": "note", "public": False, "text": ""}
