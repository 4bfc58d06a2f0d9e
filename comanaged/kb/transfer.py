"""Moving a client's knowledge base in and out as Markdown files (R34).

**Export** (:func:`export_zip`) — for whoever may write the client's documentation (its POCs,
the provider's knowledge editors in scope); audited (``export``). A zip holding:

- ``articles/<slug>.md`` — every article of the client the actor can see (never provider-wide
  ones), with front matter (kind, title, visibility, status, category, tags, version, updated)
  and then the Markdown of the version the actor reads (``selectors.readable_version``);
- ``documents/<template-slug>/<slug>.md`` — every environment document the actor can see, with
  the template and the field values in the front matter, then the body and a list of the
  document's credentials: **names, usernames and addresses only — secrets are never exported**
  (the encrypted columns are not even read; reveal a secret in the knowledge base, logged);
- ``index.md`` — a table of contents.

File names are ASCII slugs, unique within their folder, never a reserved Windows name. The front
matter is YAML-compatible: every string is a double-quoted JSON string, lists are JSON lists.

**Import** (:func:`import_markdown`) — same permission. One Markdown file (``.md``,
``.markdown``, ``.txt``) or a ``.zip`` of them. Each Markdown file becomes a **draft** article of
the client, visible to its POCs (``Visibility.CLIENT``), made by ``services.article_create``; the
title comes from the front matter's ``title:``, else the first ``# heading`` (removed from the
text when it opens it), else the file name. Front-matter ``tags`` are kept, ``category`` only if
the provider has a category of that name; visibility and status are not taken over: the editor
decides who reads the article when publishing it.

Decisions:

- **Two phases.** The upload is first read and checked entirely in memory — nothing is ever
  written to disk, so a hostile path can name nothing — and only then are articles created. A
  refused upload (not Markdown, empty, too large, not a zip despite its name, too many entries,
  too many bytes once uncompressed) raises ``ApplicationError(IMPORT_INVALID, field="upload")``
  and creates nothing.
- **One transaction, one savepoint per file.** A file the service refuses (its text too long,
  its tags invalid) is skipped with the service's reason and the others are created; an
  unexpected error rolls the whole import back. The import is audited once (``import``) beside
  the audit entry of each article.
- **A single file** is all the import there is: whatever would skip it refuses the upload with
  that reason (the form shows it beside the field). In a zip, each entry is judged on its own
  and reported in :attr:`ImportReport.skipped` as ``(entry name, reason)``.
- **Skipped entries**: unsafe paths (``..``, absolute, drive letters, backslashes, control
  characters), symbolic links, encrypted entries, nested archives, anything not ``.md`` /
  ``.markdown`` / ``.txt``, macOS metadata, empty files, files larger than the article limit
  allows, text that is not UTF-8, damaged entries, and the ``index.md`` and environment
  documents of an export (documents are exported for reading; they are not articles). Folders
  are structure, not files: ignored silently.
- **Zip bombs**: at most :data:`MAX_ENTRIES` entries (counted from the archive's end record
  before the directory is parsed, so a huge directory is refused cheaply) and
  :data:`MAX_TOTAL_BYTES` uncompressed, checked against the sizes the archive declares *and*
  counted while decompressing (reads are bounded, a lying header gains nothing).
- **Duplicate titles** are allowed in the knowledge base, so an article whose title already
  exists is imported beside it (a draft to compare; nothing is ever overwritten). Only an exact
  copy — same title *and* same text as an article the actor can see, or as an earlier file of
  the same import — is skipped, so importing the same export twice adds nothing the second time.
"""

from __future__ import annotations

import io
import json
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from markdown_it import MarkdownIt

from comanaged.core import audit
from comanaged.core.errors import ApplicationError
from comanaged.core.files import extension_of
from comanaged.kb import access, selectors
from comanaged.kb.choices import Visibility
from comanaged.kb.errors import KbErrorCode
from comanaged.kb.models import Article, Category, Document
from comanaged.kb.services import BODY_MAX, TITLE_MAX, article_create, clean_body, normalise_tags
from comanaged.tenancy.models import Client

