"""The client's environment documentation (R34), its runbook checklist (R27) and the credential
vault, shown in the portal to the client's POC (MyGlue) and in the console to staff.

Thin adapters: reads start from ``kb.access`` / ``kb.selectors`` (fail-closed), writes go
through ``kb.documents``, ``kb.vault`` and ``kb.runbooks``. An object the user may not read is a
404 exactly like a missing one; a page the user's role never opens is a 403. End-users see no
documents at all (R34: documentation is the POC's).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from comanaged.agreements.choices import Plan
from comanaged.agreements.selectors import active_agreement
from comanaged.core.errors import ApplicationError
from comanaged.kb import access, documents, runbooks, selectors, vault
from comanaged.kb.choices import FieldType, SecretField, Visibility
from comanaged.kb.errors import KbErrorCode
from comanaged.kb.fields import parse_specs
from comanaged.kb.markdown import render as render_markdown
from comanaged.kb.models import Credential, Document, DocumentTemplate
from comanaged.kb.pages import Desk, require_editor_of
from comanaged.kb.pages.document_forms import (
    ChecklistForm,
    CredentialForm,
    DocumentForm,
    ImportForm,
    add_problems,
    mark_invalid,
)
from comanaged.tenancy.access import MAX_ID
from comanaged.tenancy.models import Client
from comanaged.tenancy.permissions import Area, can_edit

LOG_PAGE_SIZE = 50
REVEAL_SHOWN_SECONDS = 30


# --- who and which client ---------------------------------------------------------------------


def _require_poc(desk: Desk) -> None:
    """End-users see no documents (R34); only the POC of the portal's client does."""
    if desk.is_portal and (desk.person is None or not desk.person.is_poc):
        raise PermissionDenied


def _document_of(desk: Desk, pk: int) -> tuple[Document, Desk]:
    _require_poc(desk)
    document = (
        access.visible_documents(desk.user)
        .select_related("template", "client", "updated_by", "created_by")
        .filter(pk=pk)
        .first()
        if 1 <= pk <= MAX_ID
        else None
    )
    if document is None:
        raise Http404
    return document, desk.with_client(document.client)


def _credential_of(desk: Desk, pk: int) -> Credential:
    _require_poc(desk)
    credential = (
        (
            access.visible_credentials(desk.user).select_related("document__client", "document__template").filter(pk=pk)
        ).first()
        if 1 <= pk <= MAX_ID
        else None
    )
    if credential is None:
        raise Http404
    return credential


def _ip(request: HttpRequest) -> str | None:
    raw = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


# --- the environment page: runbook checklist (R27), documents, templates ----------------------


def environment(request: HttpRequest, desk: Desk) -> HttpResponse:
    _require_poc(desk)
    user = desk.user
    client = desk.client
    if client is None:  # the console without ?client=: choose one
        return desk.render(
            request,
            "kb/environment_clients.html",
            clients=Client.objects.for_user(user).filter(is_active=True).order_by("name"),
        )
    agreement = active_agreement(client)
    may_customise = not desk.is_portal and agreement is not None and can_edit(user, Area.AGREEMENTS)
    if request.method == "POST":
        if not may_customise or agreement is None:
            raise PermissionDenied
        if request.POST.get("action") == "checklist_reset":
            runbooks.runbook_checklist_reset(actor=user, agreement=agreement)
            messages.success(request, "The checklist is back to the provider's default.")
        else:
            form = ChecklistForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Choose templates from the list.")
            else:
                runbooks.runbook_checklist_set(
                    actor=user, agreement=agreement, templates=form.cleaned_data["templates"]
                )
                messages.success(request, "The agreement's runbook checklist is saved.")
        return HttpResponseRedirect(desk.url("environment", query=desk.client_query(client)))

    status = runbooks.runbook_status(agreement) if agreement is not None else None
    groups: dict[int, dict[str, Any]] = {}
    for document in selectors.document_list(user, client_id=client.pk):
        group = groups.setdefault(document.template_id, {"template": document.template, "documents": []})
        group["documents"].append(document)
    plus = agreement is not None and agreement.plan == Plan.CO_MANAGED_PLUS
    may_write = access.may_write_for(user, client)
    return desk.render(
        request,
        "kb/environment.html",
        agreement=agreement,
        plus=plus,
        status=status,
        percent=round(100 * status.done / status.total) if status and status.total else 100,
        groups=sorted(groups.values(), key=lambda g: (g["template"].position, g["template"].name)),
        templates=selectors.active_templates() if may_write else [],
        may_write=may_write,
        may_customise=may_customise,
        checklist_form=ChecklistForm(initial={"templates": [item.template for item in status.items]})
        if may_customise and status is not None
        else None,
        may_transfer=may_write,
    )


