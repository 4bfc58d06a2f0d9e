"""The knowledge-base pages' URLs, mounted by the portal (``docs/``) and the console (``kb/``).

Each side gets the same paths and names (``kb_*``) in its own namespace; the views receive a
``kb.pages.Desk`` saying which side they serve."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from comanaged.kb.pages import articles, documents, kb_page, search

# (path, view, name) — the view takes (request, desk, **kwargs).
ROUTES: list[tuple[str, Any, str]] = [
    ("", articles.home, "kb_home"),
    ("search/", search.search_page, "kb_search"),
    ("suggest/", search.suggest, "kb_suggest"),
    ("preview/", search.preview, "kb_preview"),
    ("articles/new/", articles.article_new, "kb_article_new"),
    ("articles/<int:pk>/", articles.article_detail, "kb_article"),
    ("articles/<int:pk>/edit/", articles.article_edit, "kb_article_edit"),
    ("articles/<int:pk>/status/", articles.article_status, "kb_article_status"),
    ("articles/<int:pk>/history/", articles.article_history, "kb_article_history"),
    ("articles/<int:pk>/diff/", articles.article_diff, "kb_article_diff"),
    ("articles/<int:pk>/restore/", articles.article_restore, "kb_article_restore"),
    ("articles/<int:pk>/files/", articles.attachment_upload, "kb_attachment_upload"),
    ("articles/<int:pk>/files/<int:file_id>/", articles.attachment_download, "kb_attachment"),
    ("articles/<int:pk>/files/<int:file_id>/delete/", articles.attachment_delete, "kb_attachment_delete"),
    ("environment/", documents.environment, "kb_environment"),
    ("documents/new/<slug:template>/", documents.document_new, "kb_document_new"),
    ("documents/<int:pk>/", documents.document_detail, "kb_document"),
    ("documents/<int:pk>/edit/", documents.document_edit, "kb_document_edit"),
    ("documents/<int:pk>/delete/", documents.document_delete, "kb_document_delete"),
    ("documents/<int:pk>/credentials/new/", documents.credential_new, "kb_credential_new"),
    ("credentials/<int:pk>/edit/", documents.credential_edit, "kb_credential_edit"),
    ("credentials/<int:pk>/delete/", documents.credential_delete, "kb_credential_delete"),
    ("credentials/<int:pk>/reveal/", documents.credential_reveal, "kb_credential_reveal"),
    ("access-log/", documents.access_log, "kb_access_log"),
    ("export/", documents.export, "kb_export"),
    ("import/", documents.import_page, "kb_import"),
]


def patterns(side: str) -> list[URLPattern]:
    return [path(route, kb_page(side)(view), name=name) for route, view, name in ROUTES]
