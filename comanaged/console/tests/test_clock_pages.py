"""The response clock on the provider's pages (R16–R19): the desk ticket's live panel with every
clock event and the earlier clocks, the required-tier triage (R17), the queue's due column by
clock state, and the SLA page — scoped to the user's clients, and calm about bad filters."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comanaged.core.testing import assert_isolated
from comanaged.sla.models import ResponseTerms
from comanaged.tenancy.models import ProviderSettings
from comanaged.tenancy.tests.factories import VerticalFactory, make_staff, sign_in_person
from comanaged.tickets import conversation, desk
from comanaged.tickets.clock.display import countdown, duration
from comanaged.tickets.clock.models import ClockEvent, ResponseClock
from comanaged.tickets.models import Ticket
from comanaged.tickets.services import ticket_resolve
from comanaged.tickets.tests.helpers import make_contract
from comanaged.tickets.tests.test_clock import at, escalate_at

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def section(page: str, element_id: str) -> str:
    """The HTML of one <section id=…> of a page (sections do not nest on these pages)."""
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</section>", start)]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def world():
    agreement, poc, _ = make_contract()
    other, other_poc, _ = make_contract()
    return {
        "agreement": agreement,
        "poc": poc,
        "other": other,
        "other_poc": other_poc,
        "dispatcher": make_staff("dispatcher", full_name="Dee Dispatch"),
        "tech": make_staff("technician", full_name="Terry Tech"),
        "l2": make_staff("technician", tier=2, full_name="Lee Two"),
    }


def get(http, user, url, minutes, **params):
    http.force_login(user)
    with time_machine.travel(at(minutes), tick=False):
        response = http.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


# --- formatting --------------------------------------------------------------------------------


def test_durations_and_countdowns_read_as_people_say_them():
    assert [duration(s) for s in (None, 40, 42 * 60, 7200, 5400, 26 * 3600)] == [
        "—",
        "40 s",
        "42 m",
        "2 h",
        "1 h 30 m",
        "1 d 2 h",
    ]
    assert countdown(72 * 60 + 5) == "1 h 12 m 05 s left"
    assert countdown(-(12 * 60 + 5)) == "12 m 05 s overdue"
    assert countdown(9) == "9 s left" and countdown(3 * 86400) == "3 d left"


# --- the desk ticket page ----------------------------------------------------------------------


def test_r16_r17_the_desk_ticket_shows_a_live_running_clock_in_the_clients_zone(client, world):
    ticket = escalate_at(0, world["agreement"], world["poc"], priority="P2")
    page = get(client, world["dispatcher"].user, reverse("console:ticket", args=[ticket.number]), 48)
    panel = section(page, "response")
    assert "P2 · respond within 2 h, 24×7" in panel
    assert 'data-clock-tone="running"' in panel and ">Running<" in panel
    assert "1 h 12 m 00 s left" in panel  # escalated at 10:00 New York, due at 12:00
    assert 'data-clock-due="2026-11-24T17:00:00+00:00"' in panel
    assert 'data-clock-warn="2026-11-24T16:30:00+00:00"' in panel  # 75 % of 2 h
    assert "Nov 24, 10:00 EST" in panel and "Nov 24, 12:00 EST" in panel  # the client's zone
    assert 'src="/static/tickets/clock.js"' in page
    events = section(page, "clock-events")
    assert "Started" in events and "respond within 2 h (24×7)" in events


def test_r16_past_the_warning_point_the_clock_is_amber_and_past_the_deadline_red(client, world):
    ticket = escalate_at(0, world["agreement"], world["poc"], priority="P2")
    url = reverse("console:ticket", args=[ticket.number])
    assert 'data-clock-tone="warning"' in section(get(client, world["dispatcher"].user, url, 100), "response")
    late = section(get(client, world["dispatcher"].user, url, 132), "response")
    assert 'data-clock-tone="overdue"' in late and "12 m 00 s overdue" in late and ">Overdue<" in late


def test_r17_a_met_clock_says_how_fast_and_who_responded_and_keeps_every_event(client, world):
    ticket = escalate_at(0, world["agreement"], world["poc"], priority="P2")
    with time_machine.travel(at(5), tick=False):
        desk.ticket_set_required_tier(ticket=ticket, actor=world["dispatcher"].user, tier="l2", reason="AD rights")
    with time_machine.travel(at(10), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=world["tech"].user)  # L1: does not count
    with time_machine.travel(at(42), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=world["l2"].user)
    page = get(client, world["dispatcher"].user, reverse("console:ticket", args=[ticket.number]), 50)
    panel = text(section(page, "response"))
    assert "Responded in 42 m — met" in panel and "Lee Two" in panel and "data-clock-due" not in page
    events = text(section(page, "clock-events"))
    for kind in ("Started", "Required tier", "Start not counted", "Responded"):
        assert kind in events
    assert "Terry Tech started work but is not an appropriate resource." in events
    assert "Dee Dispatch" in events  # who set the required tier


def test_r18_an_excluded_clock_shows_the_reason_and_the_rule(client, world):
    ticket = escalate_at(0, world["agreement"], world["poc"], priority="P1", type="service_request")
    panel = text(
        section(get(client, world["dispatcher"].user, reverse("console:ticket", args=[ticket.number]), 5), "response")
    )
    assert "P1 · no respond target" in panel and "No target" in panel
    assert "No respond target: Service requests are handled but not measured" in panel and "R18" in panel


def test_a_paused_clock_says_what_it_waits_on_without_a_countdown(client, world):
    agreement = world["agreement"]
    ResponseTerms.objects.create(agreement=agreement, client=agreement.client, pause_waiting_on_client=True)
    ticket = escalate_at(0, agreement, world["poc"], priority="P2")
    with time_machine.travel(at(10), tick=False):
        desk.ticket_set_status(ticket=ticket, actor=world["tech"].user, status="waiting_on_client", note="Need the log")
    panel = section(
        get(client, world["dispatcher"].user, reverse("console:ticket", args=[ticket.number]), 30), "response"
    )
    assert "Paused — waiting on client" in panel and 'data-clock-tone="paused"' in panel
    assert "data-clock-due" not in panel


def test_r17_a_reopened_ticket_shows_its_earlier_clocks_collapsed(client, world):
    ticket = escalate_at(0, world["agreement"], world["poc"], priority="P3")
    with time_machine.travel(at(20), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=world["tech"].user)
        ticket_resolve(ticket=ticket, actor=world["tech"].user, resolution="Repaired the profile")
    with time_machine.travel(at(24 * 60), tick=False):
        conversation.ticket_reopen(ticket=ticket, actor=sign_in_person(world["poc"]), reason="It crashed again")
    page = get(client, world["dispatcher"].user, reverse("console:ticket", args=[ticket.number]), 24 * 60 + 5)
    events = section(page, "clock-events")
    assert "clock 2" in events
    earlier = events[events.index('<details data-clock-sequence="1"') :]
    assert "<details" in earlier and " open" not in earlier.split(">")[0]  # collapsed
    assert "Responded in 20 m — met" in text(earlier)


def test_the_ticket_page_reads_clocks_in_constant_queries(client, world, django_assert_max_num_queries):
    """Clocks, their events and timers are three queries however long the history."""
    ticket = escalate_at(0, world["agreement"], world["poc"], priority="P2")
    url = reverse("console:ticket", args=[ticket.number])
    client.force_login(world["dispatcher"].user)
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for minutes in range(1, 6):
        with time_machine.travel(at(minutes), tick=False):
            desk.ticket_set_required_tier(
                ticket=ticket, actor=world["dispatcher"].user, tier="l2" if minutes % 2 else "l3", reason="triage"
            )
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(before) == len(after)


# --- required tier (R17 triage) ----------------------------------------------------------------


def test_r17_a_dispatcher_sets_the_required_tier_from_the_page(client, world):
    ticket = escalate_at(0, world["agreement"], world["poc"], priority="P2")
    url = reverse("console:ticket", args=[ticket.number])
    client.force_login(world["dispatcher"].user)
    assert 'id="required-tier-form"' in client.get(url).content.decode()
    action = reverse("console:ticket_action", args=[ticket.number, "required-tier"])
    response = client.post(action, {"required-tier-tier": "l3", "required-tier-reason": "Firewall change"})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).required_tier == "l3"
    event = ClockEvent.objects.get(clock__ticket=ticket, kind="required_tier")
    assert (event.data["tier"], event.text) == ("l3", "Firewall change")
    page = client.get(url).content.decode()
    assert "a start by L3 or higher" in text(section(page, "response"))


def test_r17_the_required_tier_needs_a_reason_and_changes_nothing_without_one(client, world):
    ticket = escalate_at(0, world["agreement"], world["poc"], priority="P2")
    client.force_login(world["dispatcher"].user)
    action = reverse("console:ticket_action", args=[ticket.number, "required-tier"])
    response = client.post(action, {"required-tier-tier": "l9", "required-tier-reason": ""})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).required_tier == "l1"


def test_r17_a_technician_neither_sees_nor_sets_the_required_tier(client, world):
    ticket = escalate_at(0, world["agreement"], world["poc"], priority="P2")
    client.force_login(world["tech"].user)
    assert 'id="required-tier-form"' not in client.get(reverse("console:ticket", args=[ticket.number])).content.decode()
    action = reverse("console:ticket_action", args=[ticket.number, "required-tier"])
    response = client.post(action, {"required-tier-tier": "l3", "required-tier-reason": "I want it"})
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).required_tier == "l1"
    assert not ClockEvent.objects.filter(kind="required_tier").exists()


# --- the queue ---------------------------------------------------------------------------------


def queue_rows(page: str) -> dict[str, str]:
    """Ticket number → its <tr> in the queue."""
    found = re.findall(r'(<tr class="[^"]*" data-ticket="(\d+)">.*?</tr>)', page, re.S)
    return {number: row for row, number in found}


def test_r16_r18_the_queue_marks_paused_excluded_warning_and_overdue_tickets(client, world):
    agreement, poc = world["agreement"], world["poc"]
    ResponseTerms.objects.create(agreement=agreement, client=agreement.client, pause_waiting_on_client=True)
    paused = escalate_at(0, agreement, poc, priority="P2", title="Waiting for the log")
    excluded = escalate_at(0, agreement, poc, priority="P1", type="service_request", title="Five laptops")
    warned = escalate_at(0, agreement, poc, priority="P3", title="Slow file share")  # 14 h, warns at 10 h 30
    overdue = escalate_at(0, agreement, poc, priority="P1", title="Everything is down")
    later = escalate_at(600, agreement, poc, priority="P4", title="New mouse")
    with time_machine.travel(at(10), tick=False):
        desk.ticket_set_status(ticket=paused, actor=world["tech"].user, status="waiting_on_client", note="Log?")
    rows = queue_rows(get(client, world["dispatcher"].user, reverse("console:desk"), 11 * 60))
    assert 'class="is-paused"' in rows[str(paused.number)] and "paused" in text(rows[str(paused.number)])
    assert 'class="is-none"' in rows[str(excluded.number)] and "no target" in text(rows[str(excluded.number)])
    assert 'class="is-warning"' in rows[str(warned.number)] and "cm-due-warning" in rows[str(warned.number)]
    assert 'class="is-overdue"' in rows[str(overdue.number)] and "10h 00m overdue" in text(rows[str(overdue.number)])
    assert 'class="is-later"' in rows[str(later.number)]


def test_the_queue_reads_the_clocks_of_a_page_in_one_query(client, world):
    agreement, poc = world["agreement"], world["poc"]
    escalate_at(0, agreement, poc, priority="P2")
    client.force_login(world["dispatcher"].user)
    client.get(reverse("console:desk"))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("console:desk")).status_code == 200
        return sum("tickets_responseclock" in q["sql"] for q in queries.captured_queries)

    one = count()
    for _ in range(6):
        escalate_at(0, agreement, poc, priority="P3")
    assert one == count() == 1


# --- the SLA page ------------------------------------------------------------------------------


@pytest.fixture
def sla_world(world):
    """November 2026: the first client met one P1 and missed one P2, an R18 service request is
    excluded, a P4 is open; the other client met one P3 (Terry)."""
    mine, theirs, poc, their_poc = world["agreement"], world["other"], world["poc"], world["other_poc"]
    mine.client.name, theirs.client.name = "Brightside Dental", "Harbor Logistics"
    mine.client.save(update_fields=["name"])
    theirs.client.save(update_fields=["name"])
    met = escalate_at(0, mine, poc, priority="P1", title="Server down")
    missed = escalate_at(0, mine, poc, priority="P2", title="Printer jam on floor 2")
    escalate_at(0, mine, poc, priority="P1", type="service_request", title="New starter laptop")
    escalate_at(0, mine, poc, priority="P4", title="Mouse")
    their_met = escalate_at(0, theirs, their_poc, priority="P3", title="Harbor VPN drops")
    with time_machine.travel(at(30), tick=False):
        desk.ticket_start_work(ticket=met, actor=world["l2"].user)
        desk.ticket_start_work(ticket=their_met, actor=world["tech"].user)
    with time_machine.travel(at(150), tick=False):
        desk.ticket_start_work(ticket=missed, actor=world["l2"].user)
    return {**world, "missed": missed, "their_met": their_met}


def test_r16_r18_the_sla_page_shows_attainment_by_priority_client_and_technician(client, sla_world):
    page = get(client, sla_world["dispatcher"].user, reverse("console:sla"), 160)
    headline = text(page[page.index('id="sla-headline"') : page.index('id="at-risk"')])
    assert "66.7 % Attainment · 2 of 3 measured" in headline
    assert "1 Missed" in headline and "1 Excluded (no target)" in headline and "1 Open, not yet due" in headline
    assert "30 m Median time to respond" in headline and "2 h 30 m 90th percentile" in headline
    by_client = text(section(page, "by-client"))
    assert "Brightside Dental" in by_client and "Harbor Logistics" in by_client
    by_technician = text(section(page, "by-technician"))
    assert "Lee Two" in by_technician and "Terry Tech" in by_technician
    assert "P1" in section(page, "by-priority")
    missed = section(page, "missed")
    assert f"#{sla_world['missed'].number}" in missed and "responded in 2 h 30 m by Lee Two" in text(missed)
    assert f'href="/console/tickets/{sla_world["missed"].number}/#clock-events"' in missed
    assert 'class="nav-link active" href="/console/sla/"' in page


def test_r16_the_sla_page_lists_clocks_at_risk_now(client, sla_world):
    p1 = escalate_at(150, sla_world["agreement"], sla_world["poc"], priority="P1", title="Payroll app down")
    at_risk = section(get(client, sla_world["dispatcher"].user, reverse("console:sla"), 160), "at-risk")
    assert f"#{p1.number}" in at_risk and "50 m 00 s left" in at_risk and "data-clock-due" in at_risk
    assert "Mouse" not in at_risk  # a P4 due tomorrow is not at risk


def test_the_sla_page_is_for_staff_only(client, sla_world):
    """A POC gets a 403 like every console page; anonymous visitors sign in first."""
    assert_isolated(
        client,
        reverse("console:sla"),
        owner=sla_world["dispatcher"].user,
        wrong_role=sign_in_person(sla_world["poc"]),
        login_path=LOGIN,
    )


def test_r16_a_client_scoped_advisor_sees_only_their_clients_figures(client, sla_world):
    """Cross-client leak: an advisor on Brightside's team never sees Harbor's clocks, name,
    tickets or technician — not even by asking for Harbor's id."""
    advisor = make_staff("strategic_advisor", full_name="Ada Advisor")
    sla_world["agreement"].client.team.add(advisor)
    page = get(client, advisor.user, reverse("console:sla"), 160)
    assert "Brightside Dental" in page
    assert "Harbor" not in page and "Terry Tech" not in page
    assert f"#{sla_world['their_met'].number}" not in page
    assert "1 of 2 measured" in text(page)  # Harbor's met P3 is not counted
    asked = get(client, advisor.user, reverse("console:sla"), 160, client=str(sla_world["other"].client_id))
    assert "There is no such client among yours" in asked and "Harbor" not in asked