# --- documents ----------------------------------------------------------------------------------


def _template_or_404(slug: str) -> DocumentTemplate:
    template = DocumentTemplate.objects.filter(slug=slug, is_active=True).first()
    if template is None:
        raise Http404
    return template


def document_new(request: HttpRequest, desk: Desk, template: str) -> HttpResponse:
    _require_poc(desk)
    client = desk.client
    if client is None:
        raise Http404  # the console names the client: ?client=<id>
    require_editor_of(desk, client)
    chosen = _template_or_404(template)
    form = DocumentForm(request.POST or None, user=desk.user, client=client, template=chosen)
    if request.method == "POST" and form.is_valid():
        try:
            saved = documents.document_save(actor=desk.user, client=client, template=chosen, **form.service_arguments())
        except ApplicationError as error:
            add_problems(form, error)
        else:
            messages.success(request, f"“{saved.title}” is saved.")
            return HttpResponseRedirect(desk.url("document", saved.pk))
    return desk.render(
        request,
        "kb/document_form.html",
        form=mark_invalid(form),
        template=chosen,
        document=None,
        cancel_url=desk.url("environment", query=desk.client_query(client)),
    )


def document_edit(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    document, desk = _document_of(desk, pk)
    if not access.may_edit_document(desk.user, document):
        raise PermissionDenied
    client = document.client
    form = DocumentForm(
        request.POST or None, user=desk.user, client=client, template=document.template, document=document
    )
    if request.method == "POST" and form.is_valid():
        try:
            documents.document_save(
                actor=desk.user,
                client=client,
                template=document.template,
                document=document,
                **form.service_arguments(),
            )
        except ApplicationError as error:
            add_problems(form, error)
            document.refresh_from_db()  # the page shows what is stored, not the refused change
        else:
            messages.success(request, f"“{document.title}” is saved.")
            return HttpResponseRedirect(desk.url("document", document.pk))
    return desk.render(
        request,
        "kb/document_form.html",
        form=mark_invalid(form),
        template=document.template,
        document=document,
        cancel_url=desk.url("document", document.pk),
    )


def _display_values(document: Document) -> list[dict[str, Any]]:
    """The template's fields with what the document holds, typed for display."""
    stored = document.values or {}
    rows = []
    for spec in parse_specs(document.template.fields):
        value = stored.get(spec.key)
        row: dict[str, Any] = {"spec": spec, "value": value, "kind": str(spec.type), "empty": value in (None, "")}
        if spec.type == FieldType.URL and isinstance(value, str):
            row["link"] = value.startswith(("https://", "http://"))
        if spec.type == FieldType.BOOLEAN and isinstance(value, bool):
            row["value"] = "Yes" if value else "No"
        rows.append(row)
    return rows


def _credential_rows(desk: Desk, document: Document) -> list[dict[str, Any]]:
    rows = []
    for credential in access.visible_credentials(desk.user).filter(document=document).order_by("name", "pk"):
        secrets = [
            (SecretField.PASSWORD, "Password", credential.password is not None),
            (SecretField.NOTES, "Notes", credential.notes is not None),
            (SecretField.TOTP, "One-time code", credential.totp_seed is not None),
        ]
        rows.append({"credential": credential, "secrets": [(f, label) for f, label, stored in secrets if stored]})
    return rows


def document_detail(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    document, desk = _document_of(desk, pk)
    may_edit = access.may_edit_document(desk.user, document)
    specs = parse_specs(document.template.fields)
    return desk.render(
        request,
        "kb/document_detail.html",
        document=document,
        values=_display_values(document),
        missing=[spec.label for spec in specs if spec.required and (document.values or {}).get(spec.key) in (None, "")],
        body=render_markdown(document.body),
        applications=document.applications.order_by("name"),
        coverages=document.vendor_coverages.order_by("vendor", "covers"),
        sites=document.sites.order_by("name"),
        credentials=_credential_rows(desk, document),
        may_edit=may_edit,
        may_see_credentials=may_edit or access.is_kb_editor(desk.user),
        internal=document.visibility == Visibility.INTERNAL,
        shown_seconds=REVEAL_SHOWN_SECONDS,
        environment_url=desk.url("environment", query=desk.client_query(document.client)),
    )


def document_delete(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    document, desk = _document_of(desk, pk)
    if not access.may_edit_document(desk.user, document):
        raise PermissionDenied
    back = desk.url("environment", query=desk.client_query(document.client))
    if request.method == "POST":
        title = document.title
        documents.document_delete(actor=desk.user, document=document)
        messages.success(request, f"“{title}” and its credentials are deleted.")
        return HttpResponseRedirect(back)
    return desk.render(
        request,
        "kb/document_delete.html",
        document=document,
        credential_count=document.credentials.count(),
        cancel_url=desk.url("document", document.pk),
    )


# --- credentials --------------------------------------------------------------------------------


def credential_new(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    document, desk = _document_of(desk, pk)
    if not access.may_edit_document(desk.user, document):
        raise PermissionDenied
    form = CredentialForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            vault.credential_save(actor=desk.user, document=document, **form.service_arguments())
        except ApplicationError as error:
            add_problems(form, error)
        else:
            messages.success(request, "The credential is saved.")
            return HttpResponseRedirect(desk.url("document", document.pk) + "#credentials")
    return _credential_form(request, desk, form, document, None)


def credential_edit(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    credential = _credential_of(desk, pk)
    document = credential.document
    desk = desk.with_client(document.client)
    if not access.may_edit_document(desk.user, document):
        raise PermissionDenied
    form = CredentialForm(request.POST or None, credential=credential)
    if request.method == "POST" and form.is_valid():
        try:
            vault.credential_save(actor=desk.user, document=document, credential=credential, **form.service_arguments())
        except ApplicationError as error:
            add_problems(form, error)
        else:
            messages.success(request, "The credential is saved.")
            return HttpResponseRedirect(desk.url("document", document.pk) + "#credentials")
    return _credential_form(request, desk, form, document, credential)


def _credential_form(
    request: HttpRequest, desk: Desk, form: CredentialForm, document: Document, credential: Credential | None
) -> HttpResponse:
    response = desk.render(
        request,
        "kb/credential_form.html",
        form=mark_invalid(form),
        document=document,
        credential=credential,
        cancel_url=desk.url("document", document.pk),
    )
    add_never_cache_headers(response)
    return response


def credential_delete(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    credential = _credential_of(desk, pk)
    document = credential.document
    desk = desk.with_client(document.client)
    if not access.may_edit_document(desk.user, document):
        raise PermissionDenied
    if request.method == "POST":
        vault.credential_delete(actor=desk.user, credential=credential)
        messages.success(request, f"The credential “{credential.name}” is deleted.")
        return HttpResponseRedirect(desk.url("document", document.pk) + "#credentials")
    return desk.render(
        request,
        "kb/credential_delete.html",
        credential=credential,
        document=document,
        cancel_url=desk.url("document", document.pk),
    )


@require_POST
def credential_reveal(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    """One secret, logged (``kb.vault.credential_reveal``). htmx gets the fragment that shows it
    for a while; a browser without JavaScript a page. No access → 404, like a missing one."""
    _require_poc(desk)
    field = request.POST.get("field", "")
    context: dict[str, Any] = {"field": field, "shown_seconds": REVEAL_SHOWN_SECONDS}
    # Two answers need no vault: an unknown field (a 400), and a secret that is not stored for a
    # credential the user may see (nothing to reveal; the vault would refuse it without a log
    # row too). Anyone else goes through the vault, so the attempt is logged (404).
    if field not in SecretField.values:
        return HttpResponse("Reveal the password, the secure notes or the one-time code.", status=400)
    visible = access.visible_credentials(desk.user).filter(pk=pk).first() if 1 <= pk <= MAX_ID else None
    if visible is not None and getattr(visible, _STORED[field]) is None:
        context["error"] = f"This credential has no {SecretField(field).label.lower()}."
        return _secret_response(request, desk, visible, context)
    try:
        revealed = vault.credential_reveal(
            actor=desk.user, credential_id=pk if 1 <= pk <= MAX_ID else 0, field=field, ip_address=_ip(request)
        )
    except ApplicationError as error:
        if error.code == KbErrorCode.NOT_FOUND:
            raise Http404 from error
        context["error"] = error.message
        context["rate_limited"] = error.code == KbErrorCode.RATE_LIMITED
    else:
        context["revealed"] = revealed
    return _secret_response(request, desk, visible or _credential_of(desk, pk), context)


_STORED: dict[str, str] = {SecretField.PASSWORD: "password", SecretField.NOTES: "notes", SecretField.TOTP: "totp_seed"}


def _secret_response(request: HttpRequest, desk: Desk, credential: Credential, context: dict[str, Any]) -> HttpResponse:
    desk = desk.with_client(credential.client)
    field = context["field"]
    context["credential"] = credential
    context["field_label"] = SecretField(field).label
    partial = bool(request.headers.get("HX-Request"))
    template_name = "kb/credential_secret.html" if partial else "kb/credential_reveal.html"
    response = desk.render(request, template_name, document=credential.document, **context)
    add_never_cache_headers(response)  # a secret is never kept by a cache or the back button
    if context.get("rate_limited") and not partial:
        response.status_code = 429
    return response


# --- the reveal log (R34: visible to the client's POC) ---------------------------------------


def access_log(request: HttpRequest, desk: Desk) -> HttpResponse:
    _require_poc(desk)
    client = desk.client
    log = selectors.credential_log(desk.user, client_id=client.pk if client is not None else None)
    page = Paginator(log.select_related("client").order_by("-at", "-id"), LOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return desk.render(request, "kb/access_log.html", page=page, all_clients=client is None)


# --- export and import ------------------------------------------------------------------------


def _transfer_client(desk: Desk) -> Client:
    _require_poc(desk)
    client = desk.client
    if client is None:
        raise Http404
    require_editor_of(desk, client)
    return client


def export(request: HttpRequest, desk: Desk) -> HttpResponse:
    """The client's documentation as a zip of Markdown files (POC or staff editor)."""
    client = _transfer_client(desk)
    from comanaged.kb.transfer import export_zip

    name, content = export_zip(actor=desk.user, client=client)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


def import_page(request: HttpRequest, desk: Desk) -> HttpResponse:
    """Upload one Markdown file or a zip of them; show what was created and what was skipped."""
    client = _transfer_client(desk)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        from comanaged.kb.transfer import import_markdown

        try:
            report = import_markdown(actor=desk.user, client=client, upload=form.cleaned_data["upload"])
        except ApplicationError as error:
            add_problems(form, error)
    return desk.render(
        request,
        "kb/import.html",
        form=mark_invalid(form),
        report=report,
        environment_url=desk.url("environment", query=desk.client_query(client)),
    )
