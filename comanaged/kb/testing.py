"""Test helpers for apps that need a client's runbooks documented (R27)."""

from __future__ import annotations

from typing import Any

from comanaged.kb.choices import FieldType, Visibility
from comanaged.kb.models import Document, DocumentTemplate

SAMPLE_VALUES = {
    FieldType.TEXT: "Jane Doe, office manager",
    FieldType.LONG_TEXT: "1. Call\n2. Confirm",
    FieldType.NUMBER: "2",
    FieldType.URL: "https://example.com/reset",
    FieldType.EMAIL: "it@example.com",
    FieldType.PHONE: "+1 212 555 0100",
    FieldType.DATE: "2026-01-15",
    FieldType.BOOLEAN: True,
    FieldType.IP_ADDRESS: "10.0.0.0/24",
}


def filled_values(template: DocumentTemplate) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in template.fields:
        kind = field["type"]
        values[field["key"]] = field["choices"][0] if kind == FieldType.CHOICE else SAMPLE_VALUES[kind]
    return values


def document_runbooks(client: Any) -> list[Document]:
    """Write every document of the default R27 checklist for ``client``, complete."""
    return [
        Document.objects.create(
            client=client,
            template=template,
            title=template.name,
            values=filled_values(template),
            visibility=Visibility.CLIENT,
        )
        for template in DocumentTemplate.objects.filter(required_for_coverage=True, is_active=True)
    ]