MARKDOWN_EXTENSIONS = frozenset({"md", "markdown", "txt"})
ARCHIVE_EXTENSIONS = frozenset({"zip", "jar", "7z", "rar", "gz", "tgz", "tar", "bz2", "xz", "zst", "cab", "iso"})
MAX_ENTRIES = 500
MAX_TOTAL_BYTES = 20 * 1024 * 1024  # uncompressed, the whole archive
MAX_ARCHIVE_BYTES = 20 * 1024 * 1024  # the upload itself
MAX_FILE_BYTES = BODY_MAX * 4 + 64 * 1024  # the longest article in UTF-8, plus its front matter
MAX_DIRECTORY_BYTES = 1024 * 1024  # 500 entries with generous names; more is not an export of ours
SECRETS_NOTE = (
    "Secrets (passwords, secure notes, one-time code seeds) are not exported; "
    "reveal them in the knowledge base, where every reveal is logged."
)
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}
)
_DRIVE = re.compile(r"[A-Za-z]:")
_FIELD_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_ZIP_LOCAL = b"PK\x03\x04"


@dataclass(frozen=True)
class ImportReport:
    """What an import did: the titles it created, and each file it skipped with the reason."""

    created: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


# --- Export ----------------------------------------------------------------------------------


def export_zip(*, actor: Any, client: Client) -> tuple[str, bytes]:
    """The client's articles and documents the actor can see, as a zip of Markdown files."""
    access.require_write_for(actor, client)
    now = timezone.now()
    articles = list(
        access.visible_articles(actor)
        .filter(client=client)
        .select_related("category", "current_version", "published_version")
        .prefetch_related("tags")
        .order_by("title", "id")
    )
    documents = list(
        access.visible_documents(actor).filter(client=client).select_related("template").order_by("title", "id")
    )
    members: list[tuple[str, str]] = []
    index_articles: list[tuple[str, str, Article]] = []
    taken: set[str] = set()
    for article in articles:
        path = _unique(taken, "articles", _slug(article.title, f"article-{article.pk}"))
        members.append((path, _article_file(actor, article)))
        index_articles.append((path, article.title, article))
    index_documents: list[tuple[str, Document]] = []
    for document in documents:
        folder = "documents/" + _slug(document.template.slug, "template")
        path = _unique(taken, folder, _slug(document.title, f"document-{document.pk}"))
        members.append((path, _document_file(actor, document)))
        index_documents.append((path, document))
    members.insert(0, ("index.md", _index_file(actor, client, now, index_articles, index_documents)))

    buffer = io.BytesIO()
    local = timezone.localtime(now)
    stamp = (local.year, local.month, local.day, local.hour, local.minute, local.second)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, text in members:
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, text.encode("utf-8"))
    name = f"kb-{_slug(client.code or client.name, 'client')}-{timezone.localtime(now):%Y%m%d-%H%M}.zip"
    audit.record(
        actor=actor,
        action="export",
        object_type="kb.knowledge_base",
        object_id=str(client.pk),
        object_label=f"Knowledge base of {client.name}"[:255],
        client_id=client.pk,
        changes={"articles": [None, len(articles)], "documents": [None, len(documents)]},
        note=name,
    )
    return name, buffer.getvalue()


def _article_file(actor: Any, article: Article) -> str:
    version = selectors.readable_version(actor, article)
    header = {
        "kind": "article",
        "title": article.title,
        "visibility": article.visibility,
        "status": article.status,
        "category": article.category.name if article.category else None,
        "tags": sorted(tag.name for tag in article.tags.all()),
        "version": version.number if version else None,
        "updated": article.updated_at.isoformat(),
    }
    return _front_matter(header) + "\n" + (version.body if version else "")