def test_r16_a_restricted_technician_sees_only_their_clients_figures(client, sla_world):
    ProviderSettings.objects.update_or_create(pk=1, defaults={"restrict_technicians_to_assigned_clients": True})
    restricted = make_staff("technician", full_name="Rita Restricted")
    sla_world["other"].client.team.add(restricted)
    page = get(client, restricted.user, reverse("console:sla"), 160)
    assert "Harbor Logistics" in page and "Brightside" not in page and "Printer jam" not in page
    assert "1 of 1 measured" in text(page)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "forever"}, "is not a period"),
        ({"period": "custom", "from": "2026-13-45", "to": "2026-11-30"}, "Give both dates as YYYY-MM-DD"),
        ({"period": "custom", "from": "<script>", "to": ""}, "Give both dates as YYYY-MM-DD"),
        ({"period": "custom", "from": "2026-11-30", "to": "2026-11-01"}, "The start date is after the end date"),
        ({"period": "custom", "from": "2001-01-01", "to": "2026-11-01"}, "Choose at most 731 days"),
        ({"period": "custom", "from": "0001-01-01", "to": "9999-12-31"}, "between 2000 and 2100"),
        ({"client": "abc"}, "There is no such client"),
        ({"client": "9" * 40}, "There is no such client"),
        ({"client": "999999"}, "There is no such client"),
        ({"priority": "P9"}, "Choose a priority from P1 to P4"),
        ({"vertical": "-1"}, "There is no such vertical"),
    ],
)
def test_bad_sla_filters_give_a_clear_message_not_an_error(client, sla_world, params, message):
    page = get(client, sla_world["dispatcher"].user, reverse("console:sla"), 160, **params)
    problems = page[page.index('id="filter-problems"') :]
    assert message in problems[: problems.index("</div>")]
    assert "2 of 3 measured" in text(page)  # the rest of the page still answers (this month)


def test_sla_filters_narrow_the_figures(client, sla_world):
    user = sla_world["dispatcher"].user
    url = reverse("console:sla")
    assert "0 of 1 measured" in text(get(client, user, url, 160, priority="P2"))
    mine = str(sla_world["agreement"].client_id)
    assert "1 of 2 measured" in text(get(client, user, url, 160, client=mine))
    custom = get(client, user, url, 160, period="custom", **{"from": "2026-11-25", "to": "2026-11-30"})
    assert "No escalation in this period" in custom and 'id="filter-problems"' not in custom
    assert "2 of 3 measured" in text(get(client, user, url, 160, period="7d"))
    assert "No escalation in this period" in get(client, user, url, 160, period="last_month")
    vertical = VerticalFactory()
    assert "No escalation in this period" in get(client, user, url, 160, vertical=str(vertical.pk))


def test_clocks_of_an_unknown_technician_still_render(client, sla_world):
    ResponseClock.objects.filter(stopped_by__isnull=False).update(stopped_by=None)
    assert "Unanswered" in get(client, sla_world["dispatcher"].user, reverse("console:sla"), 160)
