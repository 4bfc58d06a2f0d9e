from django.urls import path

from comanaged.console import views

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
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