def _document_file(actor: Any, document: Document) -> str:
    header: dict[str, Any] = {
        "kind": "document",
        "title": document.title,
        "template": document.template.slug,
        "template_name": document.template.name,
        "visibility": document.visibility,
        "updated": document.updated_at.isoformat(),
    }
    lines = [_front_matter(header, fields=document.values or {}).rstrip("\n"), ""]
    if document.body:
        lines += [document.body.rstrip("\n"), ""]
    # values_list: the encrypted columns are never loaded, let alone decrypted.
    credentials = list(
        access.visible_credentials(actor)
        .filter(document=document)
        .order_by("name", "id")
        .values_list("name", "username", "url")
    )
    if credentials:
        lines += ["## Credentials", "", SECRETS_NOTE, ""]
        for name, username, url in credentials:
            parts = [_escape(name)]
            if username:
                parts.append(f"user: {_escape(username)}")
            if url:
                parts.append(f"address: {_link(url)}")
            lines.append("- " + " — ".join(parts))
        lines.append("")
    return "\n".join(lines)


def _index_file(
    actor: Any,
    client: Client,
    now: Any,
    articles: list[tuple[str, str, Article]],
    documents: list[tuple[str, Document]],
) -> str:
    header = {"kind": "index", "client": client.name, "exported": now.isoformat(), "by": audit.actor_label(actor)}
    lines = [_front_matter(header), f"# Knowledge base of {_escape(client.name)}", "", SECRETS_NOTE, ""]
    lines += [f"## Articles ({len(articles)})", ""]
    if articles:
        lines += ["| Title | Status | Visibility | Updated |", "| --- | --- | --- | --- |"]
        for path, title, article in articles:
            lines.append(
                f"| [{_escape(title)}]({path}) | {article.get_status_display()} | "
                f"{article.get_visibility_display()} | {article.updated_at:%Y-%m-%d} |"
            )
        lines.append("")
    lines += [f"## Environment documents ({len(documents)})", ""]
    if documents:
        lines += ["| Title | Template | Updated |", "| --- | --- | --- |"]
        for path, document in documents:
            lines.append(
                f"| [{_escape(document.title)}]({path}) | {_escape(document.template.name)} | "
                f"{document.updated_at:%Y-%m-%d} |"
            )
        lines.append("")
    return "\n".join(lines)


