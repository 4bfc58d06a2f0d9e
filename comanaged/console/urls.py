from django.urls import include, path

from comanaged.console import desk, desk_ticket, sla, views
from comanaged.kb import urls as kb_urls

app_name = "console"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("clients/", views.clients, name="clients"),
    path("clients/new/", views.client_edit, name="client_add"),
    path("clients/<int:pk>/", views.client_detail, name="client"),
    path("clients/<int:pk>/edit/", views.client_edit, name="client_edit"),
    path("people/", views.people, name="people"),
    path("people/new/", views.person_edit, name="person_add"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("agreements/", views.agreements, name="agreements"),
    path("agreements/new/", views.agreement_edit, name="agreement_add"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement"),
    path("agreements/<int:pk>/edit/", views.agreement_edit, name="agreement_edit"),
    path("agreements/<int:pk>/activate/", views.agreement_activate, name="agreement_activate"),
    path("agreements/<int:pk>/terminate/", views.agreement_terminate, name="agreement_terminate"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/new/", views.coverage_edit, name="coverage_add"),
    path("coverage/<int:pk>/edit/", views.coverage_edit, name="coverage_edit"),
    path("desk/", desk.queue, name="desk"),
    path("desk/new/", desk.ticket_new, name="desk_new"),
    path("desk/bulk/", desk.bulk_action, name="desk_bulk"),
    path("desk/views/", desk.saved_view_save, name="desk_view_save"),
    path("desk/views/<int:pk>/delete/", desk.saved_view_delete, name="desk_view_delete"),
    path("sla/", sla.sla, name="sla"),
    path("tickets/<int:number>/", desk_ticket.ticket_detail, name="ticket"),
    path("tickets/<int:number>/note/", desk_ticket.ticket_note, name="ticket_note"),
    path("tickets/<int:number>/files/<int:pk>/", desk_ticket.attachment_download, name="ticket_file"),
    path("tickets/<int:number>/<slug:action>/", desk_ticket.ticket_action, name="ticket_action"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    # The knowledge base (R34): kb_* names in this namespace, e.g. console:kb_home.
    path("kb/", include(kb_urls.patterns("console"))),
]
