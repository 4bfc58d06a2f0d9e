"""API schemas of the knowledge base (R34, R27). Inputs forbid unknown fields; texts, lists and
choices are bounded so bad input is a 422 naming the field, never a 500. No output schema has a
field for a secret: a credential says only whether it *has* a password, notes or a TOTP seed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from comanaged.kb.choices import ArticleStatus, FieldType, RevealOutcome, SecretField, Visibility
from comanaged.kb.fields import MAX_CHOICES, MAX_FIELDS
from comanaged.kb.services import BODY_MAX, NOTE_MAX, TAGS_MAX, TITLE_MAX
from comanaged.kb.vault import SECRET_MAX
from comanaged.tenancy.schemas import Id, Strict

# Spelled out for the type checker and OpenAPI; a test keeps them equal to the model choices.
VisibilityCode = Literal["internal", "client", "end_users"]
DocumentVisibilityCode = Literal["internal", "client"]
ArticleStatusCode = Literal["draft", "published", "archived"]
SecretFieldCode = Literal["password", "notes", "totp"]
RevealOutcomeCode = Literal["revealed", "rate_limited", "denied"]
FieldTypeCode = Literal[
    "text", "long_text", "number", "url", "email", "phone", "date", "boolean", "choice", "ip_address"
]
SearchKindCode = Literal["article", "document", "ticket"]
RunbookStateCode = Literal["missing", "incomplete", "complete"]
LITERAL_CHOICES: dict[Any, Any] = {
    VisibilityCode: Visibility,
    ArticleStatusCode: ArticleStatus,
    SecretFieldCode: SecretField,
    RevealOutcomeCode: RevealOutcome,
    FieldTypeCode: FieldType,
}

Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX)]
Body = Annotated[str, Field(max_length=BODY_MAX, description="Markdown (CommonMark, tables, strikethrough)")]
Note = Annotated[str, Field(max_length=NOTE_MAX, description="What changed, for the history")]
TagName = Annotated[str, Field(min_length=1, max_length=40)]
Tags = Annotated[list[TagName], Field(max_length=TAGS_MAX, description=f"At most {TAGS_MAX}; stored lower case")]
# Links and checklists name a client's records; a few hundred is far more than any real page has.
IdList = Annotated[list[Id], Field(max_length=500)]
VersionNumber = Annotated[int, Field(ge=1, le=2**31 - 1)]
Secret = Annotated[str, Field(max_length=SECRET_MAX)]


# --- shared ------------------------------------------------------------------------------------


class ErrorOut(Schema):
    """The API's one error shape (see ``api.errors``)."""

    code: str
    message: str
    field: str | None
    problems: list[dict[str, Any]]


class CategoryOut(Schema):
    id: int
    name: str
    description: str


class CategoryRef(Schema):
    id: int
    name: str


# --- articles ----------------------------------------------------------------------------------


class ArticleIn(Strict):
    client_id: Id | None = Field(
        None, description="The client the article is about; null: provider-wide (the provider's editors only)"
    )
    title: Title
    body: Body = ""
    visibility: VisibilityCode = Field(
        "client", description="internal: provider only; client: the POCs; end_users: everyone at the client"
    )
    category_id: Id | None = None
    tags: Tags = []
    note: Note = ""
    publish: bool = Field(False, description="Publish at once (else a draft)")


class ArticlePatch(Strict):
    """A field left out stays as it is; ``category_id: null`` removes the category."""

    title: Title | None = None
    body: Body | None = None
    visibility: VisibilityCode | None = None
    category_id: Id | None = None
    tags: Tags | None = None
    note: Note = ""
    base_version: VersionNumber | None = Field(
        None, description="The version you edited; refused with 409 if someone saved a newer one since"
    )
    publish: bool = Field(False, description="Publish the result")


class ArticleStatusIn(Strict):
    status: ArticleStatusCode


class ArticleRestoreIn(Strict):
    version: VersionNumber = Field(description="The number of the version to bring back (as a new version)")


class ArticleLinksIn(Strict):
    """The article's links, replaced as a whole: the client's own tickets, sites, listed applications."""

    ticket_ids: IdList = []
    site_ids: IdList = []
    application_ids: IdList = []


class ArticleLinksOut(Schema):
    ticket_ids: list[int]
    site_ids: list[int]
    application_ids: list[int]


class ArticleSummaryOut(Schema):
    id: int
    client_id: int | None = Field(description="null: provider-wide")
    title: str = Field(description="The title of the version the caller reads")
    status: ArticleStatusCode
    visibility: VisibilityCode
    category: CategoryRef | None
    tags: list[str]
    version: int | None = Field(description="The number of the version the caller reads")
    has_unpublished_changes: bool = Field(
        description="A newer draft than the published text (told to editors only; false for readers)"
    )
    published_at: dt.datetime | None
    updated_at: dt.datetime


class ArticleOut(ArticleSummaryOut):
    body: str = Field(description="Markdown")
    body_html: str = Field(description="The body rendered to sanitised HTML")
    links: ArticleLinksOut
    may_edit: bool
    created_at: dt.datetime


class VersionOut(Schema):
    number: int
    title: str
    note: str
    author: str
    created_at: dt.datetime
    is_current: bool
    is_published: bool


class VersionDetailOut(VersionOut):
    body: str
    body_html: str


# --- templates ---------------------------------------------------------------------------------


class FieldSpecIn(Strict):
    key: str = Field(min_length=1, max_length=40, description="Lower-case letters, digits and _")
    label: str = Field(min_length=1, max_length=120)
    type: FieldTypeCode
    required: bool = False
    choices: Annotated[list[Annotated[str, Field(min_length=1, max_length=120)]], Field(max_length=MAX_CHOICES)] = []
    help: str = Field("", max_length=300)


class TemplateIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=300)
    icon: str = Field("", max_length=40, description="A Bootstrap icon name, e.g. hdd-network")
    fields: Annotated[list[FieldSpecIn], Field(max_length=MAX_FIELDS)] = []
    body_template: Body = ""
    is_runbook: bool = False
    required_for_coverage: bool = Field(False, description="On the default R27 checklist")
    is_active: bool = True


class FieldSpecOut(Schema):
    key: str
    label: str
    type: str
    required: bool = False
    choices: list[str] = []
    help: str = ""


class TemplateOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    icon: str
    fields: list[FieldSpecOut]
    body_template: str
    is_runbook: bool
    required_for_coverage: bool
    is_active: bool
    position: int


class TemplateRef(Schema):
    id: int
    name: str
    slug: str


# --- documents and credentials -----------------------------------------------------------------


class DocumentFields(Strict):
    """A field left out stays as it is (on creation: the template's defaults)."""

    title: Title | None = Field(None, description="Default: the template's name")
    values: Annotated[dict[Annotated[str, Field(max_length=40)], Any], Field(max_length=MAX_FIELDS)] | None = Field(
        None, description="The template's fields by key (typed by the template); replaces every value"
    )
    body: Body | None = None
    visibility: DocumentVisibilityCode | None = Field(None, description="internal: provider only (staff only)")
    application_ids: IdList | None = Field(None, description="The client's listed applications")
    coverage_ids: IdList | None = Field(None, description="The client's vendor coverage records (R28)")
    site_ids: IdList | None = None


class DocumentIn(DocumentFields):
    client_id: Id
    template_id: Id


class CredentialOut(Schema):
    """A credential without its secrets (reveal them one at a time, logged)."""

    id: int
    document_id: int
    client_id: int
    name: str
    username: str
    url: str
    has_password: bool
    has_notes: bool
    has_totp: bool
    updated_at: dt.datetime

    @staticmethod
    def resolve_has_password(obj: Any) -> bool:
        return bool(obj.password)

    @staticmethod
    def resolve_has_notes(obj: Any) -> bool:
        return bool(obj.notes)

    @staticmethod
    def resolve_has_totp(obj: Any) -> bool:
        return bool(obj.totp_seed)


class DocumentSummaryOut(Schema):
    id: int
    client_id: int
    template: TemplateRef
    title: str
    visibility: DocumentVisibilityCode
    credential_count: int
    updated_at: dt.datetime


class DocumentLinksOut(Schema):
    application_ids: list[int]
    coverage_ids: list[int]
    site_ids: list[int]


class DocumentOut(Schema):
    id: int
    client_id: int
    template: TemplateRef
    fields: list[FieldSpecOut] = Field(description="The template's fields, to read the values by")
    title: str
    values: dict[str, Any]
    missing_fields: list[str] = Field(description="Labels of required fields still empty (R27)")
    body: str
    body_html: str
    visibility: DocumentVisibilityCode
    links: DocumentLinksOut
    credentials: list[CredentialOut]
    may_edit: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class CredentialIn(Strict):
    """Secrets are write-only: no response carries them."""

    name: str = Field(min_length=1, max_length=120)
    username: str = Field("", max_length=200)
    url: str = Field("", max_length=500, description="An http(s) address")
    password: Secret | None = None
    notes: Secret | None = Field(None, description="Secure notes")
    totp_seed: str | None = Field(None, max_length=200, description="Base32 seed or an otpauth:// URI")


class CredentialPatch(Strict):
    """A field left out (or a secret sent as null) stays as it is; an empty secret clears it."""

    name: str | None = Field(None, min_length=1, max_length=120)
    username: str | None = Field(None, max_length=200)
    url: str | None = Field(None, max_length=500)
    password: Secret | None = None
    notes: Secret | None = None
    totp_seed: str | None = Field(None, max_length=200)


class RevealIn(Strict):
    field: SecretFieldCode


class RevealOut(Schema):
    field: SecretFieldCode
    value: str
    valid_for_seconds: int | None = Field(description="For a one-time code: seconds it stays valid")


class CredentialAccessOut(Schema):
    id: int
    client_id: int
    credential_id: int | None = Field(description="null once the credential is deleted")
    credential_label: str
    user_label: str
    field: SecretFieldCode
    outcome: RevealOutcomeCode
    ip_address: str | None = Field(description="Provider staff only")
    at: dt.datetime


# --- runbooks (R27) ----------------------------------------------------------------------------


class RunbookItemOut(Schema):
    template: TemplateRef
    state: RunbookStateCode
    complete: bool
    document_id: int | None
    missing_fields: list[str] = Field(description="Labels of the required fields still empty")


class RunbookStatusOut(Schema):
    agreement_id: int
    customised: bool = Field(description="false: the provider's default list (templates required for coverage)")
    complete: bool = Field(description="R27: every item complete")
    done: int
    total: int
    items: list[RunbookItemOut]


class RunbookChecklistIn(Strict):
    template_ids: IdList = Field(description="The templates the agreement requires; [] requires nothing")


# --- search, import ----------------------------------------------------------------------------


class SearchResultOut(Schema):
    kind: SearchKindCode
    id: int
    title: str = Field(description="Plain text")
    snippet: str = Field(description="Safe HTML: escaped text, matches wrapped in <mark>")
    client_id: int | None
    client_name: str


class SkippedOut(Schema):
    name: str
    reason: str


class ImportReportOut(Schema):
    created: list[str]
    skipped: list[SkippedOut]