def _front_matter(header: dict[str, Any], *, fields: dict[str, Any] | None = None) -> str:
    lines = ["---"]
    lines += [f"{key}: {_yaml(value)}" for key, value in header.items()]
    if fields is not None:
        lines.append("fields:" if fields else "fields: {}")
        for key, value in fields.items():
            name = key if _FIELD_KEY.fullmatch(str(key)) else _yaml(str(key))
            lines.append(f"  {name}: {_yaml(value)}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def _yaml(value: Any) -> str:
    """A YAML flow scalar: JSON (a subset of YAML 1.2) with YAML's own line breaks escaped too."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_yaml(item) for item in value) + "]"
    text = json.dumps(str(value), ensure_ascii=False)
    return "".join(f"\\u{ord(ch):04x}" if _needs_escape(ch) else ch for ch in text)


def _needs_escape(ch: str) -> bool:
    return ch in "\x85\u2028\u2029\ufeff" or unicodedata.category(ch) in ("Cc", "Cf", "Cs")


_MARKUP = frozenset("\\`*_[]<>|!~&#")
_BLOCK_START = re.compile(r"([0-9]{0,9})[-+=.)]")


def _escape(text: str) -> str:
    """Markdown text that renders as exactly these characters, inline (a table cell, a link's text,
    a list item): every character that could start inline markup is backslash-escaped, which
    CommonMark allows for any ASCII punctuation; line breaks become spaces. A start that would open
    a list or a heading (``- x``, ``1. x``, ``= x``) is escaped too."""
    text = "".join("\\" + ch if ch in _MARKUP else ch for ch in " ".join(str(text).split()))
    opener = _BLOCK_START.match(text)
    return f"{opener.group(1)}\\{text[opener.end(1) :]}" if opener else text


def _link(url: str) -> str:
    """An address as an autolink when it can be one, else as escaped text."""
    return f"<{url}>" if url and not any(ch in url for ch in "<> \t\n`") else _escape(url)


def _slug(text: str, fallback: str) -> str:
    slug = slugify(text)[:60].strip("-_") or fallback
    return f"{slug}-1" if slug in _WINDOWS_RESERVED else slug


def _unique(taken: set[str], folder: str, slug: str) -> str:
    path, n = f"{folder}/{slug}.md", 2
    while path.lower() in taken:  # case-insensitive file systems too
        path, n = f"{folder}/{slug}-{n}.md", n + 1
    taken.add(path.lower())
    return path


# --- Import ----------------------------------------------------------------------------------


@dataclass
class _Candidate:
    """A Markdown file read and checked, waiting to become an article."""

    name: str
    title: str
    body: str
    tags: list[str]
    category: str | None


class _Skip(Exception):
    """This one file is not imported, for this reason."""


def import_markdown(*, actor: Any, client: Client, upload: UploadedFile) -> ImportReport:
    """Import one Markdown file or a zip of them as draft articles of ``client``."""
    access.require_write_for(actor, client)
    display = _display_name(upload.name or "")
    extension = extension_of(display.rsplit("/", 1)[-1])
    if extension == "zip":
        candidates, skipped = _read_archive(_read_upload(upload, MAX_ARCHIVE_BYTES))
    elif extension in MARKDOWN_EXTENSIONS:
        data = _read_upload(upload, MAX_FILE_BYTES)
        try:
            candidates, skipped = [_candidate(display, data)], []
        except _Skip as reason:
            raise _refused(f"{display}: {reason}") from None
    else:
        raise _refused("Upload a Markdown file (.md, .markdown or .txt) or a .zip of them.")

    created: list[str] = []
    with transaction.atomic():
        seen: set[tuple[str, str]] = set()
        categories = {category.name: category for category in Category.objects.all()}
        for candidate in candidates:
            if (candidate.title, candidate.body) in seen or _exists(actor, client, candidate):
                skipped.append((candidate.name, "An article with this title and text is already there."))
                continue
            try:
                with transaction.atomic():  # a savepoint: a refused file leaves no trace
                    article_create(
                        actor=actor,
                        client=client,
                        title=candidate.title,
                        body=candidate.body,
                        visibility=Visibility.CLIENT,
                        category=categories.get(candidate.category or ""),
                        tags=candidate.tags,
                        note=f"Imported from {candidate.name}"[:200],
                    )
            except ApplicationError as error:
                skipped.append((candidate.name, "; ".join(problem.message for problem in error.problems)))
                continue
            seen.add((candidate.title, candidate.body))
            created.append(candidate.title)
        if len(candidates) == 1 and not created and extension != "zip":
            raise _refused(f"{skipped[-1][0]}: {skipped[-1][1]}")
        audit.record(
            actor=actor,
            action="import",
            object_type="kb.knowledge_base",
            object_id=str(client.pk),
            object_label=f"Knowledge base of {client.name}"[:255],
            client_id=client.pk,
            changes={"created": [None, len(created)], "skipped": [None, len(skipped)]},
            note=display[:200],
        )
    return ImportReport(created=created, skipped=skipped)


def _refused(message: str) -> ApplicationError:
    return ApplicationError(KbErrorCode.IMPORT_INVALID, message, field="upload")


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):.1f}".removesuffix(".0")


def _read_upload(upload: UploadedFile, limit: int) -> bytes:
    """The upload's bytes, counted while reading (a declared size can lie)."""
    if upload.size is not None and upload.size > limit:
        raise _refused(f"The file is larger than the {_megabytes(limit)} MB an import accepts.")
    chunks: list[bytes] = []
    size = 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            raise _refused(f"The file is larger than the {_megabytes(limit)} MB an import accepts.")
        chunks.append(chunk)
    if size == 0:
        raise _refused("The file is empty.")
    return b"".join(chunks)


def _directory_size(data: bytes) -> tuple[int, int]:
    """(entries, central directory bytes) from the archive's end record, read before Python
    parses the directory: a directory of a million entries is refused without building it."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or len(data) < end + 22:
        raise _refused("This is not a zip archive (or it is damaged).")
    entries, size = struct.unpack_from("<HL", data, end + 10)
    if entries == 0xFFFF or size == 0xFFFFFFFF:  # ZIP64: the real figures are in its own record
        locator = end - 20
        if locator < 0 or data[locator : locator + 4] != b"PK\x06\x07":
            raise _refused("This is not a zip archive (or it is damaged).")
        (record,) = struct.unpack_from("<Q", data, locator + 8)
        if record + 56 > len(data) or data[record : record + 4] != b"PK\x06\x06":
            raise _refused("This is not a zip archive (or it is damaged).")
        entries, size = struct.unpack_from("<QQ", data, record + 32)
    return entries, size


def _read_archive(data: bytes) -> tuple[list[_Candidate], list[tuple[str, str]]]:
    entries, directory = _directory_size(data)
    if entries > MAX_ENTRIES or directory > MAX_DIRECTORY_BYTES:
        raise _refused(f"The archive holds more than {MAX_ENTRIES} entries; split it.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error, OSError):
        raise _refused("This is not a zip archive (or it is damaged).") from None
    if len(infos) > MAX_ENTRIES:
        raise _refused(f"The archive holds more than {MAX_ENTRIES} entries; split it.")
    if not infos:
        raise _refused("The archive is empty.")
    if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
        raise _refused(f"The archive unpacks to more than {_megabytes(MAX_TOTAL_BYTES)} MB; split it.")

    candidates: list[_Candidate] = []
    skipped: list[tuple[str, str]] = []
    budget = MAX_TOTAL_BYTES
    with archive:
        for info in infos:
            name = _display_name(info.filename)
            try:
                content = _entry_bytes(archive, info, budget)
                if content is None:  # a folder
                    continue
                budget -= len(content)
                candidates.append(_candidate(name, content))
            except _Skip as reason:
                skipped.append((name, str(reason)))
    return candidates, skipped


def _entry_bytes(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes | None:
    """The bytes of one entry, or None for a folder; :class:`_Skip` says why not."""
    unsafe = _unsafe_path(info.filename)
    if unsafe:
        raise _Skip(unsafe)
    if info.is_dir():
        return None
    if stat.S_ISLNK(info.external_attr >> 16):
        raise _Skip("A symbolic link (not followed).")
    parts = info.filename.split("/")
    if "__MACOSX" in parts or parts[-1].startswith("._"):
        raise _Skip("macOS metadata, not a document.")
    extension = extension_of(parts[-1])
    if extension in ARCHIVE_EXTENSIONS:
        raise _Skip("An archive inside the archive (not opened).")
    if extension not in MARKDOWN_EXTENSIONS:
        raise _Skip("Not a Markdown file (.md, .markdown or .txt).")
    if info.flag_bits & 0x1:
        raise _Skip("Encrypted (not opened).")
    if info.file_size > MAX_FILE_BYTES:
        raise _Skip(_too_long())
    limit = min(MAX_FILE_BYTES, budget)
    try:
        with archive.open(info) as handle:
            content = handle.read(limit + 1)  # bounded, whatever the header says
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError, zlib.error, ValueError):
        raise _Skip("Damaged, or compressed in a way that is not supported.") from None
    if len(content) > budget:
        raise _refused(f"The archive unpacks to more than {_megabytes(MAX_TOTAL_BYTES)} MB; split it.")
    if len(content) > MAX_FILE_BYTES:
        raise _Skip(_too_long())
    return content


def _too_long() -> str:
    return f"Too long for an article (at most {BODY_MAX:,} characters)."


def _unsafe_path(name: str) -> str | None:
    """Why an entry's path could escape the folder it is unpacked into (zip-slip), if it could.
    Nothing is ever unpacked here; such an entry is refused all the same: it is hostile."""
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "Unsafe path: control characters in the name."
    if "\\" in name:
        return "Unsafe path: a backslash (a Windows path that could leave the folder)."
    if name.startswith("/"):
        return "Unsafe path: an absolute path."
    if _DRIVE.match(name):
        return "Unsafe path: a drive letter."
    if ".." in name.split("/"):
        return "Unsafe path: it climbs out of the folder (..)."
    return None


def _display_name(name: str) -> str:
    """An entry's name as the report shows it: no control or format characters, bounded."""
    cleaned = "".join(ch if unicodedata.category(ch)[0] != "C" else "?" for ch in name)
    return cleaned[:200] or "(no name)"


def _candidate(name: str, data: bytes) -> _Candidate:
    if not data.strip():
        raise _Skip("The file is empty.")
    if data.startswith(_ZIP_LOCAL):
        raise _Skip("An archive inside the archive (not opened).")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Skip("Not UTF-8 text; save it as UTF-8 and import it again.") from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    header, body = _split_front_matter(text)
    kind = header.get("kind")
    if kind == "index":
        raise _Skip("The table of contents of an export (not an article).")
    if kind == "document":
        raise _Skip("An environment document: exported for reading, not imported as an article.")
    title = header.get("title") if isinstance(header.get("title"), str) else None
    if not title or not title.strip():
        title, body = _heading_title(body)
    if not title or not title.strip():
        title = _title_from_name(name)
    if len(body) > BODY_MAX:
        raise _Skip(_too_long())
    try:
        body = clean_body(body)
        tags = normalise_tags(_as_list(header.get("tags")))
    except ApplicationError as error:
        raise _Skip("; ".join(problem.message for problem in error.problems)) from None
    category = header.get("category") if isinstance(header.get("category"), str) else None
    return _Candidate(name=name, title=_fit_title(title), body=body, tags=tags, category=category)


def _fit_title(title: str) -> str:
    title = " ".join(title.replace("\x00", "").split())
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1].rstrip() + "…"


