from django.urls import include, path

from comanaged.kb import urls as kb_urls
from comanaged.portal import tickets, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("people/", views.people, name="people"),
    path("tickets/", tickets.ticket_list, name="tickets"),
    path("tickets/new/", tickets.ticket_new, name="ticket_new"),
    path("tickets/assess/", tickets.ticket_assess, name="ticket_assess"),
    path("tickets/<int:number>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<int:number>/files/<int:attachment_id>/", tickets.attachment, name="attachment"),
    # The knowledge base (R34): kb_* names in this namespace, e.g. portal:kb_home.
    path("docs/", include(kb_urls.patterns("portal"))),
]
