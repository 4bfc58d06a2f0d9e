"""The portal's ticket pages (R33): isolation on every page, the verdict before submitting,
R14 errors without saving, end-users' own tickets only, saved views, notes and files, confirm
and reopen, and text rendered inert."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from comanaged.core.testing import assert_isolated
from comanaged.tenancy.tests.factories import make_staff, sign_in_person
from comanaged.tickets.models import SavedView, Ticket, TicketEvent
from comanaged.tickets.services import ticket_escalate, ticket_resolve
from comanaged.tickets.tests.helpers import R14_FIELDS, category, complete_ticket, make_contract

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


@pytest.fixture
def world():
    agreement, poc, end_user = make_contract()
    _other_agreement, other_poc, _ = make_contract()
    return {
        "agreement": agreement,
        "poc": poc,
        "poc_user": sign_in_person(poc),
        "end_user": end_user,
        "end_user_user": sign_in_person(end_user),
        "outsider": sign_in_person(other_poc),
    }


def form_data(**extra):
    return {**R14_FIELDS, "category": category().pk, "type": "incident", "submission": "s-1", **extra}


def test_every_ticket_page_is_isolated(client, world):
    ticket = complete_ticket(world["agreement"], world["poc"])
    state = lambda: (Ticket.objects.count(), TicketEvent.objects.count())  # noqa: E731
    for url in (reverse("portal:tickets"), reverse("portal:ticket_new")):
        assert_isolated(client, url, owner=world["poc_user"], wrong_role=make_staff("admin").user, login_path=LOGIN)
    assert_isolated(
        client,
        reverse("portal:ticket", args=[ticket.number]),
        owner=world["poc_user"],
        outsider=world["outsider"],
        wrong_role=make_staff("admin").user,
        login_path=LOGIN,
    )
    assert_isolated(
        client,
        reverse("portal:ticket", args=[ticket.number]),
        method="post",
        data={"action": "note", "text": "hello"},
        owner=world["poc_user"],
        outsider=world["outsider"],
        wrong_role=make_staff("admin").user,
        state=state,
        login_path=LOGIN,
    )


def test_an_end_user_sees_only_their_own_tickets(client, world):
    theirs = complete_ticket(world["agreement"], world["poc"], affected_person=world["end_user"], title="Their laptop")
    others = complete_ticket(world["agreement"], world["poc"], title="Finance share")
    client.force_login(world["end_user_user"])
    page = client.get(reverse("portal:tickets") + "?view=all").content.decode()
    assert "Their laptop" in page and "Finance share" not in page
    assert client.get(reverse("portal:ticket", args=[others.number])).status_code == 404
    assert client.get(reverse("portal:ticket", args=[theirs.number])).status_code == 200


def test_r14_escalating_from_the_form_names_what_is_missing_and_saves_nothing(client, world):
    client.force_login(world["poc_user"])
    response = client.post(reverse("portal:ticket_new"), form_data(tried="", conditions="", action="escalate"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "what has already been tried" in page and "conditions under which it occurs" in page
    assert not Ticket.objects.exists()


def test_r10_escalating_from_the_form_stores_the_verdict_and_a_replay_creates_nothing(client, world):
    client.force_login(world["poc_user"])
    response = client.post(reverse("portal:ticket_new"), form_data(action="escalate"))
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("portal:ticket", args=[ticket.number])
    assert (ticket.status, ticket.verdict, ticket.source) == ("escalated", "covered", "portal")
    again = client.post(reverse("portal:ticket_new"), form_data(action="escalate"))  # double click
    assert again.status_code == 302 and Ticket.objects.count() == 1


def test_the_verdict_preview_shows_out_of_scope_before_submitting(client, world):
    client.force_login(world["poc_user"])
    response = client.post(reverse("portal:ticket_assess"), form_data(application_name="Fortnite"))
    page = response.content.decode()
    assert "Out of scope" in page and "R19" in page
    assert not Ticket.objects.exists()


def test_r10_an_end_users_request_on_co_managed_goes_to_the_poc(client, world):
    client.force_login(world["end_user_user"])
    client.post(reverse("portal:ticket_new"), form_data(action="escalate"))
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.verdict, ticket.requester) == ("new", "route_to_poc", world["end_user"])


def test_html_in_titles_and_notes_is_rendered_inert(client, world):
    ticket = complete_ticket(world["agreement"], world["poc"], title="<img src=x onerror=alert(1)>")
    client.force_login(world["poc_user"])
    client.post(reverse("portal:ticket", args=[ticket.number]), {"action": "note", "text": "<script>alert(2)</script>"})
    page = client.get(reverse("portal:ticket", args=[ticket.number])).content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert(2)</script>" not in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page


def test_notes_with_files_and_refused_files_change_nothing(client, world, settings, tmp_path):
    settings.FILES_DIR = tmp_path
    ticket = complete_ticket(world["agreement"], world["poc"])
    client.force_login(world["poc_user"])
    url = reverse("portal:ticket", args=[ticket.number])
    bad = SimpleUploadedFile("setup.exe", b"MZ" + b"\x00" * 64)
    response = client.post(url, {"action": "note", "text": "see file", "files": [bad]})
    assert response.status_code == 200 and "are not accepted" in response.content.decode()
    assert not TicketEvent.objects.filter(ticket=ticket, kind="note").exists()
    good = SimpleUploadedFile("ipconfig.txt", b"IPv4 Address. . . : 10.0.0.12\n")
    client.post(url, {"action": "note", "text": "see file", "files": [good]})
    [attachment] = ticket.attachments.all()
    download = client.get(reverse("portal:attachment", args=[ticket.number, attachment.pk]))
    assert download["Content-Disposition"].startswith("attachment") and download["X-Content-Type-Options"] == "nosniff"


def test_a_huge_upload_is_refused_before_it_is_read(client, world):
    ticket = complete_ticket(world["agreement"], world["poc"])
    client.force_login(world["poc_user"])
    response = client.generic(
        "POST",
        reverse("portal:ticket", args=[ticket.number]),
        data=b"x" * 10,
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(2 * 1024**3),
    )
    assert response.status_code == 413


def test_confirm_and_reopen_from_the_ticket_page(client, world):
    ticket = complete_ticket(world["agreement"], world["poc"])
    ticket_escalate(ticket=ticket, actor=None, escalating_person=world["poc"])
    ticket_resolve(ticket=ticket, actor=make_staff("technician").user, resolution="Replaced the NIC")
    client.force_login(world["poc_user"])
    url = reverse("portal:ticket", args=[ticket.number])
    assert "Replaced the NIC" in client.get(url).content.decode()
    client.post(url, {"action": "confirm"})
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    response = client.post(url, {"action": "reopen", "reason": ""})
    assert response.status_code == 200 and Ticket.objects.get(pk=ticket.pk).status == "closed"
    client.post(url, {"action": "reopen", "reason": "Dropped again"})
    assert Ticket.objects.get(pk=ticket.pk).status == "escalated"


def test_saved_views_belong_to_their_owner(client, world):
    client.force_login(world["poc_user"])
    client.post(
        reverse("portal:tickets"), {"action": "save_view", "name": "My P1s", "query": "view=all&priority=P1&evil=1"}
    )
    view = SavedView.objects.get(user=world["poc_user"])
    assert view.query == "view=all&priority=P1"
    client.force_login(world["outsider"])
    client.post(reverse("portal:tickets"), {"action": "delete_view", "view_id": str(view.pk)})
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_r11_a_co_managed_plus_end_user_reaches_the_desk_after_hours_for_a_p1(client):
    """After hours in the client's zone, a P1 goes straight to the desk (runbooks documented, R27);
    the same request in business hours goes to the POC."""
    import time_machine

    from comanaged.kb.testing import document_runbooks
    from comanaged.tickets.tests.helpers import TUESDAY_10AM_NY, TUESDAY_11PM_NY

    agreement, _, end_user = make_contract("co_managed_plus")
    document_runbooks(agreement.client)
    client.force_login(sign_in_person(end_user))
    with time_machine.travel(TUESDAY_11PM_NY, tick=False):
        client.post(reverse("portal:ticket_new"), form_data(priority="P1", submission="night"))
    with time_machine.travel(TUESDAY_10AM_NY, tick=False):
        client.post(reverse("portal:ticket_new"), form_data(priority="P1", submission="day"))
    night, day = Ticket.objects.order_by("number")
    assert (night.status, night.verdict) == ("escalated", "covered")
    assert "R11" in night.verdict_reasons[0]["rules"]
    assert (day.status, day.verdict) == ("new", "route_to_poc")


def test_odd_input_on_portal_pages_is_refused_or_ignored_not_a_500(client, world):
    client.force_login(world["poc_user"])
    assert client.get(reverse("portal:tickets") + "?q=²").status_code == 200
    assert client.get(reverse("portal:tickets") + "?q=%00").status_code == 400
    response = client.post(reverse("portal:tickets"), {"action": "delete_view", "view_id": "9" * 5000})
    assert response.status_code == 302
    from urllib.parse import urlencode

    body = urlencode({**form_data(), "submission": "a\x00b", "action": "log"})
    response = client.post(reverse("portal:ticket_new"), body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and not Ticket.objects.exists()
    multipart = client.post(reverse("portal:ticket_new"), {**form_data(), "submission": "a\x00b", "action": "log"})
    assert multipart.status_code == 200 and not Ticket.objects.exists()
    client.post(reverse("portal:tickets"), {"action": "save_view", "name": "x\x00y", "query": "q=\x00"})
    assert SavedView.objects.get().name == "xy"


def test_an_end_user_never_sees_a_colleagues_ticket_through_its_relations(client, world):
    from comanaged.tickets.relations import ticket_merge, ticket_set_parent

    theirs = complete_ticket(world["agreement"], world["poc"], affected_person=world["end_user"], title="My laptop")
    child = complete_ticket(world["agreement"], world["poc"], title="SECRET-CHILD termination of Bob")
    duplicate = complete_ticket(world["agreement"], world["poc"], title="SECRET-DUP salary file")
    ticket_set_parent(child=child, parent=theirs, actor=world["poc_user"])
    ticket_merge(source=duplicate, target=theirs, actor=world["poc_user"])
    client.force_login(world["end_user_user"])
    page = client.get(reverse("portal:ticket", args=[theirs.number])).content.decode()
    assert "My laptop" in page
    assert "SECRET-CHILD" not in page and "SECRET-DUP" not in page


def test_the_file_and_verdict_preview_urls_are_isolated_too(client, world, settings, tmp_path):
    settings.FILES_DIR = tmp_path
    from comanaged.tickets.conversation import ticket_add_note

    ticket = complete_ticket(world["agreement"], world["poc"])
    upload = SimpleUploadedFile("ipconfig.txt", b"IPv4 10.0.0.12\n")
    ticket_add_note(ticket=ticket, actor=world["poc_user"], text="log", uploads=[upload])
    [attachment] = ticket.attachments.all()
    assert_isolated(
        client,
        reverse("portal:attachment", args=[ticket.number, attachment.pk]),
        owner=world["poc_user"],
        outsider=world["outsider"],
        wrong_role=make_staff("admin").user,
        login_path=LOGIN,
    )
    assert_isolated(
        client,
        reverse("portal:ticket_assess"),
        method="post",
        data=form_data(),
        owner=world["poc_user"],
        wrong_role=make_staff("admin").user,
        state=lambda: Ticket.objects.count(),
        login_path=LOGIN,
    )