def _title_from_name(name: str) -> str:
    stem = name.rsplit("/", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem.lstrip(".") else stem
    if " " not in stem:
        stem = stem.replace("_", " ").replace("-", " ")
    stem = " ".join(stem.split())
    return (stem[:1].upper() + stem[1:]) or "Imported article"


def _heading_title(body: str) -> tuple[str | None, str]:
    """The text of the first level-1 heading; the heading is removed when it opens the text (the
    page shows the title above the text already)."""
    tokens = _heading_parser().parse(body)
    for position, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1" and token.map:
            title = tokens[position + 1].content if position + 1 < len(tokens) else ""
            lines = body.split("\n")
            opens = all(not line.strip() for line in lines[: token.map[0]])
            if opens and title.strip():
                body = "\n".join(lines[token.map[1] :]).lstrip("\n")
            return title, body
    return None, body


@lru_cache(maxsize=1)
def _heading_parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """YAML-ish front matter between ``---`` lines at the very top: ``key: value`` lines whose
    values are quoted strings, plain words or ``[lists]``; anything else in it is ignored."""
    if not text.startswith("---\n"):
        return {}, text
    lines = text.split("\n")
    for end in range(1, min(len(lines), 500)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        return {}, text
    header: dict[str, Any] = {}
    for line in lines[1:end]:
        if not line or line[0] in " \t#-" or ":" not in line:
            continue
        key, _, raw = line.partition(":")
        header[key.strip()] = _scalar(raw.strip())
    body = "\n".join(lines[end + 1 :])
    return header, body.removeprefix("\n")


def _scalar(raw: str) -> Any:
    """A front-matter value; text with lone surrogates or control characters is dropped (the
    database would refuse it), and nesting too deep to parse is not a value."""
    try:
        value = _parse_scalar(raw)
    except RecursionError:
        return None
    return value if _storable(value) else None


def _storable(value: Any) -> bool:
    if isinstance(value, str):
        return not any(0xD800 <= ord(ch) <= 0xDFFF or (ord(ch) < 32 and ch not in "\t\n") for ch in value)
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


def _parse_scalar(raw: str) -> Any:
    if raw in ("", "~", "null"):
        return None
    if raw.startswith('"'):
        try:
            return str(json.loads(raw))
        except ValueError:
            return raw.strip('"')
    if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
        return raw[1:-1].replace("''", "'")
    if raw.startswith("[") and raw.endswith("]"):
        try:
            value = json.loads(raw)
        except ValueError:
            return [item.strip().strip("\"'") for item in raw[1:-1].split(",") if item.strip()]
        return value if isinstance(value, list) else None
    return raw


def _as_list(value: Any) -> Iterable[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value if isinstance(item, str | int | float)][:100]
    return str(value).split(",")[:100]


def _exists(actor: Any, client: Client, candidate: _Candidate) -> bool:
    return (
        access.visible_articles(actor)
        .filter(client=client, title=candidate.title, current_version__body=candidate.body)
        .exists()
    )
